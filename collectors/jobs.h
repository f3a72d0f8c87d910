// The "jobs" collector: job counts by state and partition, pending jobs by reason, CPUs and GPUs
// of pending and running jobs, the wait-time histogram, and how long eligible jobs have been
// pending. Counts are in tasks: a pending job-array record counts each of its pending tasks.
// A job submitted to several partitions is counted once, under the first partition it lists.
//
// "jobs_users" and "jobs_accounts" (off by default: label cardinality grows with users and
// accounts) count the same per user and per account.
#pragma once

#include <array>
#include <map>
#include <string>
#include <vector>

#include "collectors/collector.h"

namespace slurm_exporter {

inline constexpr size_t kJobStateCount = static_cast<size_t>(JobState::kCount);
// Lower-case squeue state name ("pending", "out_of_memory", ...).
std::string_view JobStateName(JobState s);
// True for the states always exposed (also when 0); the rarer flag states appear when present.
bool AlwaysExposed(JobState s);

// Thresholds (seconds) for slurm_partition_pending_jobs_waiting_longer_than.
inline constexpr std::array<double, 5> kPendingWaitThresholds = {300, 900, 3600, 14400, 86400};

struct JobGroupCounts {
  std::array<uint64_t, kJobStateCount> tasks{};
  uint64_t pending_cpus = 0, running_cpus = 0, pending_gpus = 0, running_gpus = 0;
  bool operator==(const JobGroupCounts&) const = default;
};

// Adds the job's tasks, and its CPUs and GPUs when pending or running, to the group.
void AddToGroup(JobGroupCounts& c, const Job& j);

struct PartitionJobCounts : JobGroupCounts {
  std::map<std::string, uint64_t> pending_by_reason;
  double max_pending_wait = 0;  // seconds, eligible and not held
  std::array<uint64_t, kPendingWaitThresholds.size()> waiting_longer{};
  bool operator==(const PartitionJobCounts&) const = default;
};

struct JobCounts {
  std::map<std::string, PartitionJobCounts> partitions;
  JobGroupCounts total;
  bool operator==(const JobCounts&) const = default;
};

// What of a job table does not depend on the time: made once per table (the poller keeps it
// while slurmctld reports no job change), so that a poll only searches it for the pending ages.
struct PartitionJobSummary : JobGroupCounts {
  std::map<std::string, uint64_t> pending_by_reason;
  std::vector<int64_t> eligible_times;  // pending, eligible, not held; ascending
  std::vector<uint64_t> tasks_before;   // [i]: tasks of eligible_times[0..i); one more entry
};
struct JobSummary {
  std::map<std::string, PartitionJobSummary> partitions;
  JobGroupCounts total;
};

JobSummary SummarizeJobs(const Jobs& jobs);
// Pure: the counts, with pending ages measured at `now` (unix seconds).
JobCounts CountJobs(const JobSummary& summary, double now);
// Groups by user or account.
std::map<std::string, JobGroupCounts> CountJobsBy(const Jobs& jobs, bool by_user);

class JobsCollector : public Collector {
 public:
  std::string_view Name() const override { return "jobs"; }
  std::string_view Description() const override {
    return "Jobs by state, partition and pending reason; CPUs/GPUs; wait times";
  }
  uint32_t Sources() const override { return kSourceJobs; }
  Status Collect(const Snapshot& snapshot, MetricSink& out) const override;
};

class JobsByOwnerCollector : public Collector {
 public:
  explicit JobsByOwnerCollector(bool by_user) : by_user_(by_user) {}
  std::string_view Name() const override { return by_user_ ? "jobs_users" : "jobs_accounts"; }
  std::string_view Description() const override {
    return by_user_ ? "Jobs, CPUs and GPUs per user (cardinality: one series set per user)"
                    : "Jobs, CPUs and GPUs per account (cardinality: one set per account)";
  }
  bool EnabledByDefault() const override { return false; }
  uint32_t Sources() const override { return kSourceJobs; }
  Status Collect(const Snapshot& snapshot, MetricSink& out) const override;

 private:
  bool by_user_;
};

}  // namespace slurm_exporter
