// The only translation unit that includes Slurm's headers.
#include "collectors/slurm/libslurm_client.h"

#include <fmt/format.h>
#include <pwd.h>
#include <slurm/slurm.h>
#include <slurm/slurm_errno.h>
#include <slurm/slurm_version.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <map>
#include <type_traits>

#include "collectors/gres.h"
#include "collectors/slurm_text.h"

#define V(a, b, c) SLURM_VERSION_NUM(a, b, c)

#include <slurm/slurmdb.h>

// Exported by libslurm but not declared in its public headers.
extern "C" {
extern slurm_conf_t slurm_conf;  // the local configuration parsed by slurm_init()
bitoff_t slurm_bit_set_count(bitstr_t* b);
void slurm_free_stats_response_msg(stats_info_response_msg_t* msg);
#ifdef SLURM_HAVE_LIBSLURMFULL
// Private to libslurmfull: message type names for sdiag and slurmdbd RPC statistics.
char* rpc_num2string(uint16_t msg_type);
char* slurmdbd_msg_type_2_str(uint16_t msg_type, int get_enum);
#endif
#if SLURM_VERSION_NUMBER < SLURM_VERSION_NUM(24, 5, 0)
char* slurm_job_reason_string(int inx);
#else
const char* slurm_job_state_reason_string(int inx);
#endif
}

