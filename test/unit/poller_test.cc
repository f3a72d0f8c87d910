// Poller on a fake client: publication, staleness, the poll-timeout watchdog, failing
// collectors, source selection, and the background loop (also run under TSan).
#include "exporter/poller.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <ctime>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "collectors/controller.h"
#include "collectors/fairshare.h"
#include "collectors/job_efficiency.h"
#include "collectors/nodes.h"
#include "test/fake_slurm_client.h"
#include "test/fixtures/demo_cluster.h"
#include "test/gunzip.h"

namespace slurm_exporter {
namespace {

using testing::FakeSlurmClient;

class ManualClock : public Clock {
 public:
  double Now() const override { return 1700000000 + t_.load(); }
  double Monotonic() const override { return 100 + t_.load(); }
  void Advance(double s) { t_.store(t_.load() + s); }

 private:
  std::atomic<double> t_{0};
};

bool Contains(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

class ThrowingCollector : public Collector {
 public:
  std::string_view Name() const override { return "broken"; }
  std::string_view Description() const override { return "throws"; }
  uint32_t Sources() const override { return kSourceNodes; }
  Status Collect(const Snapshot&, MetricSink& out) const override {
    out.Gauge("half_built", "x", 1);
    throw std::runtime_error("boom");
  }
};

// Counts its runs; depends only on the node data, so the poller may reuse its text.
class CountingNodesCollector : public Collector {
 public:
  mutable std::atomic<int> runs{0};
  std::string_view Name() const override { return "counting"; }
  std::string_view Description() const override { return "counts"; }
  uint32_t Sources() const override { return kSourceNodes; }
  bool DependsOnlyOnSourceData() const override { return true; }
  Status Collect(const Snapshot& s, MetricSink& out) const override {
    ++runs;
    if (!s.nodes.data) return SourceStatus(s.nodes, "nodes");
    out.Gauge("counted_nodes", "x", static_cast<double>(s.nodes.data->nodes.size()));
    return SourceStatus(s.nodes, "nodes");
  }
};

TEST(PollerTest, MemoizedCollectorRunsOnlyWhenItsDataChange) {
  FakeSlurmClient client;
  client.nodes = std::make_shared<const ClusterNodes>(testing::DemoCluster());
  CountingNodesCollector counting;
  NodesCollector nodes;
  auto clock = std::make_shared<ManualClock>();
  Poller poller(client, {&counting, &nodes}, {}, clock);
  poller.PollOnce();
  auto first = poller.Latest();
  poller.PollOnce();  // the same node object: text reused
  EXPECT_EQ(counting.runs, 1);
  auto latest = poller.Latest();
  // Reused means shared, not copied: the memoized text is the very same part in both
  // expositions (and its gzip member too); the self-metrics part is new.
  auto shared = [](const SharedText& a, const SharedText& b) {
    size_t n = 0;
    for (const auto& p : a.parts) {
      for (const auto& q : b.parts) n += p == q;
    }
    return n;
  };
  EXPECT_EQ(shared(first->body, latest->body), 2u) << "counting and nodes";
  EXPECT_EQ(shared(first->body_gzip, latest->body_gzip), 2u);
  EXPECT_EQ(latest->body.parts.size(), 3u) << "two memoized parts, the self-metrics";
  EXPECT_TRUE(Contains(latest->body.Joined(), "counted_nodes 8"));
  EXPECT_EQ(testing::Gunzip(latest->body_gzip.Joined()), latest->body.Joined())
      << "gzip members = body";
  EXPECT_TRUE(Contains(latest->body.Joined(),
                       "slurm_exporter_collector_success{collector=\"counting\"} 1"));

  ClusterNodes fewer = testing::DemoCluster();
  fewer.nodes.pop_back();
  client.nodes = std::make_shared<const ClusterNodes>(fewer);  // a new object
  poller.PollOnce();
  EXPECT_EQ(counting.runs, 2);
  latest = poller.Latest();
  EXPECT_TRUE(Contains(latest->body.Joined(), "counted_nodes 7"));
  EXPECT_TRUE(Contains(latest->body.Joined(), "slurm_nodes 7"));
  EXPECT_EQ(testing::Gunzip(latest->body_gzip.Joined()), latest->body.Joined());

  // A failing load keeps the data object but changes the status: run again, and report it.
  client.nodes_error = Status::Error("slurm_load_node", "down");
  poller.PollOnce();
  EXPECT_EQ(counting.runs, 3);
  latest = poller.Latest();
  EXPECT_TRUE(Contains(latest->body.Joined(), "counted_nodes 7")) << "stale data still served";
  EXPECT_TRUE(Contains(latest->body.Joined(),
                       "slurm_exporter_collector_success{collector=\"counting\"} 0"));
  poller.PollOnce();
  EXPECT_EQ(counting.runs, 3) << "same object, same error: reused";
  EXPECT_TRUE(Contains(poller.Latest()->body.Joined(),
                       "slurm_exporter_collector_success{collector=\"counting\"} 0"));
}

TEST(PollerTest, PublishesAfterFirstPoll) {
  FakeSlurmClient client;
  client.nodes = std::make_shared<const ClusterNodes>(testing::DemoCluster());
  NodesCollector nodes;
  auto clock = std::make_shared<ManualClock>();
  Poller poller(client, {&nodes}, {}, clock);
  EXPECT_FALSE(poller.Ready());
  EXPECT_TRUE(Contains(poller.RenderAll(), "slurm_up 0"));
  poller.PollOnce();
  EXPECT_TRUE(poller.Ready());
  std::string out = poller.RenderAll();
  EXPECT_TRUE(Contains(out, "slurm_up 1")) << out;
  EXPECT_TRUE(Contains(out, "slurm_nodes 8"));
  EXPECT_TRUE(Contains(out, "slurm_exporter_collector_success{collector=\"nodes\"} 1"));
  EXPECT_TRUE(Contains(out, "slurm_exporter_polls_total{result=\"success\"} 1"));
  EXPECT_EQ(client.load_nodes_calls, 1);
}

// The munge round trip is library time (inside libmunge, as an RPC is inside libslurm), not
// the exporter's own: what the probe measured, and never more than the source's duration.
TEST(PollerTest, ProbeRoundTripCountsAsLibraryTime) {
  class SlowMunge : public MungeProbe {
   public:
    explicit SlowMunge(ManualClock& clock) : clock_(clock) {}
    MungeStatus Check() override {
      clock_.Advance(0.003);                              // the whole Check
      return {true, 0, "", 0.002, "/fake/munge.socket"};  // of which the round trip
    }

   private:
    ManualClock& clock_;
  };
  FakeSlurmClient client;
  auto clock = std::make_shared<ManualClock>();
  SlowMunge munge(*clock);
  MungeCollector collector;
  Poller poller(client, {&collector}, {}, clock, {&munge, nullptr});
  poller.PollOnce();
  std::string out = poller.RenderAll();
  EXPECT_TRUE(Contains(out, "slurm_exporter_source_library_seconds{source=\"munge\"} 0.002\n"))
      << out;
  EXPECT_TRUE(Contains(out, "slurm_exporter_source_duration_seconds{source=\"munge\"} 0.003"))
      << out;
}

TEST(PollerTest, UnreachableControllerMarksStaleAndSkipsFurtherRpcs) {
  FakeSlurmClient client;
  client.nodes = std::make_shared<const ClusterNodes>(testing::DemoCluster());
  NodesCollector nodes;
  auto clock = std::make_shared<ManualClock>();
  Poller poller(client, {&nodes}, {}, clock);
  poller.PollOnce();
  clock->Advance(15);

  client.ping_error = Status::Error("slurm_ping", "Unable to contact slurm controller", 1800);
  poller.PollOnce();
  std::string out = poller.RenderAll();
  EXPECT_TRUE(Contains(out, "slurm_up 0")) << out;
  EXPECT_TRUE(Contains(out, "slurm_nodes 8")) << "last good data is kept";
  EXPECT_TRUE(Contains(out, "slurm_exporter_collector_success{collector=\"nodes\"} 0"));
  EXPECT_TRUE(Contains(out, "slurm_exporter_source_success{source=\"nodes\"} 0"));
  EXPECT_TRUE(Contains(out, "slurm_exporter_snapshot_age_seconds 15")) << out;
  EXPECT_TRUE(Contains(out, "slurm_exporter_polls_total{result=\"failure\"} 1"));
  EXPECT_EQ(client.load_nodes_calls, 1) << "no node RPC queued behind a dead controller";

  client.ping_error = Status::Ok();
  clock->Advance(15);
  poller.PollOnce();
  out = poller.RenderAll();
  EXPECT_TRUE(Contains(out, "slurm_up 1"));
  EXPECT_TRUE(Contains(out, "slurm_exporter_snapshot_age_seconds 0"));
  EXPECT_EQ(client.load_nodes_calls, 2);
}

TEST(PollerTest, NodeLoadFailureKeepsUpButFailsCollector) {
  FakeSlurmClient client;
  NodesCollector nodes;
  Poller poller(client, {&nodes}, {}, std::make_shared<ManualClock>());
  client.nodes_error = Status::Error("slurm_load_node", "Access/permission denied", 2002);
  poller.PollOnce();
  std::string out = poller.RenderAll();
  EXPECT_TRUE(Contains(out, "slurm_up 1"));
  EXPECT_FALSE(Contains(out, "slurm_nodes"));
  EXPECT_TRUE(Contains(out, "slurm_exporter_collector_success{collector=\"nodes\"} 0"));
}

TEST(PollerTest, ThrowingCollectorIsIsolated) {
  FakeSlurmClient client;
  NodesCollector nodes;
  ThrowingCollector broken;
  Poller poller(client, {&broken, &nodes}, {}, std::make_shared<ManualClock>());
  poller.PollOnce();
  std::string out = poller.RenderAll();
  EXPECT_TRUE(Contains(out, "slurm_exporter_collector_success{collector=\"broken\"} 0"));
  EXPECT_TRUE(Contains(out, "slurm_exporter_collector_success{collector=\"nodes\"} 1"));
  EXPECT_FALSE(Contains(out, "half_built")) << "a failed collector's partial output is dropped";
}

TEST(PollerTest, LoadsOnlyNeededSources) {
  FakeSlurmClient client;
  Poller poller(client, {}, {}, std::make_shared<ManualClock>());
  poller.PollOnce();
  EXPECT_EQ(client.load_nodes_calls, 0);
  EXPECT_EQ(client.ping_calls, 1);
  EXPECT_FALSE(Contains(poller.RenderAll(), "source=\"nodes\""));
}

// A client whose LoadNodes blocks until released: a frozen slurmctld.
class BlockingClient : public FakeSlurmClient {
 public:
  Result<std::shared_ptr<const ClusterNodes>> LoadNodes() override {
    std::unique_lock<std::mutex> lock(mu);
    entered = true;
    cv.notify_all();
    cv.wait(lock, [this] { return released; });
    return FakeSlurmClient::LoadNodes();
  }
  std::mutex mu;
  std::condition_variable cv;
  bool entered = false;
  bool released = false;
};

TEST(PollerTest, OverduePollReadsAsDownWhileServingContinues) {
  BlockingClient client;
  NodesCollector nodes;
  auto clock = std::make_shared<ManualClock>();
  PollerOptions opts;
  opts.timeout_seconds = 30;
  Poller poller(client, {&nodes}, opts, clock);
  {
    std::lock_guard<std::mutex> lock(client.mu);
    client.released = true;
  }
  poller.PollOnce();
  ASSERT_TRUE(poller.SlurmUp());
  {
    std::lock_guard<std::mutex> lock(client.mu);
    client.released = false;
    client.entered = false;
  }
  std::thread t([&] { poller.PollOnce(); });
  {
    std::unique_lock<std::mutex> lock(client.mu);
    client.cv.wait(lock, [&] { return client.entered; });
  }
  clock->Advance(10);
  EXPECT_TRUE(poller.SlurmUp()) << "within the timeout";
  clock->Advance(25);
  EXPECT_FALSE(poller.SlurmUp()) << "past the timeout";
  std::string out = poller.RenderAll();
  EXPECT_TRUE(Contains(out, "slurm_up 0"));
  EXPECT_TRUE(Contains(out, "slurm_exporter_poll_in_progress_seconds 35")) << out;
  {
    std::lock_guard<std::mutex> lock(client.mu);
    client.released = true;
  }
  client.cv.notify_all();
  t.join();
  EXPECT_TRUE(poller.SlurmUp());
}

TEST(PollerTest, BackgroundLoopPollsAndStops) {
  FakeSlurmClient client;
  NodesCollector nodes;
  PollerOptions opts;
  opts.interval_seconds = 0.005;
  Poller poller(client, {&nodes}, opts);
  poller.Start();
  std::atomic<bool> stop{false};
  std::thread reader([&] {  // concurrent scrapes while polls swap snapshots
    while (!stop.load()) {
      std::string out = poller.RenderAll();
      if (!out.empty()) {
        EXPECT_TRUE(Contains(out, "slurm_up"));
      }
    }
  });
  for (int i = 0; i < 400 && client.ping_calls < 5; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  poller.Stop();
  stop = true;
  reader.join();
  EXPECT_GE(client.ping_calls, 5);
  int after = client.ping_calls;
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  EXPECT_EQ(client.ping_calls, after) << "no poll after Stop";
}

}  // namespace
}  // namespace slurm_exporter

namespace slurm_exporter {
namespace {

// A source with its own interval (fairshare) loads on the first poll, is carried between its
// loads with the state of its last load, loads again once the interval has passed, and is
// tried again on the next poll after a failure.
TEST(PollerSourceTable, OwnIntervalCarriesTheLastLoadBetweenLoads) {
  FakeSlurmClient client;
  auto fs = std::make_shared<Fairshare>(testing::DemoFairshare());
  client.fairshare = fs;
  FairshareCollector collector(/*users=*/false);
  auto clock = std::make_shared<ManualClock>();
  PollerOptions opts;
  opts.interval_seconds = 15;
  opts.intervals.fairshare_seconds = 300;
  Poller poller(client, {&collector}, opts, clock);
  poller.PollOnce();
  EXPECT_EQ(client.load_fairshare_calls.load(), 1);
  const double first = poller.Latest()->snapshot->fairshare.last_success_time;
  for (int i = 0; i < 19; ++i) {  // 285 s: not due yet
    clock->Advance(15);
    poller.PollOnce();
  }
  EXPECT_EQ(client.load_fairshare_calls.load(), 1);
  auto latest = poller.Latest();
  EXPECT_EQ(latest->snapshot->fairshare.data, fs);  // the same data, carried
  EXPECT_EQ(latest->snapshot->fairshare.last_success_time, first);
  EXPECT_TRUE(
      Contains(poller.RenderAll(), "slurm_exporter_source_success{source=\"fairshare\"} 1"));
  EXPECT_TRUE(
      Contains(poller.RenderAll(), "slurm_account_fairshare_shares{account=\"physics\"} 60"));
  clock->Advance(15);  // 300 s since the load
  client.fairshare_error = Status::Error("slurm_load_assoc_mgr_info", "Socket timed out");
  poller.PollOnce();
  EXPECT_EQ(client.load_fairshare_calls.load(), 2);
  EXPECT_TRUE(
      Contains(poller.RenderAll(), "slurm_exporter_source_success{source=\"fairshare\"} 0"));
  // Stale data are still served while the source is failing.
  EXPECT_TRUE(
      Contains(poller.RenderAll(), "slurm_account_fairshare_shares{account=\"physics\"} 60"));
  clock->Advance(15);
  client.fairshare_error = Status::Ok();
  poller.PollOnce();  // failed last time: due again at once
  EXPECT_EQ(client.load_fairshare_calls.load(), 3);
  EXPECT_TRUE(
      Contains(poller.RenderAll(), "slurm_exporter_source_success{source=\"fairshare\"} 1"));
}

// No enabled collector needs fairshare: the source is never loaded nor reported.
TEST(PollerSourceTable, UnneededSourceIsNotLoaded) {
  FakeSlurmClient client;
  NodesCollector nodes;
  Poller poller(client, {&nodes}, PollerOptions{}, std::make_shared<ManualClock>());
  poller.PollOnce();
  EXPECT_EQ(client.load_fairshare_calls.load(), 0);
  EXPECT_FALSE(Contains(poller.RenderAll(), "source=\"fairshare\""));
}

}  // namespace
}  // namespace slurm_exporter

namespace slurm_exporter {
namespace {

double Sample(const std::string& text, const std::string& series) {
  const auto pos = text.find(series + " ");
  if (pos == std::string::npos) return -1;
  return std::stod(text.substr(pos + series.size() + 1));
}

// Finished jobs are read incrementally: the first window starts one interval before the
// process, each later one at the end of the last successful read less the margin for late
// records; a job returned by two overlapping reads, or by the same read carried, is counted
// once; a failed read leaves the window open.
TEST(PollerJobEfficiency, IncrementalReadsCountEachJobOnce) {
  FakeSlurmClient client;
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  client.finished = testing::DemoFinishedJobs(now - 5);
  JobEfficiencyCollector collector(JobEfficiencyCollector::By::kPartition);
  PollerOptions opts;
  opts.interval_seconds = 15;
  Poller poller(client, {&collector}, opts, std::make_shared<ManualClock>());
  poller.PollOnce();
  ASSERT_EQ(client.finished_windows.size(), 1u);
  EXPECT_NEAR(static_cast<double>(client.finished_windows[0].first), static_cast<double>(now - 15),
              3);
  const std::string done =
      "slurm_partition_jobs_ended_total{partition=\"normal\",state=\"completed\"}";
  EXPECT_EQ(Sample(poller.RenderAll(), done), 2);
  poller.PollOnce();  // overlaps the first read: the same jobs again
  ASSERT_EQ(client.finished_windows.size(), 2u);
  // The margin never reaches before the first window.
  EXPECT_EQ(client.finished_windows[1].first,
            std::max(client.finished_windows[0].first,
                     client.finished_windows[0].second - kLateRecordSeconds));
  EXPECT_EQ(Sample(poller.RenderAll(), done), 2);
  EXPECT_EQ(
      Sample(poller.RenderAll(),
             "slurm_partition_jobs_ended_total{partition=\"normal\",state=\"out_of_memory\"}"),
      1);
  EXPECT_EQ(Sample(poller.RenderAll(),
                   "slurm_partition_job_gpu_allocated_seconds_total{partition=\"gpu\"}"),
            7200);
  // slurmdbd down: the read fails, the counts stay, the next window still starts where the
  // last successful read ended.
  const int64_t last_to = client.finished_windows[1].second;
  client.finished_error = Status::Error("slurmdb_jobs_get", "Connection refused");
  poller.PollOnce();
  EXPECT_EQ(Sample(poller.RenderAll(), done), 2);
  EXPECT_TRUE(
      Contains(poller.RenderAll(), "slurm_exporter_source_success{source=\"finished_jobs\"} 0"));
  client.finished_error = Status::Ok();
  FinishedJob late = client.finished[0];
  late.record += 1;  // another job that ended during the outage
  late.job_id = 301;
  client.finished.push_back(late);
  poller.PollOnce();
  EXPECT_EQ(client.finished_windows.back().first,
            std::max(client.finished_windows[0].first, last_to - kLateRecordSeconds));
  EXPECT_EQ(Sample(poller.RenderAll(), done), 3);
  // A new process (restart) starts its counters from zero, as Prometheus expects of a reset.
  Poller restarted(client, {&collector}, opts, std::make_shared<ManualClock>());
  restarted.PollOnce();
  EXPECT_EQ(Sample(restarted.RenderAll(), done), 3);  // the jobs of its own first window
}

TEST(JobEfficiency, AsSeffDefinesIt) {
  const auto jobs = testing::DemoFinishedJobs(1700000000);
  EXPECT_DOUBLE_EQ(CpuEfficiency(jobs[0]), 380.0 / (100 * 4));
  EXPECT_DOUBLE_EQ(MemoryEfficiency(jobs[0]), 0.5);
  EXPECT_LT(MemoryEfficiency(jobs[4]), 0);  // no step reported RSS: not observed
  FinishedJob instant = jobs[0];
  instant.elapsed_seconds = 0;
  EXPECT_LT(CpuEfficiency(instant), 0);
}

}  // namespace
}  // namespace slurm_exporter
