#include "collectors/job_efficiency.h"

#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

#include <limits>

namespace slurm_exporter {
namespace {

const char* EndStateName(size_t i) {
  static constexpr const char* kNames[] = {"completed",     "failed",    "timeout",
                                           "out_of_memory", "cancelled", "node_fail",
                                           "preempted",     "boot_fail", "deadline"};
  static_assert(std::size(kNames) == kEndStates.size());
  return kNames[i];
}

void Observe(WaitHistogram& h, const std::vector<double>& bounds, double v) {
  if (h.bucket_counts.empty()) h.bucket_counts.assign(bounds.size(), 0);
  for (size_t b = 0; b < bounds.size(); ++b) {
    if (v <= bounds[b]) ++h.bucket_counts[b];
  }
  ++h.count;
  h.sum += v;
}

// A histogram family over the groups, labelled `label`.
void Histogram(MetricSink& out, const std::string& name, const std::string& help,
               const std::string& label, const JobEfficiency& e,
               const std::map<std::string, JobEfficiencyGroup>& groups,
               WaitHistogram JobEfficiencyGroup::*which) {
  prometheus::MetricFamily f;
  f.name = name;
  f.help = help;
  f.type = prometheus::MetricType::Histogram;
  for (const auto& [key, g] : groups) {
    const WaitHistogram& h = g.*which;
    prometheus::ClientMetric m;
    m.label.push_back({label, key});
    m.histogram.sample_count = h.count;
    m.histogram.sample_sum = h.sum;
    for (size_t b = 0; b < e.bounds.size(); ++b) {
      m.histogram.bucket.push_back({h.bucket_counts.empty() ? 0 : h.bucket_counts[b], e.bounds[b]});
    }
    m.histogram.bucket.push_back({h.count, std::numeric_limits<double>::infinity()});
    f.metric.push_back(std::move(m));
  }
  if (!f.metric.empty()) out.AppendText(prometheus::TextSerializer().Serialize({f}));
}

}  // namespace

double CpuEfficiency(const FinishedJob& j) {
  if (j.elapsed_seconds <= 0 || j.cpus == 0) return -1;
  return j.cpu_seconds / (j.elapsed_seconds * j.cpus);
}

double MemoryEfficiency(const FinishedJob& j) {
  if (j.req_memory_bytes <= 0 || j.max_rss_bytes < 0) return -1;
  return j.max_rss_bytes / j.req_memory_bytes;
}

JobEfficiencyTracker::JobEfficiencyTracker() : totals_(std::make_shared<JobEfficiency>()) {
  totals_->bounds = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0};
}

std::shared_ptr<const JobEfficiency> JobEfficiencyTracker::Update(
    const std::shared_ptr<const FinishedJobs>& read) {
  if (!read) return nullptr;
  if (read == last_) return totals_;
  last_ = read;
  // A copy: the previous totals stay as the previous snapshot published them.
  totals_ = std::make_shared<JobEfficiency>(*totals_);
  for (const FinishedJob& j : read->jobs) {
    if (counted_.emplace(j.record, j.end_time).second) Count(j);
  }
  // Forget records that no later read can return again.
  const int64_t horizon = read->to - 2 * kLateRecordSeconds;
  for (auto it = counted_.begin(); it != counted_.end();) {
    it = it->second < horizon ? counted_.erase(it) : std::next(it);
  }
  return totals_;
}

void JobEfficiencyTracker::Count(const FinishedJob& j) {
  size_t state = kEndStates.size();
  for (size_t i = 0; i < kEndStates.size(); ++i) {
    if (kEndStates[i] == j.state) state = i;
  }
  if (state == kEndStates.size()) return;  // not a final state (slurmdbd sent only these)
  ++totals_->jobs;
  const double cpu = CpuEfficiency(j), mem = MemoryEfficiency(j);
  for (JobEfficiencyGroup* g : {&totals_->by_partition[j.partition],
                                &totals_->by_account[j.account], &totals_->by_user[j.user]}) {
    ++g->ended[state];
    if (cpu >= 0) Observe(g->cpu, totals_->bounds, cpu);
    if (mem >= 0) Observe(g->memory, totals_->bounds, mem);
    g->cpu_seconds_allocated += j.elapsed_seconds * j.cpus;
    g->gpu_seconds_allocated += j.elapsed_seconds * j.gpus;
  }
}

std::string_view JobEfficiencyCollector::Name() const {
  switch (by_) {
    case By::kAccount:
      return "job_efficiency.accounts";
    case By::kUser:
      return "job_efficiency.users";
    default:
      return "job_efficiency";
  }
}

std::string_view JobEfficiencyCollector::Description() const {
  switch (by_) {
    case By::kAccount:
      return "Finished jobs by state and their efficiency per account (cardinality: accounts)";
    case By::kUser:
      return "Finished jobs by state and their efficiency per user (cardinality: users)";
    default:
      return "Finished jobs by state, CPU/memory efficiency, CPU/GPU-seconds per partition "
             "(reads slurmdbd)";
  }
}

Status JobEfficiencyCollector::Collect(const Snapshot& snapshot, MetricSink& out) const {
  const auto& src = snapshot.finished_jobs;
  if (!snapshot.job_efficiency) return SourceStatus(src, "finished_jobs");
  const JobEfficiency& e = *snapshot.job_efficiency;
  const std::string prefix = by_ == By::kAccount ? "slurm_account_"
                             : by_ == By::kUser  ? "slurm_user_"
                                                 : "slurm_partition_";
  const std::string label = by_ == By::kAccount ? "account"
                            : by_ == By::kUser  ? "user"
                                                : "partition";
  const auto& groups = by_ == By::kAccount ? e.by_account
                       : by_ == By::kUser  ? e.by_user
                                           : e.by_partition;
  out.Counter(prefix + "jobs_ended_total",
              "Jobs that ended, by final state, as slurmdbd recorded them (since the exporter "
              "started).");
  for (const auto& [key, g] : groups) {
    for (size_t i = 0; i < kEndStates.size(); ++i) {
      out.Add(static_cast<double>(g.ended[i]), {{label, key}, {"state", EndStateName(i)}});
    }
  }
  out.Counter(prefix + "job_cpu_allocated_seconds_total",
              "CPU-seconds allocated to jobs that ended: Elapsed x AllocCPUS.");
  for (const auto& [key, g] : groups) out.Add(g.cpu_seconds_allocated, label, key);
  out.Counter(prefix + "job_gpu_allocated_seconds_total",
              "GPU-seconds allocated to jobs that ended: Elapsed x allocated gres/gpu.");
  for (const auto& [key, g] : groups) out.Add(g.gpu_seconds_allocated, label, key);
  Histogram(out, prefix + "job_cpu_efficiency",
            "CPU efficiency of jobs that ended (sacct/seff): TotalCPU / (Elapsed x AllocCPUS).",
            label, e, groups, &JobEfficiencyGroup::cpu);
  Histogram(out, prefix + "job_memory_efficiency",
            "Memory efficiency of jobs that ended (seff): the largest MaxRSS of their steps / "
            "ReqMem; jobs without either are not observed.",
            label, e, groups, &JobEfficiencyGroup::memory);
  return SourceStatus(src, "finished_jobs");
}

}  // namespace slurm_exporter