namespace slurm_exporter {
namespace {

struct NodeMsgFree {
  void operator()(node_info_msg_t* m) const { slurm_free_node_info_msg(m); }
};
struct JobMsgFree {
  void operator()(job_info_msg_t* m) const { slurm_free_job_info_msg(m); }
};
using JobMsg = std::unique_ptr<job_info_msg_t, JobMsgFree>;
struct PartMsgFree {
  void operator()(partition_info_msg_t* m) const { slurm_free_partition_info_msg(m); }
};
using NodeMsg = std::unique_ptr<node_info_msg_t, NodeMsgFree>;
using PartMsg = std::unique_ptr<partition_info_msg_t, PartMsgFree>;

Status SlurmErrorCode(std::string op, int err) {
  const char* text = slurm_strerror(err);
  return Status::Error(std::move(op), text ? text : "unknown error", err);
}

Status SlurmError(std::string op) {
  int err = slurm_get_errno();
  if (err == 0) err = errno;
  return SlurmErrorCode(std::move(op), err);
}

std::string Str(const char* s) { return s ? std::string(s) : std::string(); }

double SecondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

NodeBase MapBase(uint32_t state) {
  switch (state & NODE_STATE_BASE) {
    case NODE_STATE_DOWN:
      return NodeBase::kDown;
    case NODE_STATE_IDLE:
      return NodeBase::kIdle;
    case NODE_STATE_ALLOCATED:
      return NodeBase::kAllocated;
    case NODE_STATE_ERROR:
      return NodeBase::kError;
    case NODE_STATE_MIXED:
      return NodeBase::kMixed;
    case NODE_STATE_FUTURE:
      return NodeBase::kFuture;
    default:
      return NodeBase::kUnknown;
  }
}

uint32_t MapFlags(uint32_t state) {
  struct Bit {
    uint64_t slurm;
    uint32_t ours;
  };
  static constexpr Bit kBits[] = {
      {NODE_STATE_DRAIN, kNodeFlagDrain},
      {NODE_STATE_COMPLETING, kNodeFlagCompleting},
      {NODE_STATE_NO_RESPOND, kNodeFlagNotResponding},
      {NODE_STATE_POWERED_DOWN, kNodeFlagPoweredDown},
      {NODE_STATE_FAIL, kNodeFlagFail},
      {NODE_STATE_POWERING_UP, kNodeFlagPoweringUp},
      {NODE_STATE_MAINT, kNodeFlagMaint},
      {NODE_STATE_REBOOT_REQUESTED, kNodeFlagRebootRequested},
      {NODE_STATE_REBOOT_ISSUED, kNodeFlagRebootIssued},
      {NODE_STATE_POWERING_DOWN, kNodeFlagPoweringDown},
      {NODE_STATE_POWER_DOWN, kNodeFlagPowerDown},
      {NODE_STATE_RES, kNodeFlagReserved},
      {NODE_STATE_PLANNED, kNodeFlagPlanned},
      {NODE_STATE_INVALID_REG, kNodeFlagInvalidReg},
      {NODE_STATE_CLOUD, kNodeFlagCloud},
      {NODE_RESUME, kNodeFlagResume},
      {NODE_STATE_REBOOT_CANCEL, kNodeFlagRebootCancel},
      {NODE_STATE_POWER_UP, kNodeFlagPowerUp},
  };
  uint32_t out = 0;
  for (const Bit& b : kBits) {
    if (state & b.slurm) out |= b.ours;
  }
  return out;
}

PartitionState MapPartitionState(uint16_t state_up) {
  switch (state_up) {
    case PARTITION_UP:
      return PartitionState::kUp;
    case PARTITION_DOWN:
      return PartitionState::kDown;
    case PARTITION_DRAIN:
      return PartitionState::kDrain;
    default:
      return PartitionState::kInactive;
  }
}

constexpr uint64_t kMiB = 1024ull * 1024ull;

// Converts one record into `out`, every field assigned: a Node reused across records keeps
// its strings' capacity, so that comparing a reply with the previous table allocates nothing.
void ConvertNodeInto(node_info_t& n, Node& out) {
  out.name = n.name;
  out.base = MapBase(n.node_state);
  out.flags = MapFlags(n.node_state);
  out.cpus = n.cpus;
  out.real_memory_bytes = n.real_memory * kMiB;
  out.alloc_cpus = 0;
  out.alloc_memory_bytes = 0;
#if SLURM_VERSION_NUMBER < V(25, 5, 0)
  uint16_t alloc_cpus = 0;
  if (slurm_get_select_nodeinfo(n.select_nodeinfo, SELECT_NODEDATA_SUBCNT, NODE_STATE_ALLOCATED,
                                &alloc_cpus) == SLURM_SUCCESS) {
    out.alloc_cpus = alloc_cpus;
  }
  uint64_t alloc_mem = 0;  // the plugins store a uint64_t despite the header's comment
  if (slurm_get_select_nodeinfo(n.select_nodeinfo, SELECT_NODEDATA_MEM_ALLOC, NODE_STATE_ALLOCATED,
                                &alloc_mem) == SLURM_SUCCESS) {
    out.alloc_memory_bytes = alloc_mem * kMiB;
  }
#else
  out.alloc_cpus = n.alloc_cpus;
  out.alloc_memory_bytes = n.alloc_memory * kMiB;
#endif
  out.gpus = n.gres ? static_cast<uint32_t>(GresCount(n.gres, "gpu")) : 0;
  out.alloc_gpus = n.gres_used ? static_cast<uint32_t>(GresCount(n.gres_used, "gpu")) : 0;
  if (n.reason && *n.reason) {
    out.reason = n.reason;
    out.reason_time = static_cast<int64_t>(n.reason_time);
  } else {
    out.reason.clear();
    out.reason_time = 0;
  }
}

struct StatsFree {
  void operator()(stats_info_response_msg_t* m) const { slurm_free_stats_response_msg(m); }
};
struct CtlConfFree {
  void operator()(slurm_conf_t* m) const { slurm_free_ctl_conf(m); }
};
struct LicFree {
  void operator()(license_info_msg_t* m) const { slurm_free_license_info_msg(m); }
};
struct ResvFree {
  void operator()(reserve_info_msg_t* m) const { slurm_free_reservation_info_msg(m); }
};
struct DbdStatsFree {
  void operator()(slurmdb_stats_rec_t* m) const { slurmdb_destroy_stats_rec(m); }
};
struct HostlistFree {
  void operator()(hostlist_t h) const { slurm_hostlist_destroy(h); }
};

std::string RpcName(uint16_t id) {
#ifdef SLURM_HAVE_LIBSLURMFULL
  if (const char* n = rpc_num2string(id)) return n;
#endif
  return fmt::format("RPC_{}", id);
}

std::string DbdRpcName(uint16_t id) {
#ifdef SLURM_HAVE_LIBSLURMFULL
  if (const char* n = slurmdbd_msg_type_2_str(id, 1)) return n;
#endif
  return fmt::format("DBD_{}", id);
}

std::vector<std::string> ExpandHostlist(const char* expr) {
  std::vector<std::string> out;
  if (expr == nullptr || *expr == '\0') return out;
  std::unique_ptr<std::remove_pointer_t<hostlist_t>, HostlistFree> hl(slurm_hostlist_create(expr));
  if (!hl) return out;
  while (char* h = slurm_hostlist_shift(hl.get())) {
    out.emplace_back(h);
    std::free(h);
  }
  return out;
}

// Names of the reservation flags admins act on (Slurm's own formatter returns memory from its
// private allocator, which cannot be released from here).
std::string ReservationFlags(uint64_t flags) {
  static constexpr std::pair<uint64_t, const char*> kNames[] = {
      {RESERVE_FLAG_MAINT, "MAINT"},           {RESERVE_FLAG_DAILY, "DAILY"},
      {RESERVE_FLAG_WEEKLY, "WEEKLY"},         {RESERVE_FLAG_IGN_JOBS, "IGNORE_JOBS"},
      {RESERVE_FLAG_ANY_NODES, "ANY_NODES"},   {RESERVE_FLAG_STATIC, "STATIC"},
      {RESERVE_FLAG_PART_NODES, "PART_NODES"}, {RESERVE_FLAG_OVERLAP, "OVERLAP"},
      {RESERVE_FLAG_SPEC_NODES, "SPEC_NODES"}, {RESERVE_FLAG_TIME_FLOAT, "TIME_FLOAT"},
      {RESERVE_FLAG_REPLACE, "REPLACE"},       {RESERVE_FLAG_ALL_NODES, "ALL_NODES"},
      {RESERVE_FLAG_PURGE_COMP, "PURGE_COMP"}, {RESERVE_FLAG_FLEX, "FLEX"},
      {RESERVE_FLAG_MAGNETIC, "MAGNETIC"},     {RESERVE_FLAG_HOURLY, "HOURLY"},
  };
  std::string out;
  for (const auto& [bit, name] : kNames) {
    if (flags & bit) {
      if (!out.empty()) out += ',';
      out += name;
    }
  }
  return out;
}

// slurmctld refused our credential. It says so only in its own log ("Protocol authentication
// error") and closes the connection without a reply, so a receive failure that comes back at
// once (a frozen controller times out after MessageTimeout instead) counts as a rejection too.
bool IsAuthRejection(int code, double latency_seconds) {
  if (code == SLURM_PROTOCOL_AUTHENTICATION_ERROR ||
      (code >= ESLURM_AUTH_CRED_INVALID && code <= ESLURM_AUTH_UNPACK)) {
    return true;
  }
  const bool no_reply = code == SLURMCTLD_COMMUNICATIONS_RECEIVE_ERROR ||
                        code == SLURM_COMMUNICATIONS_RECEIVE_ERROR ||
                        code == SLURM_PROTOCOL_SOCKET_ZERO_BYTES_SENT;
  return no_reply && latency_seconds < 1.0;
}

JobState MapJobState(uint32_t state) {
  struct Flag {
    uint32_t bit;
    JobState ours;
  };
  // squeue's precedence (job_state_string): flag states first.
  static constexpr Flag kFlags[] = {
      {JOB_COMPLETING, JobState::kCompleting},     {JOB_STAGE_OUT, JobState::kStageOut},
      {JOB_CONFIGURING, JobState::kConfiguring},   {JOB_RESIZING, JobState::kResizing},
      {JOB_REQUEUE, JobState::kRequeued},          {JOB_REQUEUE_FED, JobState::kRequeueFed},
      {JOB_REQUEUE_HOLD, JobState::kRequeueHold},  {JOB_SPECIAL_EXIT, JobState::kSpecialExit},
      {JOB_STOPPED, JobState::kStopped},           {JOB_REVOKED, JobState::kRevoked},
      {JOB_RESV_DEL_HOLD, JobState::kResvDelHold}, {JOB_SIGNALING, JobState::kSignaling},
  };
  for (const Flag& f : kFlags) {
    if (state & f.bit) return f.ours;
  }
  switch (state & JOB_STATE_BASE) {
    case JOB_PENDING:
      return JobState::kPending;
    case JOB_RUNNING:
      return JobState::kRunning;
    case JOB_SUSPENDED:
      return JobState::kSuspended;
    case JOB_COMPLETE:
      return JobState::kCompleted;
    case JOB_CANCELLED:
      return JobState::kCancelled;
    case JOB_FAILED:
      return JobState::kFailed;
    case JOB_TIMEOUT:
      return JobState::kTimeout;
    case JOB_NODE_FAIL:
      return JobState::kNodeFail;
    case JOB_PREEMPTED:
      return JobState::kPreempted;
    case JOB_BOOT_FAIL:
      return JobState::kBootFail;
    case JOB_DEADLINE:
      return JobState::kDeadline;
    case JOB_OOM:
      return JobState::kOutOfMemory;
    default:
      return JobState::kFailed;
  }
}

}  // namespace

// Runs a library call and adds its duration to `acc`.
template <typename F>
auto Timed(double& acc, F&& f) {
  auto t0 = std::chrono::steady_clock::now();
  if constexpr (std::is_void_v<decltype(f())>) {
    f();
    acc += SecondsSince(t0);
  } else {
    auto r = f();
    acc += SecondsSince(t0);
    return r;
  }
}

struct LibSlurmClient::State {
  double library_seconds = 0;
  NodeMsg nodes;
  PartMsg parts;
  std::shared_ptr<const ClusterNodes> converted;
  time_t jobs_update = 0;
  std::shared_ptr<const Jobs> jobs;
  std::map<uint32_t, Interned> user_names;
  std::map<uint32_t, Interned> reasons;

