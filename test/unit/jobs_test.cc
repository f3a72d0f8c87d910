// Jobs: text parsers, counting (states, arrays, multi-partition, held, reasons), wait times.
#include "collectors/jobs.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>

#include "collectors/slurm/text.h"
#include "collectors/wait_time.h"

namespace slurm_exporter {
namespace {

Job MakeJob(uint32_t id, JobState state, std::string partition, std::string reason = "None") {
  Job j;
  j.job_id = id;
  j.state = state;
  j.partition = std::move(partition);
  j.reason = std::move(reason);
  j.cpus = 2;
  j.user = "alice";
  j.account = "physics";
  j.submit_time = 1000;
  return j;
}

TEST(TresCountTest, Table) {
  EXPECT_EQ(TresCount("cpu=4,mem=4000M,node=1,billing=4,gres/gpu=2", "gres/gpu"), 2u);
  EXPECT_EQ(TresCount("cpu=4,gres/gpu=3,gres/gpu:a100=3", "gres/gpu"), 3u);
  EXPECT_EQ(TresCount("cpu=4,mem=4000M", "gres/gpu"), 0u);
  EXPECT_EQ(TresCount("cpu=4,mem=4000M", "mem"), 4000u);
  EXPECT_EQ(TresCount("", "cpu"), 0u);
  EXPECT_EQ(TresCount("gres/gpu=x", "gres/gpu"), 0u);
}

TEST(TresPerCountTest, Table) {
  EXPECT_EQ(TresPerCount("gres:gpu:2", "gpu"), 2u);
  EXPECT_EQ(TresPerCount("gres/gpu:2", "gpu"), 2u);
  EXPECT_EQ(TresPerCount("gres/gpu:a100:4", "gpu"), 4u);
  EXPECT_EQ(TresPerCount("gres/gpu", "gpu"), 1u);
  EXPECT_EQ(TresPerCount("gres/gpu:a100", "gpu"), 1u);
  EXPECT_EQ(TresPerCount("gres/mps:100,gres/gpu:1", "gpu"), 1u);
  EXPECT_EQ(TresPerCount("gres:gpus:3", "gpu"), 0u);
  EXPECT_EQ(TresPerCount("cpu:4", "gpu"), 0u);
  EXPECT_EQ(TresPerCount("", "gpu"), 0u);
}

TEST(ArrayTaskCountTest, Table) {
  EXPECT_EQ(ArrayTaskCount("1-50000"), 50000u);
  EXPECT_EQ(ArrayTaskCount("0-99%10"), 100u);
  EXPECT_EQ(ArrayTaskCount("1,3,5-7"), 5u);
  EXPECT_EQ(ArrayTaskCount("1-9:2"), 5u);
  EXPECT_EQ(ArrayTaskCount("7"), 1u);
  EXPECT_EQ(ArrayTaskCount(""), 0u);
  EXPECT_EQ(ArrayTaskCount("5-1"), 0u);
  EXPECT_EQ(ArrayTaskCount("a-b"), 0u);
  EXPECT_EQ(ArrayTaskCount("1-9:0"), 0u);
}

TEST(FirstPartitionTest, Table) {
  EXPECT_EQ(FirstPartition("normal,debug"), "normal");
  EXPECT_EQ(FirstPartition("gpu"), "gpu");
  EXPECT_EQ(FirstPartition(""), "");
}

TEST(JobStateNameTest, UniqueNames) {
  std::set<std::string_view> seen;
  for (size_t i = 0; i < kJobStateCount; ++i) {
    EXPECT_TRUE(seen.insert(JobStateName(static_cast<JobState>(i))).second);
  }
  EXPECT_EQ(JobStateName(JobState::kOutOfMemory), "out_of_memory");
}

TEST(CountJobsTest, StatesArraysPartitionsReasons) {
  Jobs jobs;
  jobs.jobs.push_back(MakeJob(1, JobState::kRunning, "normal"));
  Job array = MakeJob(2, JobState::kPending, "normal", "JobArrayTaskLimit");
  array.array_job_id = 2;
  array.task_count = 50;  // a pending array record stands for 50 tasks
  array.gpus = 1;
  jobs.jobs.push_back(array);
  Job task = MakeJob(3, JobState::kRunning, "normal");
  task.array_job_id = 2;
  task.array_task_id = 0;
  jobs.jobs.push_back(task);
  jobs.jobs.push_back(MakeJob(4, JobState::kPending, "debug", "Resources"));
  jobs.jobs.push_back(MakeJob(5, JobState::kPending, "debug", "JobHeldUser"));
  jobs.jobs.push_back(MakeJob(6, JobState::kCompleting, "gpu"));

  JobCounts c = CountJobs(SummarizeJobs(jobs), 5000);
  auto tasks = [&](const std::string& p, JobState s) {
    return c.partitions.at(p).tasks[static_cast<size_t>(s)];
  };
  EXPECT_EQ(c.total.tasks[static_cast<size_t>(JobState::kPending)], 52u);
  EXPECT_EQ(c.total.tasks[static_cast<size_t>(JobState::kRunning)], 2u);
  EXPECT_EQ(tasks("normal", JobState::kPending), 50u);
  EXPECT_EQ(tasks("debug", JobState::kPending), 2u);
  EXPECT_EQ(tasks("gpu", JobState::kCompleting), 1u);
  EXPECT_EQ(c.partitions.at("normal").pending_by_reason.at("JobArrayTaskLimit"), 50u);
  EXPECT_EQ(c.partitions.at("debug").pending_by_reason.at("JobHeldUser"), 1u);
  EXPECT_EQ(c.partitions.at("normal").pending_cpus, 100u);
  EXPECT_EQ(c.partitions.at("normal").pending_gpus, 50u);
  EXPECT_EQ(c.partitions.at("normal").running_cpus, 4u);
}

TEST(CountJobsTest, PendingWaitIgnoresHeldAndNotYetEligible) {
  Jobs jobs;
  Job waiting = MakeJob(1, JobState::kPending, "normal", "Priority");
  waiting.eligible_time = 1000;
  Job held = MakeJob(2, JobState::kPending, "normal", "JobHeldAdmin");
  held.eligible_time = 10;
  Job never = MakeJob(3, JobState::kPending, "normal", "Dependency");
  Job future = MakeJob(4, JobState::kPending, "normal", "BeginTime");
  future.eligible_time = 99999;
  jobs.jobs = {waiting, held, never, future};
  JobCounts c = CountJobs(SummarizeJobs(jobs), 1000 + 3601);
  const auto& p = c.partitions.at("normal");
  EXPECT_DOUBLE_EQ(p.max_pending_wait, 3601);
  EXPECT_EQ(p.waiting_longer[2], 1u);  // > 3600 s
  EXPECT_EQ(p.waiting_longer[3], 0u);  // > 14400 s
}

TEST(CountJobsByTest, GroupsByUserAndAccount) {
  Jobs jobs;
  jobs.jobs.push_back(MakeJob(1, JobState::kRunning, "normal"));
  Job b = MakeJob(2, JobState::kPending, "normal");
  b.user = "bob";
  b.account = "chem";
  jobs.jobs.push_back(b);
  auto users = CountJobsBy(jobs, true);
  EXPECT_EQ(users.size(), 2u);
  EXPECT_EQ(users.at("bob").tasks[static_cast<size_t>(JobState::kPending)], 1u);
  auto accounts = CountJobsBy(jobs, false);
  EXPECT_EQ(accounts.at("physics").running_cpus, 2u);
}

TEST(WaitTimeTest, JobWaitUsesEligibleThenSubmit) {
  Job j = MakeJob(1, JobState::kRunning, "normal");
  j.ran = true;
  j.submit_time = 100;
  j.eligible_time = 160;
  j.start_time = 400;
  EXPECT_EQ(JobWaitSeconds(j), 240);
  j.eligible_time = 0;
  EXPECT_EQ(JobWaitSeconds(j), 300);
  j.start_time = 50;  // clock skew: never negative
  EXPECT_EQ(JobWaitSeconds(j), 0);
}

TEST(WaitTimeTest, EachStartedJobObservedExactlyOnce) {
  WaitTimeTracker tracker({60, 3600});
  auto jobs = std::make_shared<Jobs>();
  Job pending = MakeJob(1, JobState::kPending, "normal");
  pending.start_time = 99999;  // expected start of a pending job: not a start
  Job started = MakeJob(2, JobState::kRunning, "normal");
  started.ran = true;
  started.eligible_time = 1000;
  started.start_time = 1030;
  Job cancelled_pending = MakeJob(3, JobState::kCancelled, "normal");
  cancelled_pending.start_time = 1200;  // never ran
  jobs->jobs = {pending, started, cancelled_pending};
  auto w = tracker.Update(jobs);
  ASSERT_EQ(w->by_partition.size(), 1u);
  EXPECT_EQ(w->by_partition[0].second.count, 1u);
  EXPECT_EQ(w->by_partition[0].second.bucket_counts, (std::vector<uint64_t>{1, 1}));
  EXPECT_DOUBLE_EQ(w->by_partition[0].second.sum, 30);

  // The same data again, and a fresh copy of the same jobs: no double counting.
  EXPECT_EQ(tracker.Update(jobs)->by_partition[0].second.count, 1u);
  auto copy = std::make_shared<Jobs>(*jobs);
  EXPECT_EQ(tracker.Update(copy)->by_partition[0].second.count, 1u);

  // Job 1 starts after 2 h; job 2 completes (still listed): one new observation.
  auto next = std::make_shared<Jobs>(*jobs);
  next->jobs[0].state = JobState::kRunning;
  next->jobs[0].ran = true;
  next->jobs[0].eligible_time = 1000;
  next->jobs[0].start_time = 1000 + 7200;
  next->jobs[1].state = JobState::kCompleted;
  auto w2 = tracker.Update(next);
  EXPECT_EQ(w2->by_partition[0].second.count, 2u);
  EXPECT_EQ(w2->by_partition[0].second.bucket_counts, (std::vector<uint64_t>{1, 1}));

  // Jobs purged by slurmctld are forgotten; the histogram keeps its counts.
  auto empty = std::make_shared<Jobs>();
  EXPECT_EQ(tracker.Update(empty)->by_partition[0].second.count, 2u);
  EXPECT_EQ(tracker.tracked(), 0u);
}

// The counting as a plain walk over the jobs: the reference for the summary and its binary
// searches (the per-group sums are the same function; the pending ages are what is checked).
JobCounts WalkCount(const Jobs& jobs, double now) {
  JobCounts out;
  for (const Job& j : jobs.jobs) {
    PartitionJobCounts& p = out.partitions[j.partition];
    AddToGroup(p, j);
    AddToGroup(out.total, j);
    if (j.state != JobState::kPending) continue;
    p.pending_by_reason[j.reason] += j.task_count;
    const bool held = j.reason == "JobHeldUser" || j.reason == "JobHeldAdmin";
    if (held || j.eligible_time <= 0 || static_cast<double>(j.eligible_time) > now) continue;
    double waited = now - static_cast<double>(j.eligible_time);
    p.max_pending_wait = std::max(p.max_pending_wait, waited);
    for (size_t t = 0; t < kPendingWaitThresholds.size(); ++t) {
      if (waited > kPendingWaitThresholds[t]) p.waiting_longer[t] += j.task_count;
    }
  }
  return out;
}

TEST(JobSummaryTest, SameCountsAsAPlainWalkOnRandomTables) {
  std::mt19937 rng(7);
  const char* parts[] = {"a", "b", "c"};
  const char* reasons[] = {"Priority", "Resources", "JobHeldUser", "JobHeldAdmin", "None"};
  const double now = 1'795'000'000.5;
  for (int round = 0; round < 200; ++round) {
    Jobs jobs;
    const int n = static_cast<int>(rng() % 300);
    for (int i = 0; i < n; ++i) {
      Job j = MakeJob(static_cast<uint32_t>(i + 1),
                      rng() % 4 ? JobState::kPending : static_cast<JobState>(rng() % 14),
                      parts[rng() % 3], reasons[rng() % 5]);
      j.task_count = static_cast<uint32_t>(1 + rng() % 3);
      j.gpus = static_cast<uint32_t>(rng() % 2);
      // Eligible in the past (around the thresholds), in the future, exactly now, or never.
      const int64_t offsets[] = {-300, -301, -900, -3600, -3601, -14400, -86400, -86401, 0, 5};
      j.eligible_time = rng() % 8 ? static_cast<int64_t>(now) + offsets[rng() % 10] -
                                        static_cast<int64_t>(rng() % 3)
                                  : 0;
      jobs.jobs.push_back(j);
    }
    for (double at : {now, now - 0.5, now + 0.25, now + 86400}) {
      ASSERT_TRUE(CountJobs(SummarizeJobs(jobs), at) == WalkCount(jobs, at))
          << "round " << round << " at " << at;
    }
  }
}

}  // namespace
}  // namespace slurm_exporter
