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

#include "common/interned.h"
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
  kNodeFlagPowerUp = 1u << 17,   // manual power up requested
  kNodeFlagBlocked = 1u << 18,   // blocked by an exclusive topology job (Slurm 24.05+)
  kNodeFlagExternal = 1u << 19,  // not managed by Slurm: State=EXTERNAL (Slurm 25.05+)
};

struct Node {
  std::string name;
  NodeBase base = NodeBase::kUnknown;
  uint32_t flags = 0;  // NodeFlag bits
  uint32_t cpus = 0;
  uint32_t alloc_cpus = 0;
  uint64_t real_memory_bytes = 0;
  uint64_t alloc_memory_bytes = 0;
  uint32_t gpus = 0;
  uint32_t alloc_gpus = 0;
  std::string reason;
  int64_t reason_time = 0;      // unix seconds, 0 when no reason
  uint32_t cpus_effective = 0;  // CPUs jobs can use: CPUs minus specialized cores' CPUs
  int64_t boot_time = 0;        // unix seconds; 0 when unknown
  int64_t slurmd_start_time = 0;
  int64_t last_busy = 0;                  // when the node last had jobs (or became idle); 0 unknown
  std::string features, features_active;  // comma-separated, as scontrol prints them
  std::vector<std::pair<std::string, uint32_t>> gpu_types;  // typed gres/gpu: type, count
  // Nothing that changes on every slurmd report (free memory, load) is kept here: those are in
  // NodeLoads, so that equal node data let the poller reuse the per-node text.
  bool operator==(const Node&) const = default;
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
  bool operator==(const Partition&) const = default;
};

// Per-node figures that change with every slurmd report, from the same node table as
// ClusterNodes but kept apart from it, so that a change of load alone does not replace the
// node table (and the per-node text built from it).
struct NodeLoads {
  std::vector<std::string> nodes;
  std::vector<double> cpu_load;           // load average; NaN when slurmd reported none
  std::vector<double> free_memory_bytes;  // NaN when unknown
  bool operator==(const NodeLoads& o) const;
};

// NaN-aware: an unreported value equals an unreported value.
inline bool NodeLoads::operator==(const NodeLoads& o) const {
  auto same = [](const std::vector<double>& a, const std::vector<double>& b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (a[i] != b[i] && !(a[i] != a[i] && b[i] != b[i])) return false;  // NaN == NaN
    }
    return true;
  };
  return nodes == o.nodes && same(cpu_load, o.cpu_load) &&
         same(free_memory_bytes, o.free_memory_bytes);
}

// Nodes and partitions, loaded together so that partition membership indices stay consistent.
struct ClusterNodes {
  std::vector<Node> nodes;
  std::vector<Partition> partitions;
  bool operator==(const ClusterNodes&) const = default;
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
  kExpediting,  // checking for an expedited requeue (Slurm 25.11+)
  kUnknown,     // a state this build does not know (squeue prints "?")
  kCount,
};