  // controller
  time_t conf_update = 0;
  std::string cluster_name, version;
  int64_t boot_time = 0;
  // sdiag exit-reason order is private to slurmctld (slurmctld.h), see SLURM-API-VERSIONS.
  // slurmdbd
  void* db_conn = nullptr;
  // licenses and reservations
  time_t lic_update = 0, resv_update = 0;
  std::shared_ptr<const LicensesAndReservations> resources;
  std::vector<License> licenses;
  std::vector<Reservation> reservations;

  void CloseDbd() {
    if (db_conn) slurmdb_connection_close(&db_conn);
    db_conn = nullptr;
  }

  const Interned& UserName(uint32_t uid) {
    auto it = user_names.find(uid);
    if (it != user_names.end()) return it->second;
    std::string name = std::to_string(uid);
    passwd pw{};
    passwd* res = nullptr;
    char buf[4096];
    if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) == 0 && res != nullptr && res->pw_name) {
      name = res->pw_name;
    }
    return user_names.emplace(uid, std::move(name)).first->second;
  }
  const Interned& Reason(uint32_t code) {
    auto it = reasons.find(code);
    if (it != reasons.end()) return it->second;
#if SLURM_VERSION_NUMBER < V(24, 5, 0)
    const char* text = slurm_job_reason_string(static_cast<int>(code));
#else
    const char* text = slurm_job_state_reason_string(static_cast<int>(code));
#endif
    return reasons.emplace(code, text ? Interned(text) : Interned(std::to_string(code)))
        .first->second;
  }
};

