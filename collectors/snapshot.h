// The snapshot: plain, immutable structs describing what the poller read from Slurm in one poll.
// These types speak our own domain terms; only the adapter in collectors/slurm/ knows libslurm's
// structs and bit layouts and converts them into these. Collectors read snapshots and never call
// Slurm.
//
// Thread-safety: a Snapshot is built by the poller, then shared read-only (shared_ptr<const>).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"

namespace slurm_exporter {

// A node's base state (Slurm's NODE_STATE_BASE values, in our own enum).
enum class NodeBase : uint8_t { kUnknown, kDown, kIdle, kAllocated, kError, kMixed, kFuture };

// A node's state flags, as our own bit set (the adapter maps Slurm's bits onto these).
enum NodeFlag : uint32_t {
  kNodeFlagDrain = 1u << 0,
  kNodeFlagCompleting = 1u << 1,
  kNodeFlagNotResponding = 1u << 2,
  kNodeFlagPoweredDown = 1u << 3,
  kNodeFlagFail = 1u << 4,
  kNodeFlagPoweringUp = 1u << 5,
  kNodeFlagMaint = 1u << 6,
  kNodeFlagRebootRequested = 1u << 7,
  kNodeFlagRebootIssued = 1u << 8,
  kNodeFlagPoweringDown = 1u << 9,
  kNodeFlagPowerDown = 1u << 10,  // manual power down requested
  kNodeFlagReserved = 1u << 11,   // in an advanced reservation
  kNodeFlagPlanned = 1u << 12,    // planned by the backfill scheduler for a job
  kNodeFlagInvalidReg = 1u << 13,
  kNodeFlagCloud = 1u << 14,
  kNodeFlagResume = 1u << 15,
  kNodeFlagRebootCancel = 1u << 16,
  kNodeFlagPowerUp = 1u << 17,  // manual power up requested
};

struct Node {
  std::string name;
  NodeBase base = NodeBase::kUnknown;
  uint32_t flags = 0;  // NodeFlag bits
  uint32_t cpus = 0;
  uint32_t alloc_cpus = 0;
  uint64_t real_memory_bytes = 0;
  uint64_t alloc_memory_bytes = 0;
  uint64_t free_memory_bytes = 0;  // as reported by slurmd; 0 when unknown
  uint32_t gpus = 0;
  uint32_t alloc_gpus = 0;
  std::string reason;
  int64_t reason_time = 0;  // unix seconds, 0 when no reason
  int64_t boot_time = 0;
  int64_t slurmd_start_time = 0;
};

enum class PartitionState : uint8_t { kUp, kDown, kDrain, kInactive };

struct Partition {
  std::string name;
  PartitionState state = PartitionState::kUp;
  bool is_default = false;
  bool hidden = false;
  uint32_t total_nodes = 0;
  uint32_t total_cpus = 0;
  int64_t max_time_seconds = -1;       // -1: unlimited
  std::vector<uint32_t> node_indices;  // indices into ClusterNodes::nodes
};

// Nodes and partitions, loaded together so that partition membership indices stay consistent.
struct ClusterNodes {
  std::vector<Node> nodes;
  std::vector<Partition> partitions;
};

// Job states: Slurm's base states, then the flag states that squeue prints instead of the base
// state (COMPLETING, CONFIGURING, ...), in squeue's precedence.
enum class JobState : uint8_t {
  kPending,
  kRunning,
  kSuspended,
  kCompleted,
  kCancelled,
  kFailed,
  kTimeout,
  kNodeFail,
  kPreempted,
  kBootFail,
  kDeadline,
  kOutOfMemory,
  kCompleting,
  kConfiguring,
  kStageOut,
  kResizing,
  kRequeued,
  kRequeueFed,
  kRequeueHold,
  kSpecialExit,
  kStopped,
  kRevoked,
  kResvDelHold,
  kSignaling,
  kCount,
};

struct Job {
  uint32_t job_id = 0;
  uint32_t array_job_id = 0;   // 0 when not part of an array
  int64_t array_task_id = -1;  // -1 when not a single array task
  uint32_t task_count = 1;     // tasks this record stands for (a pending array record: many)
  JobState state = JobState::kPending;
  bool ran = false;       // nodes were allocated to it at some point
  std::string partition;  // first partition listed (a pending job may list several)
  std::string reason;     // Slurm's reason name ("Resources", "Priority", ...); "None"
  std::string user;
  std::string account;
  uint32_t cpus = 0;  // per record (for a pending array record: per task)
  uint32_t gpus = 0;
  int64_t submit_time = 0;    // unix seconds
  int64_t eligible_time = 0;  // 0 when never eligible (e.g. held since submission)
  int64_t start_time = 0;     // actual start; expected start for pending jobs
};

struct Jobs {
  std::vector<Job> jobs;
};

// Wait-time histograms per partition, cumulative over the life of the exporter process: every
// job that started is observed once (start time - eligible time).
struct WaitHistogram {
  std::vector<uint64_t> bucket_counts;  // cumulative counts per upper bound, same order
  uint64_t count = 0;
  double sum = 0;
};
struct WaitTimes {
  std::vector<double> bounds;  // bucket upper bounds in seconds (without +Inf)
  std::vector<std::pair<std::string, WaitHistogram>> by_partition;  // sorted by partition
};

struct ControllerPing {
  bool reachable = false;
  double latency_seconds = 0;
};

// The outcome of loading one data source in one poll. `data` may hold the last good data while
// `status` reports that this poll's load failed (the data are then stale).
template <typename T>
struct Source {
  std::shared_ptr<const T> data;
  Status status = Status::Error("load", "not loaded yet");
  double duration_seconds = 0;   // time spent in the library calls of this poll
  double last_success_time = 0;  // unix seconds of the last successful load, 0 if never
  bool attempted = false;        // false when no enabled collector needs this source
  bool fresh() const { return attempted && status.ok(); }
};

struct Snapshot {
  double time = 0;  // unix seconds when the poll started
  Source<ClusterNodes> nodes;
  Source<ControllerPing> ping;
  Source<Jobs> jobs;
  std::shared_ptr<const WaitTimes> wait_times;  // derived from jobs by the poller
};

}  // namespace slurm_exporter