struct Job {
  uint32_t job_id = 0;
  uint32_t array_job_id = 0;   // 0 when not part of an array
  int64_t array_task_id = -1;  // -1 when not a single array task
  uint32_t task_count = 1;     // tasks this record stands for (a pending array record: many)
  JobState state = JobState::kPending;
  bool ran = false;  // nodes were allocated to it at some point
  // Few distinct values over many jobs: interned (a pointer each).
  Interned partition;  // first partition listed (a pending job may list several)
  Interned reason;     // Slurm's reason name ("Resources", "Priority", ...); "None"
  Interned user;
  Interned account;
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

// One slurmctld (primary or backup) as pinged from the exporter.
struct ControllerHost {
  std::string host;
  std::string role;  // "primary", "backup1", "backup2", ...
  bool up = false;
  double latency_seconds = 0;
  int error_code = 0;  // Slurm error of the ping, 0 when up
};

// The Status code of a load that failed because slurmctld or slurmdbd and this build do not
// speak the same Slurm protocol (Slurm's SLURM_PROTOCOL_VERSION_ERROR).
inline constexpr int kProtocolMismatchCode = 1005;

struct ControllerPing {
  bool reachable = false;  // some controller answered
  double latency_seconds = 0;
  std::vector<ControllerHost> hosts;
  bool auth_rejected = false;      // slurmctld refused our credential (e.g. munge key mismatch)
  bool protocol_mismatch = false;  // slurmctld and this build speak different protocols
  std::string error;               // first ping error, "" when every controller answered
  int error_code = 0;              // its code (kProtocolMismatchCode for a mismatch)
  // From slurm_load_ctl_conf when a controller answered (kept from earlier polls otherwise).
  std::string cluster_name;
  std::string version;
  int64_t boot_time = 0;
};

// sdiag (slurm_get_statistics). Counters as Slurm keeps them (they reset at midnight for the
// job counters, and on `sdiag -r` and restarts); see stats_time_start.
struct RpcStat {
  std::string name;  // message type, or user name
  uint64_t count = 0;
  uint64_t time_us = 0;
};
struct SchedulerStats {
  int64_t time = 0;              // req_time
  int64_t stats_time_start = 0;  // req_time_start: when the counters were last reset
  uint32_t server_thread_count = 0;
  uint32_t agent_queue_size = 0;
  uint32_t agent_count = 0;
  uint32_t agent_thread_count = 0;
  uint32_t dbd_agent_queue_size = 0;
  uint32_t schedule_cycle_max_us = 0, schedule_cycle_last_us = 0;
  uint64_t schedule_cycle_sum_us = 0, schedule_cycle_counter = 0;
  uint32_t schedule_cycle_depth = 0, schedule_queue_len = 0;
  uint32_t jobs_submitted = 0, jobs_started = 0, jobs_completed = 0, jobs_canceled = 0,
           jobs_failed = 0;
  uint32_t jobs_pending = 0, jobs_running = 0;
  uint32_t bf_backfilled_jobs = 0, bf_last_backfilled_jobs = 0, bf_cycle_counter = 0;
  uint64_t bf_cycle_sum_us = 0;
  uint32_t bf_cycle_last_us = 0, bf_cycle_max_us = 0;
  uint32_t bf_last_depth = 0, bf_last_depth_try = 0, bf_queue_len = 0, bf_table_size = 0;
  int64_t bf_when_last_cycle = 0;
  bool bf_active = false;
  // Exit reasons of the main and backfill schedulers (Slurm 23.11+; empty before).
  std::vector<std::pair<std::string, uint64_t>> schedule_exit, bf_exit;
  std::vector<RpcStat> rpc_by_type, rpc_by_user;
  std::vector<std::pair<std::string, uint64_t>> rpc_queue_by_type;  // pending outgoing RPCs
};

struct DbdRollup {
  std::string period;  // "hour", "day", "month"
  uint64_t count = 0;
  int64_t last_timestamp = 0;
  double last_seconds = 0, max_seconds = 0, total_seconds = 0;
};
struct DbdStats {
  double latency_seconds = 0;    // of the slurmdb_get_stats call
  bool stats_available = false;  // false when slurmdbd answered but refused the stats
  std::string stats_error;
  int64_t time_start = 0;
  std::vector<RpcStat> rpc_by_type, rpc_by_user;
  std::vector<DbdRollup> rollups;
};

struct License {
  std::string name;
  uint32_t total = 0, in_use = 0, reserved = 0;
  bool remote = false;
};
struct Reservation {
  std::string name;
  std::vector<std::string> nodes;
  uint32_t node_count = 0;
  uint32_t core_count = 0;  // cores Slurm holds for it (CoreCnt; all cores of its nodes if whole)
  int64_t start_time = 0, end_time = 0;
  bool maint = false;
  std::string partition;
  std::string flags;  // Slurm's flag names, comma-separated
};
struct LicensesAndReservations {
  std::vector<License> licenses;
  std::vector<Reservation> reservations;
};

struct MungeStatus {
  bool ok = false;
  int error_code = 0;  // munge_err_t of the round trip, 0 on success
  std::string message;
  double latency_seconds = 0;
  std::string socket;
};

struct DatabaseStatus {
  uint64_t threads_connected = 0;
  uint64_t max_connections = 0;
  double latency_seconds = 0;
};

// One association of slurmctld's association manager (`scontrol show assoc_mgr`), with the
// usage that priority/multifactor keeps for it. Values Slurm has not computed are NaN.
struct Association {
  uint32_t id = 0;
  std::string account;
  std::string user;       // "" for an account's own association
  std::string partition;  // "" unless the association is limited to a partition
  std::string parent;     // parent account ("" for root)
  bool is_root = false;
  bool shares_from_parent = false;  // Fairshare=parent: no shares of its own
  uint32_t shares_raw = 0;          // RawShares (Fairshare=N)
  double shares_norm = 0;           // NormShares
  double usage_raw = 0;             // RawUsage: decayed billing-weighted seconds
  double usage_norm = 0;            // NormUsage
  double usage_efctv = 0;           // EffectvUsage (NaN where Slurm has not computed it)
  double fs_factor = 0;             // FairShare (the factor of a user association)
  double level_fs = 0;              // LevelFS (NaN with Fairshare=parent; +Inf unused)
  uint32_t used_jobs = 0;           // running jobs of the association and its children
  uint32_t grp_jobs = 0;            // GrpJobs limit; kNoLimit32 when none
  // Per TRES, in Fairshare::tres_names order: GrpTRES limit (kNoLimit64 when none), what is
  // allocated now (the GrpTRES usage), and decayed TRES-seconds of usage.
  std::vector<uint64_t> grp_tres;
  std::vector<uint64_t> grp_tres_used;
  std::vector<double> usage_tres_raw;
};
inline constexpr uint32_t kNoLimit32 = 0xffffffffu;
inline constexpr uint64_t kNoLimit64 = 0xffffffffffffffffull;

struct Fairshare {
  std::string priority_type;            // "priority/multifactor", "priority/basic"
  bool multifactor = false;             // usage and fairshare are kept only by priority/multifactor
  std::vector<std::string> tres_names;  // "cpu", "mem", "gres/gpu", ...
  std::vector<Association> associations;
};

// A job that ended, as slurmdbd recorded it, with sacct's figures.
struct FinishedJob {
  uint64_t record = 0;  // slurmdbd's record (db_index): counted once per record
  uint32_t job_id = 0;
  int64_t end_time = 0;  // unix seconds
  JobState state = JobState::kCompleted;
  std::string partition, account, user;
  uint32_t cpus = 0;            // AllocCPUS
  uint32_t gpus = 0;            // allocated gres/gpu
  double elapsed_seconds = 0;   // Elapsed
  double cpu_seconds = 0;       // TotalCPU: user + system time of all its steps
  double max_rss_bytes = -1;    // the largest MaxRSS of its steps; -1 when none reported one
  double req_memory_bytes = 0;  // ReqMem: the job's whole memory request; 0 when unknown
};

// One read of the jobs that ended in [from, to] (unix seconds), as far as slurmdbd knew them
// at the time of the read.
struct FinishedJobs {
  int64_t from = 0, to = 0;
  std::vector<FinishedJob> jobs;
};

// The outcome of loading one data source, whatever its data type. A source with its own
// interval keeps the state of its last load between loads.
struct SourceState {
  Status status = Status::Error("load", "not loaded yet");
  double duration_seconds = 0;   // time of the last load (library calls + conversion)
  double library_seconds = 0;    // of which inside the library calls (RPCs)
  double last_success_time = 0;  // unix seconds of the last successful load, 0 if never
  bool attempted = false;        // false when no enabled collector needs this source
  bool fresh() const { return attempted && status.ok(); }
};

// `data` may hold the last good data while `status` reports that the last load failed (the
// data are then stale).
template <typename T>
struct Source : SourceState {
  std::shared_ptr<const T> data;
};

struct JobSummary;     // collectors/jobs.h
struct JobEfficiency;  // collectors/job_efficiency.h

struct Snapshot {
  double time = 0;  // unix seconds when the poll started
  Source<ClusterNodes> nodes;
  Source<ControllerPing> ping;
  Source<Jobs> jobs;
  Source<SchedulerStats> scheduler;
  Source<DbdStats> dbd;
  Source<LicensesAndReservations> resources;
  Source<MungeStatus> munge;
  Source<DatabaseStatus> database;
  Source<Fairshare> fairshare;
  Source<NodeLoads> node_loads;
  Source<FinishedJobs> finished_jobs;
  std::shared_ptr<const WaitTimes> wait_times;          // derived from jobs by the poller
  std::shared_ptr<const JobSummary> job_summary;        // derived from jobs by the poller
  std::shared_ptr<const JobEfficiency> job_efficiency;  // from finished_jobs, by the poller
};

}  // namespace slurm_exporter