LibSlurmClient::LibSlurmClient(std::string conf_path)
    : conf_path_(std::move(conf_path)), state_(std::make_unique<State>()) {}

LibSlurmClient::~LibSlurmClient() {
  state_->CloseDbd();
  state_.reset();
  slurm_fini();
}

Result<std::unique_ptr<LibSlurmClient>> LibSlurmClient::Create(const std::string& conf_path) {
  std::string path = conf_path;
  std::string from = "--slurm.conf";
  if (path.empty()) {
    const char* env = std::getenv("SLURM_CONF");
    if (env && *env) {
      path = env;
      from = "SLURM_CONF";
    } else {
      path = SLURM_CONF_DEFAULT_PATH;
      from = "default path";
    }
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return Status::Error("slurm.conf",
                         fmt::format("cannot read {} (from {}): {}; set --slurm.conf or SLURM_CONF",
                                     path, from, std::strerror(errno)));
  }
  if (!S_ISREG(st.st_mode) || ::access(path.c_str(), R_OK) != 0) {
    return Status::Error("slurm.conf",
                         fmt::format("{} (from {}) is not a readable file", path, from));
  }
  ::setenv("SLURM_CONF", path.c_str(), 1);

  // slurm_init() ends the process on a bad configuration: try it in a child first.
  pid_t pid = ::fork();
  if (pid < 0) return Status::Error("fork", std::strerror(errno), errno);
  if (pid == 0) {
    slurm_init(path.c_str());
    ::_exit(0);
  }
  int wstatus = 0;
  while (::waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
    return Status::Error(
        "slurm_init",
        fmt::format("libslurm could not load its configuration from {} (child {} with status {}); "
                    "see the messages above",
                    path, WIFEXITED(wstatus) ? "exited" : "was killed",
                    WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : WTERMSIG(wstatus)));
  }
  slurm_init(path.c_str());
  return std::unique_ptr<LibSlurmClient>(new LibSlurmClient(path));
}

double LibSlurmClient::TakeLibrarySeconds() {
  double s = state_->library_seconds;
  state_->library_seconds = 0;
  return s;
}

std::string LibSlurmClient::ApiVersion() const {
  return fmt::format("{:02}.{:02}.{}", SLURM_VERSION_MAJOR(SLURM_VERSION_NUMBER),
                     SLURM_VERSION_MINOR(SLURM_VERSION_NUMBER),
                     SLURM_VERSION_MICRO(SLURM_VERSION_NUMBER));
}

Result<ControllerPing> LibSlurmClient::Ping() {
  State& st = *state_;
  ControllerPing p;
  const uint32_t n = slurm_conf.control_cnt > 0 ? slurm_conf.control_cnt : 1;
  for (uint32_t i = 0; i < n; ++i) {
    ControllerHost h;
    h.host = (slurm_conf.control_machine && slurm_conf.control_machine[i])
                 ? slurm_conf.control_machine[i]
                 : "unknown";
    h.role = i == 0 ? "primary" : fmt::format("backup{}", i);
    auto t0 = std::chrono::steady_clock::now();
    int rc = Timed(st.library_seconds, [&] { return slurm_ping(static_cast<int>(i)); });
    h.latency_seconds = SecondsSince(t0);
    if (rc == SLURM_SUCCESS) {
      h.up = true;
      p.reachable = true;
    } else {
      h.error_code = rc == SLURM_ERROR ? slurm_get_errno() : rc;
      if (IsAuthRejection(h.error_code, h.latency_seconds)) p.auth_rejected = true;
      const char* text = slurm_strerror(h.error_code);
      if (p.error.empty()) p.error = fmt::format("{}: {}", h.host, text ? text : "error");
    }
    if (i == 0) p.latency_seconds = h.latency_seconds;
    p.hosts.push_back(std::move(h));
  }
  if (p.reachable) {
    slurm_conf_t* conf = nullptr;
    if (Timed(st.library_seconds, [&] { return slurm_load_ctl_conf(st.conf_update, &conf); }) ==
        SLURM_SUCCESS) {
      std::unique_ptr<slurm_conf_t, CtlConfFree> owned(conf);
      st.conf_update = conf->last_update;
      st.cluster_name = Str(conf->cluster_name);
      st.version = Str(conf->version);
      st.boot_time = static_cast<int64_t>(conf->boot_time);
    }
  }
  p.cluster_name = st.cluster_name;
  p.version = st.version;
  p.boot_time = st.boot_time;
  return p;
}

