#include "collectors/slurm/convert.h"

#include <fmt/format.h>
#include <pwd.h>

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <memory>

#include "collectors/slurm/gres.h"
#include "collectors/slurm/text.h"

namespace slurm_exporter::slurm_convert {
namespace {

constexpr uint64_t kMiB = 1024ull * 1024ull;

std::string Str(const char* s) { return s ? std::string(s) : std::string(); }

std::vector<std::string> ExpandHostlist(const char* expr) {
  std::vector<std::string> out;
  if (expr == nullptr || *expr == '\0') return out;
  std::unique_ptr<std::remove_pointer_t<slurm_compat::HostlistHandle>, slurm_compat::HostlistFree>
      hl(slurm_hostlist_create(expr));
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

// Tasks a job record stands for: a pending array record stands for its pending tasks.
uint32_t TaskCount(const slurm_job_info_t& j) {
  if (j.array_job_id == 0 || j.array_task_id != NO_VAL) return 1;
  uint64_t n = 0;
  if (j.array_bitmap) {
    n = static_cast<uint64_t>(slurm_bit_set_count(static_cast<bitstr_t*>(j.array_bitmap)));
  } else if (j.array_task_str) {
    n = ArrayTaskCount(j.array_task_str);
  }
  return n > 0 ? static_cast<uint32_t>(std::min<uint64_t>(n, UINT32_MAX)) : 1;
}

uint64_t JobGpus(const slurm_job_info_t& j, bool ran) {
  const char* tres = ran && j.tres_alloc_str ? j.tres_alloc_str : j.tres_req_str;
  uint64_t gpus = tres ? TresCount(tres, "gres/gpu") : 0;
  if (gpus > 0) return gpus;
  // gres/gpu is not in AccountingStorageTRES: use the request itself.
  if (j.tres_per_job) gpus = TresPerCount(j.tres_per_job, "gpu");
  if (gpus == 0 && j.tres_per_node) {
    gpus = TresPerCount(j.tres_per_node, "gpu") * std::max<uint32_t>(1, j.num_nodes);
  }
  if (gpus == 0 && j.tres_per_task && j.num_tasks != NO_VAL) {
    gpus = TresPerCount(j.tres_per_task, "gpu") * std::max<uint32_t>(1, j.num_tasks);
  }
  return gpus;
}

}  // namespace

NodeBase MapNodeBase(uint32_t state) {
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

uint32_t MapNodeFlags(uint32_t state) {
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
      {slurm_compat::kNodeStateBlocked, kNodeFlagBlocked},
      {slurm_compat::kNodeStateExternal, kNodeFlagExternal},
  };
  uint32_t out = 0;
  for (const Bit& b : kBits) {
    if (state & b.slurm) out |= b.ours;
  }
  return out;
}

void ConvertNodeInto(const node_info_t& n, Node& out) {
  out.name = n.name ? n.name : "";
  out.base = MapNodeBase(n.node_state);
  out.flags = MapNodeFlags(n.node_state);
  out.cpus = n.cpus;
  out.real_memory_bytes = n.real_memory * kMiB;
  const slurm_compat::NodeAlloc alloc = slurm_compat::NodeAllocation(n);
  out.alloc_cpus = alloc.cpus;
  out.alloc_memory_bytes = alloc.memory_mib * kMiB;
  out.gpus = n.gres ? static_cast<uint32_t>(GresCount(n.gres, "gpu")) : 0;
  out.alloc_gpus = n.gres_used ? static_cast<uint32_t>(GresCount(n.gres_used, "gpu")) : 0;
  // CPUs jobs can use; slurmctld counts the specialized cores' CPUs out (cpus_efctv).
  out.cpus_effective = n.cpus_efctv > 0 ? n.cpus_efctv : n.cpus;
  out.boot_time = static_cast<int64_t>(n.boot_time);
  out.slurmd_start_time = static_cast<int64_t>(n.slurmd_start_time);
  out.last_busy = static_cast<int64_t>(n.last_busy);
  out.features = Str(n.features);
  // scontrol: ActiveFeatures are the available ones when slurmctld sends none.
  out.features_active = n.features_act ? Str(n.features_act) : out.features;
  out.gpu_types.clear();
  if (n.gres) {
    for (auto& [type, count] : GresByType(n.gres, "gpu")) {
      out.gpu_types.emplace_back(std::move(type), static_cast<uint32_t>(count));
    }
  }
  if (n.reason && *n.reason) {
    out.reason = n.reason;
    out.reason_time = static_cast<int64_t>(n.reason_time);
  } else {
    out.reason.clear();
    out.reason_time = 0;
  }
}

NodeLoads ConvertNodeLoads(const std::vector<node_info_t*>& named) {
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  NodeLoads out;
  out.nodes.reserve(named.size());
  out.cpu_load.reserve(named.size());
  out.free_memory_bytes.reserve(named.size());
  for (const node_info_t* n : named) {
    out.nodes.emplace_back(n->name);
    // cpu_load is the load average * 100; NO_VAL / NO_VAL64 until slurmd reports.
    out.cpu_load.push_back(n->cpu_load == NO_VAL ? kNaN : n->cpu_load / 100.0);
    out.free_memory_bytes.push_back(
        n->free_mem == NO_VAL64 ? kNaN : static_cast<double>(n->free_mem) * kMiB);
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

Partition ConvertPartition(const partition_info_t& p, const std::vector<int64_t>& index_map) {
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
  return part;
}

JobState MapJobState(uint32_t state) {
  struct Flag {
    uint32_t bit;
    JobState ours;
  };
  // squeue's precedence (job_state_string): flag states first.
  static constexpr Flag kFlags[] = {
      {JOB_COMPLETING, JobState::kCompleting},
      {JOB_STAGE_OUT, JobState::kStageOut},
      {JOB_CONFIGURING, JobState::kConfiguring},
      {slurm_compat::kJobExpediting, JobState::kExpediting},
      {JOB_RESIZING, JobState::kResizing},
      {JOB_REQUEUE, JobState::kRequeued},
      {JOB_REQUEUE_FED, JobState::kRequeueFed},
      {JOB_REQUEUE_HOLD, JobState::kRequeueHold},
      {JOB_SPECIAL_EXIT, JobState::kSpecialExit},
      {JOB_STOPPED, JobState::kStopped},
      {JOB_REVOKED, JobState::kRevoked},
      {JOB_RESV_DEL_HOLD, JobState::kResvDelHold},
      {JOB_SIGNALING, JobState::kSignaling},
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
      return JobState::kUnknown;  // squeue prints "?"
  }
}

const Interned& JobNames::LastValue::Of(std::string_view t) {
  if (t != text) {
    value = Interned(t);
    text.assign(t);
  }
  return value;
}

const Interned& JobNames::User(uint32_t uid) {
  auto it = users_.find(uid);
  if (it != users_.end()) return it->second;
  std::string name = std::to_string(uid);
  passwd pw{};
  passwd* res = nullptr;
  char buf[4096];
  if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) == 0 && res != nullptr && res->pw_name) {
    name = res->pw_name;
  }
  return users_.emplace(uid, std::move(name)).first->second;
}

const Interned& JobNames::Reason(uint32_t code) {
  auto it = reasons_.find(code);
  if (it != reasons_.end()) return it->second;
  const char* text = slurm_compat::JobReasonName(code);
  return reasons_.emplace(code, text ? Interned(text) : Interned(std::to_string(code)))
      .first->second;
}

Job ConvertJob(const slurm_job_info_t& j, JobNames& names) {
  Job job;
  job.job_id = j.job_id;
  job.array_job_id = j.array_job_id;
  if (j.array_task_id != NO_VAL && j.array_job_id != 0) job.array_task_id = j.array_task_id;
  job.task_count = TaskCount(j);
  job.state = MapJobState(j.job_state);
  job.ran = j.nodes != nullptr && j.nodes[0] != '\0' && job.state != JobState::kPending;
  if (j.partition) job.partition = names.Partition(FirstPartition(j.partition));
  job.reason = names.Reason(j.state_reason);
  job.user = names.User(j.user_id);
  if (j.account) job.account = names.Account(j.account);
  job.cpus = j.num_cpus;
  job.gpus = static_cast<uint32_t>(std::min<uint64_t>(JobGpus(j, job.ran), UINT32_MAX));
  job.submit_time = static_cast<int64_t>(j.submit_time);
  job.eligible_time = static_cast<int64_t>(j.eligible_time);
  job.start_time = static_cast<int64_t>(j.start_time);
  return job;
}

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

SchedulerStats ConvertSchedulerStats(const stats_info_response_msg_t& r, JobNames& names) {
  SchedulerStats o;
  o.time = static_cast<int64_t>(r.req_time);
  o.stats_time_start = static_cast<int64_t>(r.req_time_start);
  o.server_thread_count = r.server_thread_count;
  o.agent_queue_size = r.agent_queue_size;
  o.agent_count = r.agent_count;
  o.agent_thread_count = r.agent_thread_count;
  o.dbd_agent_queue_size = r.dbd_agent_queue_size;
  o.schedule_cycle_max_us = r.schedule_cycle_max;
  o.schedule_cycle_last_us = r.schedule_cycle_last;
  o.schedule_cycle_sum_us = r.schedule_cycle_sum;  // 32 bits before 25.11, 64 since
  o.schedule_cycle_counter = r.schedule_cycle_counter;
  o.schedule_cycle_depth = r.schedule_cycle_depth;
  o.schedule_queue_len = r.schedule_queue_len;
  o.jobs_submitted = r.jobs_submitted;
  o.jobs_started = r.jobs_started;
  o.jobs_completed = r.jobs_completed;
  o.jobs_canceled = r.jobs_canceled;
  o.jobs_failed = r.jobs_failed;
  o.jobs_pending = r.jobs_pending;
  o.jobs_running = r.jobs_running;
  o.bf_backfilled_jobs = r.bf_backfilled_jobs;
  o.bf_last_backfilled_jobs = r.bf_last_backfilled_jobs;
  o.bf_cycle_counter = r.bf_cycle_counter;
  o.bf_cycle_sum_us = r.bf_cycle_sum;
  o.bf_cycle_last_us = r.bf_cycle_last;
  o.bf_cycle_max_us = r.bf_cycle_max;
  o.bf_last_depth = r.bf_last_depth;
  o.bf_last_depth_try = r.bf_last_depth_try;
  o.bf_queue_len = r.bf_queue_len;
  o.bf_table_size = r.bf_table_size;
  o.bf_when_last_cycle = static_cast<int64_t>(r.bf_when_last_cycle);
  o.bf_active = r.bf_active != 0;
#if SLURM_AT_LEAST(23, 11, 0)
  // 23.11 added the exit reasons. Their index order is private to slurmctld: schedule_exit_t and
  // bf_exit_t in src/slurmctld/slurmctld.h (the same from 23.11 to 26.05); names as sdiag
  // prints them.
  static constexpr const char* kSchedExit[] = {"end_job_queue", "default_queue_depth",
                                               "max_job_start", "licenses",
                                               "max_rpc_cnt",   "max_sched_time"};
  static constexpr const char* kBfExit[] = {"end_job_queue",      "bf_max_job_start",
                                            "bf_max_job_test",    "state_changed",
                                            "bf_node_space_size", "bf_max_time"};
  for (uint32_t i = 0; i < r.schedule_exit_cnt && i < std::size(kSchedExit); ++i) {
    o.schedule_exit.emplace_back(kSchedExit[i], r.schedule_exit[i]);
  }
  for (uint32_t i = 0; i < r.bf_exit_cnt && i < std::size(kBfExit); ++i) {
    o.bf_exit.emplace_back(kBfExit[i], r.bf_exit[i]);
  }
#endif
  for (uint32_t i = 0; i < r.rpc_type_size; ++i) {
    o.rpc_by_type.push_back({RpcName(r.rpc_type_id[i]), r.rpc_type_cnt[i], r.rpc_type_time[i]});
  }
  for (uint32_t i = 0; i < r.rpc_user_size; ++i) {
    o.rpc_by_user.push_back({names.User(r.rpc_user_id[i]), r.rpc_user_cnt[i], r.rpc_user_time[i]});
  }
  for (uint32_t i = 0; i < r.rpc_queue_type_count; ++i) {
    o.rpc_queue_by_type.emplace_back(RpcName(static_cast<uint16_t>(r.rpc_queue_type_id[i])),
                                     r.rpc_queue_count[i]);
  }
  return o;
}

Reservation ConvertReservation(const reserve_info_t& r) {
  Reservation out;
  out.name = Str(r.name);
  out.nodes = ExpandHostlist(r.node_list);
  out.node_count = r.node_cnt;
  out.core_count = r.core_cnt;
  out.start_time = static_cast<int64_t>(r.start_time);
  out.end_time = static_cast<int64_t>(r.end_time);
  out.maint = (r.flags & RESERVE_FLAG_MAINT) != 0;
  out.partition = Str(r.partition);
  out.flags = ReservationFlags(r.flags);
  return out;
}

namespace {
// TRES ids that every Slurm database has (Slurm's tres_types_t).
constexpr const char* kTresCpu = "1";
constexpr const char* kTresMem = "2";
}  // namespace

FinishedJob ConvertFinishedJob(const slurmdb_job_rec_t& j, uint32_t gpu_tres_id, JobNames& names) {
  FinishedJob out;
  out.job_id = j.jobid;
  // One record per job id and submission (a requeued job is recorded again).
  out.record = (uint64_t{j.jobid} << 32) | static_cast<uint32_t>(j.submit);
  out.end_time = static_cast<int64_t>(j.end);
  out.state = MapJobState(j.state & JOB_STATE_BASE);
  out.partition = Str(j.partition);
  out.account = Str(j.account);
  out.user = j.user ? std::string(j.user) : std::string(names.User(j.uid));
  const std::string_view alloc = j.tres_alloc_str ? j.tres_alloc_str : "";
  out.cpus = static_cast<uint32_t>(TresCount(alloc, kTresCpu));
  if (gpu_tres_id) {
    out.gpus = static_cast<uint32_t>(TresCount(alloc, std::to_string(gpu_tres_id)));
  }
  out.elapsed_seconds = j.elapsed;
  // sacct's TotalCPU of a job: the sum over its steps that ended (sacct adds them up itself;
  // the job record's own figure is 0).
  out.cpu_seconds = 0;
  // sacct's ReqMem: the memory TRES of the request, in megabytes.
  const uint64_t req_mb = TresCount(j.tres_req_str ? j.tres_req_str : "", kTresMem);
  out.req_memory_bytes = static_cast<double>(req_mb) * kMiB;
  if (j.steps) {
    struct listIterator* it = slurm_list_iterator_create(j.steps);
    while (auto* s = static_cast<slurmdb_step_rec_t*>(slurm_list_next(it))) {
      if (s->state >= JOB_COMPLETE) {
        out.cpu_seconds +=
            static_cast<double>(s->tot_cpu_sec) + static_cast<double>(s->tot_cpu_usec) / 1e6;
      }
      const char* max = s->stats.tres_usage_in_max;
      // sacct's MaxRSS of the step: its memory TRES, in bytes (absent, 0 or NO_VAL64 for a
      // step that never reported).
      const uint64_t rss = max ? TresCount(max, kTresMem) : 0;
      if (rss > 0 && rss < (uint64_t{1} << 62)) {
        out.max_rss_bytes = std::max(out.max_rss_bytes, static_cast<double>(rss));
      }
    }
    slurm_list_iterator_destroy(it);
  }
  return out;
}

Association ConvertAssociation(const slurmdb_assoc_rec_t& a, uint32_t tres_cnt) {
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  // Slurm marks values it has not computed with NO_VAL (scontrol prints them as 1).
  auto computed = [&](long double v) {
    return v == static_cast<long double>(NO_VAL) ? kNaN : static_cast<double>(v);
  };
  Association out;
  out.id = a.id;
  out.account = Str(a.acct);
  out.user = Str(a.user);
  out.partition = Str(a.partition);
  out.parent = Str(a.parent_acct);
  out.is_root = a.user == nullptr && a.parent_acct == nullptr && out.account == "root";
  out.shares_from_parent = a.shares_raw == SLURMDB_FS_USE_PARENT;
  out.shares_raw = a.shares_raw;
  out.grp_jobs = a.grp_jobs == INFINITE ? kNoLimit32 : a.grp_jobs;
  const slurmdb_assoc_usage_t* u = a.usage;
  if (u == nullptr) return out;
  out.shares_norm = u->shares_norm;
  out.usage_raw = static_cast<double>(u->usage_raw);
  out.usage_norm = computed(u->usage_norm);
  out.usage_efctv = computed(u->usage_efctv);
  out.fs_factor = u->fs_factor;
  // sshare prints no LevelFS for an association that takes its parent's shares.
  out.level_fs = out.shares_from_parent ? kNaN : computed(u->level_fs);
  out.used_jobs = u->used_jobs;
  const uint32_t n = std::min(tres_cnt, u->tres_cnt);
  out.grp_tres.assign(tres_cnt, kNoLimit64);
  out.grp_tres_used.assign(tres_cnt, 0);
  out.usage_tres_raw.assign(tres_cnt, 0);
  for (uint32_t i = 0; i < tres_cnt; ++i) {
    if (a.grp_tres_ctld) out.grp_tres[i] = a.grp_tres_ctld[i];
  }
  for (uint32_t i = 0; i < n; ++i) {
    if (u->grp_used_tres) out.grp_tres_used[i] = u->grp_used_tres[i];
    if (u->usage_tres_raw) out.usage_tres_raw[i] = static_cast<double>(u->usage_tres_raw[i]);
  }
  return out;
}

License ConvertLicense(const slurm_license_info_t& l) {
  return {Str(l.name), l.total, l.in_use, l.reserved, l.remote != 0};
}

}  // namespace slurm_exporter::slurm_convert
