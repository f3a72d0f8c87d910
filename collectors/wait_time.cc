#include "collectors/wait_time.h"

#include <algorithm>

namespace slurm_exporter {

const std::vector<double>& DefaultWaitBuckets() {
  static const std::vector<double> kBuckets = {10,   30,    60,    300,   900,   1800,   3600,
                                               7200, 14400, 28800, 43200, 86400, 172800, 604800};
  return kBuckets;
}

bool JobHasStarted(const Job& job) {
  return job.ran && job.start_time > 0 && job.state != JobState::kPending;
}

double JobWaitSeconds(const Job& job) {
  int64_t from = job.eligible_time > 0 ? job.eligible_time : job.submit_time;
  return static_cast<double>(std::max<int64_t>(0, job.start_time - from));
}

WaitTimeTracker::WaitTimeTracker(std::vector<double> bounds) : bounds_(std::move(bounds)) {}

std::shared_ptr<const WaitTimes> WaitTimeTracker::Update(const std::shared_ptr<const Jobs>& data) {
  if (!data) return last_out_;
  if (data == last_ && last_out_) return last_out_;
  const Jobs& jobs = *data;
  // Only started jobs are observed, so only they need to be looked up (a table of 100,000
  // pending jobs costs no set insertions).
  std::unordered_set<uint32_t> present;
  present.reserve(observed_.size() + 64);
  for (const Job& j : jobs.jobs) {
    if (!JobHasStarted(j)) continue;
    present.insert(j.job_id);
    if (observed_.count(j.job_id)) continue;
    observed_.insert(j.job_id);
    WaitHistogram& h = hist_[j.partition];
    if (h.bucket_counts.empty()) h.bucket_counts.assign(bounds_.size(), 0);
    double wait = JobWaitSeconds(j);
    for (size_t b = 0; b < bounds_.size(); ++b) {
      if (wait <= bounds_[b]) ++h.bucket_counts[b];
    }
    ++h.count;
    h.sum += wait;
  }
  // Forget ids slurmctld dropped, so the set stays bounded by the live job table.
  for (auto it = observed_.begin(); it != observed_.end();) {
    it = present.count(*it) ? std::next(it) : observed_.erase(it);
  }
  auto out = std::make_shared<WaitTimes>();
  out->bounds = bounds_;
  out->by_partition.assign(hist_.begin(), hist_.end());
  last_ = data;
  last_out_ = out;
  return out;
}

}  // namespace slurm_exporter