Status LibSlurmClient::UpdateNode(const std::string& node, NodeUpdate what,
                                  const std::string& reason) {
  update_node_msg_t msg;
  slurm_init_update_node_msg(&msg);
  std::string names = node;
  std::string why = reason;
  msg.node_names = names.data();
  if (what == NodeUpdate::kDrain) {
    msg.node_state = NODE_STATE_DRAIN;
    msg.reason = why.data();
    msg.reason_uid = static_cast<uint32_t>(getuid());
  } else {
    msg.node_state = NODE_RESUME;
  }
  if (slurm_update_node(&msg) != SLURM_SUCCESS) {
    return SlurmError(what == NodeUpdate::kDrain ? "slurm_update_node(drain " + node + ")"
                                                 : "slurm_update_node(resume " + node + ")");
  }
  return Status::Ok();
}

std::string LibSlurmClient::MungeSocket() const {
  return slurm_conf.authinfo ? ParseAuthInfoSocket(slurm_conf.authinfo) : std::string();
}

Result<std::shared_ptr<const SchedulerStats>> LibSlurmClient::LoadSchedulerStats() {
  stats_info_request_msg_t req{};
  req.command_id = STAT_COMMAND_GET;
  stats_info_response_msg_t* raw = nullptr;
  if (Timed(state_->library_seconds, [&] { return slurm_get_statistics(&raw, &req); }) !=
          SLURM_SUCCESS ||
      raw == nullptr) {
    return SlurmError("slurm_get_statistics");
  }
  std::unique_ptr<stats_info_response_msg_t, StatsFree> r(raw);
  auto out = std::make_shared<SchedulerStats>();
  SchedulerStats& o = *out;
  o.time = static_cast<int64_t>(r->req_time);
  o.stats_time_start = static_cast<int64_t>(r->req_time_start);
  o.server_thread_count = r->server_thread_count;
  o.agent_queue_size = r->agent_queue_size;
  o.agent_count = r->agent_count;
  o.agent_thread_count = r->agent_thread_count;
  o.dbd_agent_queue_size = r->dbd_agent_queue_size;
  o.schedule_cycle_max_us = r->schedule_cycle_max;
  o.schedule_cycle_last_us = r->schedule_cycle_last;
  o.schedule_cycle_sum_us = r->schedule_cycle_sum;
  o.schedule_cycle_counter = r->schedule_cycle_counter;
  o.schedule_cycle_depth = r->schedule_cycle_depth;
  o.schedule_queue_len = r->schedule_queue_len;
  o.jobs_submitted = r->jobs_submitted;
  o.jobs_started = r->jobs_started;
  o.jobs_completed = r->jobs_completed;
  o.jobs_canceled = r->jobs_canceled;
  o.jobs_failed = r->jobs_failed;
  o.jobs_pending = r->jobs_pending;
  o.jobs_running = r->jobs_running;
  o.bf_backfilled_jobs = r->bf_backfilled_jobs;
  o.bf_last_backfilled_jobs = r->bf_last_backfilled_jobs;
  o.bf_cycle_counter = r->bf_cycle_counter;
  o.bf_cycle_sum_us = r->bf_cycle_sum;
  o.bf_cycle_last_us = r->bf_cycle_last;
  o.bf_cycle_max_us = r->bf_cycle_max;
  o.bf_last_depth = r->bf_last_depth;
  o.bf_last_depth_try = r->bf_last_depth_try;
  o.bf_queue_len = r->bf_queue_len;
  o.bf_table_size = r->bf_table_size;
  o.bf_when_last_cycle = static_cast<int64_t>(r->bf_when_last_cycle);
  o.bf_active = r->bf_active != 0;
#if SLURM_VERSION_NUMBER >= V(23, 11, 0)
  // Index order is private to slurmctld (slurmctld.h); names as sdiag prints them.
  static constexpr const char* kSchedExit[] = {"end_job_queue",  "default_queue_depth",
                                               "max_job_start",  "max_rpc_cnt",
                                               "max_sched_time", "licenses"};
  static constexpr const char* kBfExit[] = {"end_job_queue",      "bf_max_job_start",
                                            "bf_max_job_test",    "state_changed",
                                            "bf_node_space_size", "bf_max_time"};
  for (uint32_t i = 0; i < r->schedule_exit_cnt && i < std::size(kSchedExit); ++i) {
    o.schedule_exit.emplace_back(kSchedExit[i], r->schedule_exit[i]);
  }
  for (uint32_t i = 0; i < r->bf_exit_cnt && i < std::size(kBfExit); ++i) {
    o.bf_exit.emplace_back(kBfExit[i], r->bf_exit[i]);
  }
#endif
  for (uint32_t i = 0; i < r->rpc_type_size; ++i) {
    o.rpc_by_type.push_back({RpcName(r->rpc_type_id[i]), r->rpc_type_cnt[i], r->rpc_type_time[i]});
  }
  for (uint32_t i = 0; i < r->rpc_user_size; ++i) {
    o.rpc_by_user.push_back(
        {state_->UserName(r->rpc_user_id[i]), r->rpc_user_cnt[i], r->rpc_user_time[i]});
  }
  for (uint32_t i = 0; i < r->rpc_queue_type_count; ++i) {
    o.rpc_queue_by_type.emplace_back(RpcName(static_cast<uint16_t>(r->rpc_queue_type_id[i])),
                                     r->rpc_queue_count[i]);
  }
  return std::shared_ptr<const SchedulerStats>(std::move(out));
}

