// WaitTimeTracker: turns successive job lists into cumulative per-partition histograms of job
// wait time (start time - eligible time; submit time when the job never had an eligible time).
// Each job that has started is observed exactly once per process, whatever the number of polls;
// job ids that slurmctld no longer reports are forgotten (slurmctld never reuses a live id).
//
// Thread-safety: not thread-safe; owned and called by the poller thread. Update returns an
// immutable copy for the snapshot.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <unordered_set>
#include <vector>

#include "collectors/snapshot.h"

namespace slurm_exporter {

// Default bucket bounds: 10s .. 7d, chosen around the runbook's "wait > 1h".
const std::vector<double>& DefaultWaitBuckets();

// Seconds the job waited to start: start - eligible (or start - submit without an eligible
// time), never negative. Meaningful only for jobs that ran.
double JobWaitSeconds(const Job& job);
bool JobHasStarted(const Job& job);

class WaitTimeTracker {
 public:
  explicit WaitTimeTracker(std::vector<double> bounds = DefaultWaitBuckets());
  std::shared_ptr<const WaitTimes> Update(const std::shared_ptr<const Jobs>& jobs);
  size_t tracked() const { return observed_.size(); }

 private:
  std::vector<double> bounds_;
  std::unordered_set<uint32_t> observed_;
  std::map<std::string, WaitHistogram> hist_;
  std::shared_ptr<const Jobs> last_;  // the same data again means nothing new
  std::shared_ptr<const WaitTimes> last_out_;
};

}  // namespace slurm_exporter
