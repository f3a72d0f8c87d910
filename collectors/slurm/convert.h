// Conversions from libslurm's structs to the snapshot's plain structs: pure functions of one
// record (no RPC, no global state but the passwd look-ups of JobNames), so that each is tested
// on hand-built libslurm structs, compiled against every Slurm release of the matrix.
//
// Part of the adapter: includes Slurm's headers (collectors/slurm/compat.h).
//
// Thread-safety: the functions are reentrant; a JobNames is used by one thread.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "collectors/slurm/compat.h"
#include "collectors/snapshot.h"

namespace slurm_exporter::slurm_convert {

// Node state word -> our base state and flag bits (NodeFlag).
NodeBase MapNodeBase(uint32_t state);
uint32_t MapNodeFlags(uint32_t state);
// One node record into `out`, every field assigned: a Node reused across records keeps its
// strings' capacity, so that comparing a reply with the previous table allocates nothing.
void ConvertNodeInto(const node_info_t& n, Node& out);
// Load and free memory of the named node records, in their order.
NodeLoads ConvertNodeLoads(const std::vector<node_info_t*>& named);

PartitionState MapPartitionState(uint16_t state_up);
// `index_map` maps slurmctld's node indices (node_inx) to indices into our node table, -1 for
// records we skip (hidden records without a name).
Partition ConvertPartition(const partition_info_t& p, const std::vector<int64_t>& index_map);

// Job state word -> the state squeue prints (flag states first, in job_state_string's order);
// a base state this build does not know is JobState::kUnknown.
JobState MapJobState(uint32_t state);

// Interned names of a job's user, pending reason, partition and account. Users and reasons are
// looked up once per id; partition and account texts are compared with the previous record's,
// since jobs come grouped by them more often than not.
class JobNames {
 public:
  const Interned& User(uint32_t uid);
  const Interned& Reason(uint32_t code);
  const Interned& Partition(std::string_view text) { return partition_.Of(text); }
  const Interned& Account(std::string_view text) { return account_.Of(text); }

 private:
  struct LastValue {
    std::string text;
    Interned value;
    const Interned& Of(std::string_view t);
  };
  std::map<uint32_t, Interned> users_, reasons_;
  LastValue partition_, account_;
};

// One job record. Pending array records count their tasks (from the task bitmap or the task
// expression). GPUs come from the allocated (running) or requested TRES, else from the GRES
// request when gres/gpu is not an accounted TRES.
Job ConvertJob(const slurm_job_info_t& j, JobNames& names);

// sdiag's reply; RPC users are named through `names`.
SchedulerStats ConvertSchedulerStats(const stats_info_response_msg_t& r, JobNames& names);

Reservation ConvertReservation(const reserve_info_t& r);
// A job record of slurmdb_jobs_get with sacct's figures; `gpu_tres_id` is gres/gpu's TRES id
// (0: not accounted).
FinishedJob ConvertFinishedJob(const slurmdb_job_rec_t& j, uint32_t gpu_tres_id, JobNames& names);

// An association of slurm_load_assoc_mgr_info's reply, with its usage; the TRES arrays are
// cut to `tres_cnt` (the reply's TRES count).
Association ConvertAssociation(const slurmdb_assoc_rec_t& a, uint32_t tres_cnt);
License ConvertLicense(const slurm_license_info_t& l);

// The message type name of a slurmctld or slurmdbd RPC id ("REQUEST_PING"), or "RPC_<id>" /
// "DBD_<id>" where this build cannot name it.
std::string RpcName(uint16_t id);
std::string DbdRpcName(uint16_t id);

}  // namespace slurm_exporter::slurm_convert