Result<std::shared_ptr<const DbdStats>> LibSlurmClient::LoadDbdStats() {
  State& st = *state_;
  if (st.db_conn == nullptr) {
    uint16_t flags = 0;
    st.db_conn = slurmdb_connection_get(&flags);
    if (st.db_conn == nullptr) {
      int err = slurm_get_errno();
      if (err == 0) {
        return Status::Error("slurmdb_connection_get",
                             "no slurmdbd connection (is AccountingStorageType "
                             "accounting_storage/slurmdbd?)");
      }
      return SlurmErrorCode("slurmdb_connection_get", err);
    }
  }
  auto out = std::make_shared<DbdStats>();
  slurmdb_stats_rec_t* raw = nullptr;
  auto t0 = std::chrono::steady_clock::now();
  int rc = Timed(st.library_seconds, [&] { return slurmdb_get_stats(st.db_conn, &raw); });
  out->latency_seconds = SecondsSince(t0);
  std::unique_ptr<slurmdb_stats_rec_t, DbdStatsFree> rec(raw);
  if (rc != SLURM_SUCCESS) {
    int err = rc == SLURM_ERROR ? slurm_get_errno() : rc;
    if (err == ESLURM_ACCESS_DENIED || err == ESLURM_USER_ID_MISSING) {
      // slurmdbd answered: it is up, but these statistics need AdminLevel=Admin.
      out->stats_error = slurm_strerror(err);
      return std::shared_ptr<const DbdStats>(std::move(out));
    }
    st.CloseDbd();  // re-open on the next poll
    return SlurmErrorCode("slurmdb_get_stats", err);
  }
  if (!rec) {
    st.CloseDbd();
    return Status::Error("slurmdb_get_stats", "no statistics returned");
  }
  out->stats_available = true;
  out->time_start = static_cast<int64_t>(rec->time_start);
  auto read_rpcs = [](struct xlist* list, auto name_of, std::vector<RpcStat>& dst) {
    if (list == nullptr) return;
    struct listIterator* it = slurm_list_iterator_create(list);
    while (auto* obj = static_cast<slurmdb_rpc_obj_t*>(slurm_list_next(it))) {
      dst.push_back({name_of(obj->id), obj->cnt, obj->time});
    }
    slurm_list_iterator_destroy(it);
  };
  read_rpcs(
      rec->rpc_list, [](uint32_t id) { return DbdRpcName(static_cast<uint16_t>(id)); },
      out->rpc_by_type);
  read_rpcs(
      rec->user_list, [&](uint32_t id) { return st.UserName(id); }, out->rpc_by_user);
  if (const slurmdb_rollup_stats_t* r = rec->dbd_rollup_stats) {
    static constexpr const char* kPeriods[] = {"hour", "day", "month"};
    for (int i = 0; i < DBD_ROLLUP_COUNT && i < 3; ++i) {
      DbdRollup roll;
      roll.period = kPeriods[i];
      roll.count = r->count[i];
      roll.last_timestamp = static_cast<int64_t>(r->timestamp[i]);
      roll.last_seconds = static_cast<double>(r->time_last[i]) / 1e6;
      roll.max_seconds = static_cast<double>(r->time_max[i]) / 1e6;
      roll.total_seconds = static_cast<double>(r->time_total[i]) / 1e6;
      out->rollups.push_back(roll);
    }
  }
  return std::shared_ptr<const DbdStats>(std::move(out));
}

