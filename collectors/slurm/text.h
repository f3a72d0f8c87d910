// Pure parsers for values that libslurm hands over as text.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace slurm_exporter {

// Count of `key` in a TRES string ("cpu=4,mem=4000M,node=1,gres/gpu=2"); exact key match, so
// "gres/gpu" does not count typed entries such as "gres/gpu:a100=2" twice. 0 when absent.
uint64_t TresCount(std::string_view tres, std::string_view key);

// Count of GRES `name` in a job's tres_per_{job,node,task} string: "gres:gpu:2" (22.05),
// "gres/gpu:2" and "gres/gpu:a100:2" (23.02+), "gres/gpu" (= 1); 0 when absent.
uint64_t TresPerCount(std::string_view tres_per, std::string_view name);

// Number of task ids in an array task expression ("1-50000", "1,3,5-7", "0-99%10", "1-9:2").
// The "%N" throttle suffix is ignored. Returns 0 for malformed text.
uint64_t ArrayTaskCount(std::string_view expr);

// First partition of a comma-separated list ("normal,debug" -> "normal").
std::string_view FirstPartition(std::string_view partitions);

// The munge socket from slurm.conf's AuthInfo ("socket=/run/munge/munge.socket.2,ttl=60");
// "" when AuthInfo names none (munge's default socket is then used).
std::string ParseAuthInfoSocket(std::string_view authinfo);

}  // namespace slurm_exporter
