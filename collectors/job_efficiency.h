// Finished-job efficiency: what jobs that ended did with what they were given, as sacct and
// seff define it, accumulated over the life of the exporter process:
//   - jobs ended by final state (completed, failed, timeout, out_of_memory, cancelled,
//     node_fail, preempted, boot_fail, deadline);
//   - CPU efficiency, TotalCPU / (Elapsed x AllocCPUS), as a histogram;
//   - memory efficiency, the largest MaxRSS of the job's steps / ReqMem, as a histogram;
//   - allocated CPU-seconds (Elapsed x AllocCPUS) and GPU-seconds, as counters.
// Per partition ("job_efficiency"), per account ("job_efficiency.accounts") and per user
// ("job_efficiency.users"); all off by default, since they read slurmdbd.
//
// Restart-safe: counters start at 0 with the process (the reset Prometheus expects), and the
// first read covers jobs that ended from one read interval before the process started; each
// later read covers what ended since the last successful read (a failed read leaves the window
// open: the next one covers the outage), plus a margin for records that reach slurmdbd after
// the job ended (kLateRecordSeconds: slurmctld's DBD agent queue lagging), never reaching
// before the first window. A job is counted
// once per process: records are remembered by id until no later read can return them. A read
// costs one slurmdbd round trip and grows with the jobs that ended in its window.
#pragma once

#include <array>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "collectors/collector.h"

namespace slurm_exporter {

// Records slurmdbd receives this long after the job ended (while slurmctld's DBD agent queue
// drains) are still counted; later ones are not.
inline constexpr int64_t kLateRecordSeconds = 120;

// The final states counted, in the order of JobEfficiencyGroup::ended.
inline constexpr std::array<JobState, 9> kEndStates = {
    JobState::kCompleted,   JobState::kFailed,    JobState::kTimeout,
    JobState::kOutOfMemory, JobState::kCancelled, JobState::kNodeFail,
    JobState::kPreempted,   JobState::kBootFail,  JobState::kDeadline};

struct JobEfficiencyGroup {
  std::array<uint64_t, kEndStates.size()> ended{};
  WaitHistogram cpu, memory;  // efficiency ratios (buckets: JobEfficiency::bounds)
  double cpu_seconds_allocated = 0, gpu_seconds_allocated = 0;
};

struct JobEfficiency {
  std::vector<double> bounds;  // 0.1 .. 1.0; above 1 only in +Inf
  std::map<std::string, JobEfficiencyGroup> by_partition, by_account, by_user;
  uint64_t jobs = 0;  // jobs counted since the process started
};

// CPU efficiency of a job, or a negative value when it has none (no elapsed time or CPUs).
double CpuEfficiency(const FinishedJob& job);
// Memory efficiency, or a negative value when the job requested no memory or no step
// reported its RSS.
double MemoryEfficiency(const FinishedJob& job);

// Accumulates reads of finished jobs. Not thread-safe: the poller's thread only.
class JobEfficiencyTracker {
 public:
  JobEfficiencyTracker();
  // Counts the jobs of a read not counted before; the same read again adds nothing. Returns
  // the totals so far (null before the first read).
  std::shared_ptr<const JobEfficiency> Update(const std::shared_ptr<const FinishedJobs>& read);
  size_t remembered() const { return counted_.size(); }

 private:
  void Count(const FinishedJob& job);

  std::shared_ptr<const FinishedJobs> last_;
  std::unordered_map<uint64_t, int64_t> counted_;  // record -> end time, within the margin
  std::shared_ptr<JobEfficiency> totals_;
};

// "job_efficiency", "job_efficiency.accounts", "job_efficiency.users".
class JobEfficiencyCollector : public Collector {
 public:
  enum class By { kPartition, kAccount, kUser };
  explicit JobEfficiencyCollector(By by) : by_(by) {}
  std::string_view Name() const override;
  std::string_view Description() const override;
  bool EnabledByDefault() const override { return false; }
  uint32_t Sources() const override { return kSourceFinishedJobs; }
  Status Collect(const Snapshot& snapshot, MetricSink& out) const override;

 private:
  const By by_;
};

}  // namespace slurm_exporter