Result<std::shared_ptr<const LicensesAndReservations>> LibSlurmClient::LoadResources() {
  State& st = *state_;
  bool changed = false;
  license_info_msg_t* lic = nullptr;
  if (Timed(st.library_seconds, [&] {
        return slurm_load_licenses(st.resources ? st.lic_update : 0, &lic, SHOW_ALL);
      }) == SLURM_SUCCESS) {
    std::unique_ptr<license_info_msg_t, LicFree> owned(lic);
    st.lic_update = lic->last_update;
    st.licenses.clear();
    for (uint32_t i = 0; i < lic->num_lic; ++i) {
      const slurm_license_info_t& l = lic->lic_array[i];
      st.licenses.push_back({Str(l.name), l.total, l.in_use, l.reserved, l.remote != 0});
    }
    changed = true;
  } else if (slurm_get_errno() != SLURM_NO_CHANGE_IN_DATA || !st.resources) {
    return SlurmError("slurm_load_licenses");
  }
  reserve_info_msg_t* resv = nullptr;
  if (Timed(st.library_seconds, [&] {
        return slurm_load_reservations(st.resources ? st.resv_update : 0, &resv);
      }) == SLURM_SUCCESS) {
    std::unique_ptr<reserve_info_msg_t, ResvFree> owned(resv);
    st.resv_update = resv->last_update;
    st.reservations.clear();
    for (uint32_t i = 0; i < resv->record_count; ++i) {
      const reserve_info_t& r = resv->reservation_array[i];
      Reservation out;
      out.name = Str(r.name);
      out.nodes = ExpandHostlist(r.node_list);
      out.node_count = r.node_cnt;
      out.start_time = static_cast<int64_t>(r.start_time);
      out.end_time = static_cast<int64_t>(r.end_time);
      out.maint = (r.flags & RESERVE_FLAG_MAINT) != 0;
      out.partition = Str(r.partition);
      out.flags = ReservationFlags(r.flags);
      st.reservations.push_back(std::move(out));
    }
    changed = true;
  } else if (slurm_get_errno() != SLURM_NO_CHANGE_IN_DATA || !st.resources) {
    return SlurmError("slurm_load_reservations");
  }
  if (changed || !st.resources) {
    auto out = std::make_shared<LicensesAndReservations>();
    out->licenses = st.licenses;
    out->reservations = st.reservations;
    st.resources = std::move(out);
  }
  return st.resources;
}

Result<std::shared_ptr<const Jobs>> LibSlurmClient::LoadJobs() {
  State& st = *state_;
  job_info_msg_t* raw = nullptr;
  if (Timed(st.library_seconds, [&] {
        return slurm_load_jobs(st.jobs ? st.jobs_update : 0, &raw, SHOW_ALL);
      }) != SLURM_SUCCESS) {
    if (slurm_get_errno() == SLURM_NO_CHANGE_IN_DATA && st.jobs) return st.jobs;
    return SlurmError("slurm_load_jobs");
  }
  JobMsg msg(raw);
  // Jobs come grouped by partition and account more often than not: the value of the record
  // before is reused when the text is the same (the views point into the reply).
  struct LastValue {
    std::string_view text;
    Interned value;
    const Interned& Of(std::string_view t) {
      if (t != text) {
        value = Interned(t);
        text = t;
      }
      return value;
    }
  } last_partition, last_account;
  auto out = std::make_shared<Jobs>();
  out->jobs.reserve(msg->record_count);
  for (uint32_t i = 0; i < msg->record_count; ++i) {
    const slurm_job_info_t& j = msg->job_array[i];
    Job job;
    job.job_id = j.job_id;
    job.array_job_id = j.array_job_id;
    if (j.array_task_id != NO_VAL && j.array_job_id != 0) {
      job.array_task_id = j.array_task_id;
    } else if (j.array_job_id != 0) {
      // A record standing for the array's pending tasks.
      uint64_t n = 0;
      if (j.array_bitmap) {
        n = static_cast<uint64_t>(slurm_bit_set_count(static_cast<bitstr_t*>(j.array_bitmap)));
      } else if (j.array_task_str) {
        n = ArrayTaskCount(j.array_task_str);
      }
      job.task_count = n > 0 ? static_cast<uint32_t>(n) : 1;
    }
    job.state = MapJobState(j.job_state);
    job.ran = j.nodes != nullptr && j.nodes[0] != '\0' && job.state != JobState::kPending;
    if (j.partition) job.partition = last_partition.Of(FirstPartition(j.partition));
    job.reason = st.Reason(j.state_reason);
    job.user = st.UserName(j.user_id);
    if (j.account) job.account = last_account.Of(j.account);
    job.cpus = j.num_cpus;
    const char* tres = job.ran && j.tres_alloc_str ? j.tres_alloc_str : j.tres_req_str;
    uint64_t gpus = tres ? TresCount(tres, "gres/gpu") : 0;
    if (gpus == 0) {  // gres/gpu is not in AccountingStorageTRES: use the request itself
      if (j.tres_per_job) gpus = TresPerCount(j.tres_per_job, "gpu");
      if (gpus == 0 && j.tres_per_node) {
        gpus = TresPerCount(j.tres_per_node, "gpu") * std::max<uint32_t>(1, j.num_nodes);
      }
      if (gpus == 0 && j.tres_per_task && j.num_tasks != NO_VAL) {
        gpus = TresPerCount(j.tres_per_task, "gpu") * std::max<uint32_t>(1, j.num_tasks);
      }
    }
    job.gpus = static_cast<uint32_t>(gpus);
    job.submit_time = static_cast<int64_t>(j.submit_time);
    job.eligible_time = static_cast<int64_t>(j.eligible_time);
    job.start_time = static_cast<int64_t>(j.start_time);
    out->jobs.push_back(std::move(job));
  }
  st.jobs_update = msg->last_update;
  // Free libslurm's reply before publishing ours; freeing it is library time (a bare client
  // pays it as well).
  Timed(st.library_seconds, [&] { msg.reset(); });
  st.jobs = std::move(out);
  return st.jobs;
}

