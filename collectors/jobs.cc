#include "collectors/jobs.h"

#include <fmt/format.h>
#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <limits>

#include "collectors/wait_time.h"

namespace slurm_exporter {
namespace {}  // namespace

void AddToGroup(JobGroupCounts& c, const Job& j) {
  c.tasks[static_cast<size_t>(j.state)] += j.task_count;
  if (j.state == JobState::kPending) {
    c.pending_cpus += uint64_t{j.cpus} * j.task_count;
    c.pending_gpus += uint64_t{j.gpus} * j.task_count;
  } else if (j.state == JobState::kRunning || j.state == JobState::kConfiguring) {
    c.running_cpus += j.cpus;
    c.running_gpus += j.gpus;
  }
}

namespace {

bool Held(const Job& j) { return j.reason == "JobHeldUser" || j.reason == "JobHeldAdmin"; }

void EmitGroup(MetricSink& out, const std::string& label,
               const std::map<std::string, JobGroupCounts>& groups, std::string_view prefix) {
  out.Gauge(fmt::format("slurm_{}_jobs", prefix),
            fmt::format("Jobs (array tasks counted one by one) of the {} by state.", label));
  for (const auto& [name, c] : groups) {
    for (size_t i = 0; i < kJobStateCount; ++i) {
      if (c.tasks[i] == 0) continue;
      out.Add(static_cast<double>(c.tasks[i]),
              {{label, name}, {"state", std::string(JobStateName(static_cast<JobState>(i)))}});
    }
  }
  out.Gauge(fmt::format("slurm_{}_job_cpus", prefix),
            fmt::format("CPUs of the {}'s pending and running jobs.", label));
  for (const auto& [name, c] : groups) {
    out.Add(static_cast<double>(c.pending_cpus), {{label, name}, {"state", "pending"}});
    out.Add(static_cast<double>(c.running_cpus), {{label, name}, {"state", "running"}});
  }
  out.Gauge(fmt::format("slurm_{}_job_gpus", prefix),
            fmt::format("GPUs of the {}'s pending and running jobs.", label));
  for (const auto& [name, c] : groups) {
    out.Add(static_cast<double>(c.pending_gpus), {{label, name}, {"state", "pending"}});
    out.Add(static_cast<double>(c.running_gpus), {{label, name}, {"state", "running"}});
  }
}

}  // namespace

std::string_view JobStateName(JobState s) {
  static constexpr std::string_view kNames[] = {
      "pending",      "running",      "suspended", "completed", "cancelled",     "failed",
      "timeout",      "node_fail",    "preempted", "boot_fail", "deadline",      "out_of_memory",
      "completing",   "configuring",  "stage_out", "resizing",  "requeued",      "requeue_fed",
      "requeue_hold", "special_exit", "stopped",   "revoked",   "resv_del_hold", "signaling",
      "expediting",   "unknown"};
  static_assert(std::size(kNames) == kJobStateCount);
  auto i = static_cast<size_t>(s);
  return i < kJobStateCount ? kNames[i] : "unknown";
}

bool AlwaysExposed(JobState s) {
  return static_cast<size_t>(s) <= static_cast<size_t>(JobState::kConfiguring);
}

JobSummary SummarizeJobs(const Jobs& jobs) {
  JobSummary out;
  std::map<std::string, std::vector<std::pair<int64_t, uint32_t>>> eligible;
  PartitionJobSummary* p = nullptr;
  const std::string* p_name = nullptr;
  for (const Job& j : jobs.jobs) {
    if (p_name == nullptr || *p_name != j.partition) {  // jobs come grouped more often than not
      auto it = out.partitions.try_emplace(j.partition).first;
      p = &it->second;
      p_name = &it->first;
    }
    AddToGroup(*p, j);
    AddToGroup(out.total, j);
    if (j.state != JobState::kPending) continue;
    p->pending_by_reason[j.reason] += j.task_count;
    if (Held(j) || j.eligible_time <= 0) continue;
    eligible[j.partition].emplace_back(j.eligible_time, j.task_count);
  }
  for (auto& [name, list] : eligible) {
    std::sort(list.begin(), list.end());
    PartitionJobSummary& ps = out.partitions[name];
    ps.eligible_times.reserve(list.size());
    ps.tasks_before.reserve(list.size() + 1);
    ps.tasks_before.push_back(0);
    for (const auto& [t, n] : list) {
      ps.eligible_times.push_back(t);
      ps.tasks_before.push_back(ps.tasks_before.back() + n);
    }
  }
  return out;
}

JobCounts CountJobs(const JobSummary& summary, double now) {
  JobCounts out;
  out.total = summary.total;
  for (const auto& [name, s] : summary.partitions) {
    PartitionJobCounts& p = out.partitions[name];
    static_cast<JobGroupCounts&>(p) = s;
    p.pending_by_reason = s.pending_by_reason;
    const auto& times = s.eligible_times;
    // Jobs eligible by now; the waits below are computed as in a plain walk (now - t).
    auto eligible_end = std::upper_bound(times.begin(), times.end(), now, [](double n, int64_t t) {
      return n < static_cast<double>(t);
    });
    if (eligible_end == times.begin()) continue;
    p.max_pending_wait = std::max(0.0, now - static_cast<double>(times.front()));
    for (size_t t = 0; t < kPendingWaitThresholds.size(); ++t) {
      const double threshold = kPendingWaitThresholds[t];
      auto end = std::partition_point(times.begin(), eligible_end, [&](int64_t e) {
        return now - static_cast<double>(e) > threshold;
      });
      p.waiting_longer[t] = s.tasks_before[static_cast<size_t>(end - times.begin())];
    }
  }
  return out;
}

std::map<std::string, JobGroupCounts> CountJobsBy(const Jobs& jobs, bool by_user) {
  std::map<std::string, JobGroupCounts> out;
  for (const Job& j : jobs.jobs) AddToGroup(out[by_user ? j.user : j.account], j);
  return out;
}

Status JobsCollector::Collect(const Snapshot& snapshot, MetricSink& out) const {
  const auto& src = snapshot.jobs;
  if (!src.data) return SourceStatus(src, "jobs");
  // The poller's summary of this job table, or one made here (e.g. a snapshot built by hand).
  std::shared_ptr<const JobSummary> summary = snapshot.job_summary;
  if (!summary) summary = std::make_shared<const JobSummary>(SummarizeJobs(*src.data));
  JobCounts c = CountJobs(*summary, snapshot.time);
  // Partitions without jobs still get their zeros when the node source knows them.
  if (snapshot.nodes.data) {
    for (const Partition& p : snapshot.nodes.data->partitions) c.partitions[p.name];
  }

  out.Gauge("slurm_jobs", "Jobs by state (array tasks counted one by one).");
  for (size_t i = 0; i < kJobStateCount; ++i) {
    auto s = static_cast<JobState>(i);
    if (c.total.tasks[i] == 0 && !AlwaysExposed(s)) continue;
    out.Add(static_cast<double>(c.total.tasks[i]), {{"state", std::string(JobStateName(s))}});
  }
  out.Gauge("slurm_partition_jobs",
            "Jobs of the partition by state (a job listing several partitions counts under the "
            "first).");
  for (const auto& [name, p] : c.partitions) {
    for (size_t i = 0; i < kJobStateCount; ++i) {
      auto s = static_cast<JobState>(i);
      if (p.tasks[i] == 0 && !AlwaysExposed(s)) continue;
      out.Add(static_cast<double>(p.tasks[i]),
              {{"partition", name}, {"state", std::string(JobStateName(s))}});
    }
  }
  out.Gauge("slurm_jobs_pending", "Pending jobs of the partition by Slurm's pending reason.");
  for (const auto& [name, p] : c.partitions) {
    for (const auto& [reason, n] : p.pending_by_reason) {
      out.Add(static_cast<double>(n), {{"partition", name}, {"reason", reason}});
    }
  }
  out.Gauge("slurm_partition_job_cpus", "CPUs requested by pending and used by running jobs.");
  for (const auto& [name, p] : c.partitions) {
    out.Add(static_cast<double>(p.pending_cpus), {{"partition", name}, {"state", "pending"}});
    out.Add(static_cast<double>(p.running_cpus), {{"partition", name}, {"state", "running"}});
  }
  out.Gauge("slurm_partition_job_gpus", "GPUs requested by pending and used by running jobs.");
  for (const auto& [name, p] : c.partitions) {
    out.Add(static_cast<double>(p.pending_gpus), {{"partition", name}, {"state", "pending"}});
    out.Add(static_cast<double>(p.running_gpus), {{"partition", name}, {"state", "running"}});
  }
  out.Gauge("slurm_partition_pending_job_max_wait_seconds",
            "How long the longest-waiting eligible pending job (not held) has waited since it "
            "became eligible; 0 when there is none.");
  for (const auto& [name, p] : c.partitions) out.Add(p.max_pending_wait, {{"partition", name}});
  out.Gauge("slurm_partition_pending_jobs_waiting_longer_than",
            "Eligible pending jobs (not held) that have waited longer than the threshold.");
  for (const auto& [name, p] : c.partitions) {
    for (size_t t = 0; t < kPendingWaitThresholds.size(); ++t) {
      out.Add(static_cast<double>(p.waiting_longer[t]),
              {{"partition", name},
               {"threshold_seconds", fmt::format("{}", kPendingWaitThresholds[t])}});
    }
  }

  if (snapshot.wait_times) {
    const WaitTimes& w = *snapshot.wait_times;
    prometheus::MetricFamily f;
    f.name = "slurm_job_wait_time_seconds";
    f.help =
        "Time jobs waited from eligibility to start, observed once per started job since the "
        "exporter started.";
    f.type = prometheus::MetricType::Histogram;
    auto emit = [&](const std::string& partition, const WaitHistogram* h) {
      prometheus::ClientMetric m;
      m.label.push_back({"partition", partition});
      m.histogram.sample_count = h ? h->count : 0;
      m.histogram.sample_sum = h ? h->sum : 0;
      for (size_t b = 0; b < w.bounds.size(); ++b) {
        m.histogram.bucket.push_back({h ? h->bucket_counts[b] : 0, w.bounds[b]});
      }
      m.histogram.bucket.push_back({h ? h->count : 0, std::numeric_limits<double>::infinity()});
      f.metric.push_back(std::move(m));
    };
    for (const auto& entry : c.partitions) {
      const std::string& name = entry.first;
      auto it = std::find_if(w.by_partition.begin(), w.by_partition.end(),
                             [&name](const auto& e) { return e.first == name; });
      emit(name, it == w.by_partition.end() ? nullptr : &it->second);
    }
    for (const auto& [name, h] : w.by_partition) {  // partitions that no longer have jobs
      if (!c.partitions.count(name)) emit(name, &h);
    }
    out.AppendText(prometheus::TextSerializer().Serialize({f}));
  }
  return SourceStatus(src, "jobs");
}

Status JobsByOwnerCollector::Collect(const Snapshot& snapshot, MetricSink& out) const {
  const auto& src = snapshot.jobs;
  if (!src.data) return SourceStatus(src, "jobs");
  EmitGroup(out, by_user_ ? "user" : "account", CountJobsBy(*src.data, by_user_),
            by_user_ ? "user" : "account");
  return SourceStatus(src, "jobs");
}

}  // namespace slurm_exporter