Result<std::shared_ptr<const ClusterNodes>> LibSlurmClient::LoadNodes() {
  State& st = *state_;
  bool changed = false;

  partition_info_msg_t* parts = nullptr;
  time_t parts_since = st.parts ? st.parts->last_update : 0;
  if (Timed(st.library_seconds, [&] {
        return slurm_load_partitions(parts_since, &parts, SHOW_ALL);
      }) == SLURM_SUCCESS) {
    Timed(st.library_seconds, [&] { st.parts.reset(parts); });  // frees the previous reply
    changed = true;
  } else if (slurm_get_errno() != SLURM_NO_CHANGE_IN_DATA || !st.parts) {
    return SlurmError("slurm_load_partitions");
  }

  node_info_msg_t* nodes = nullptr;
  time_t nodes_since = st.nodes ? st.nodes->last_update : 0;
  // SHOW_DETAIL: gres_used (allocated GPUs) is only sent with it.
  if (Timed(st.library_seconds, [&] {
        return slurm_load_node(nodes_since, &nodes,
                               SHOW_ALL | SHOW_MIXED | SHOW_FUTURE | SHOW_DETAIL);
      }) == SLURM_SUCCESS) {
    Timed(st.library_seconds, [&] { st.nodes.reset(nodes); });  // frees the previous reply
    changed = true;
  } else if (slurm_get_errno() != SLURM_NO_CHANGE_IN_DATA || !st.nodes) {
    return SlurmError("slurm_load_node");
  }

  if (!changed && st.converted) return st.converted;

  // Hidden records (no name) keep slurmctld's node indices aligned; skip them but map indices.
  std::vector<int64_t> index_map(st.nodes->record_count, -1);
  std::vector<node_info_t*> named;
  named.reserve(st.nodes->record_count);
  for (uint32_t i = 0; i < st.nodes->record_count; ++i) {
    node_info_t& n = st.nodes->node_array[i];
    if (n.name == nullptr) continue;
    index_map[i] = static_cast<int64_t>(named.size());
    named.push_back(&n);
  }
  // slurmctld resends the whole node table whenever any record changes, mostly in fields no
  // collector exposes. First compare the records with the nodes we have, through one reused
  // Node, without building a table; equal data keep the previous object (and so the
  // collectors' text built from it).
  bool same_nodes = st.converted != nullptr && st.converted->nodes.size() == named.size();
  if (same_nodes) {
    Node scratch;
    for (size_t k = 0; k < named.size() && same_nodes; ++k) {
      ConvertNodeInto(*named[k], scratch);
      same_nodes = scratch == st.converted->nodes[k];
    }
  }
  std::vector<Node> converted;
  if (!same_nodes) {
    converted.resize(named.size());
    for (size_t k = 0; k < named.size(); ++k) ConvertNodeInto(*named[k], converted[k]);
  }
  std::vector<Partition> partitions;
  partitions.reserve(st.parts->record_count);
  for (uint32_t i = 0; i < st.parts->record_count; ++i) {
    const partition_info_t& p = st.parts->partition_array[i];
    Partition part;
    part.name = Str(p.name);
    part.state = MapPartitionState(p.state_up);
    part.is_default = p.flags & PART_FLAG_DEFAULT;
    part.hidden = p.flags & PART_FLAG_HIDDEN;
    part.total_nodes = p.total_nodes;
    part.total_cpus = p.total_cpus;
    part.max_time_seconds =
        (p.max_time == INFINITE || p.max_time == NO_VAL) ? -1 : int64_t{p.max_time} * 60;
    if (p.node_inx) {
      for (int k = 0; p.node_inx[k] >= 0 && p.node_inx[k + 1] >= 0; k += 2) {
        for (int32_t j = p.node_inx[k]; j <= p.node_inx[k + 1]; ++j) {
          if (j >= 0 && static_cast<size_t>(j) < index_map.size() && index_map[j] >= 0) {
            part.node_indices.push_back(static_cast<uint32_t>(index_map[j]));
          }
        }
      }
    }
    partitions.push_back(std::move(part));
  }
  if (same_nodes && partitions == st.converted->partitions) return st.converted;
  auto out = std::make_shared<ClusterNodes>();
  out->nodes = same_nodes ? st.converted->nodes : std::move(converted);
  out->partitions = std::move(partitions);
  st.converted = std::move(out);
  return st.converted;
}

}  // namespace slurm_exporter
