// Collectors on in-memory snapshots: values, labels, and behaviour with failed or stale sources.
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "collectors/jobs.h"
#include "collectors/node_detail.h"
#include "collectors/nodes.h"
#include "collectors/partitions.h"
#include "collectors/wait_time.h"
#include "test/exposition_parse.h"
#include "test/fixtures/demo_cluster.h"

namespace slurm_exporter {
namespace {

using testing::DemoCluster;

Snapshot SnapshotOf(ClusterNodes cluster, Status status = Status::Ok()) {
  Snapshot s;
  s.nodes.attempted = true;
  s.nodes.status = status;
  s.nodes.data = std::make_shared<const ClusterNodes>(std::move(cluster));
  return s;
}

// name{k=v,...} -> value, labels in emitted order.
std::map<std::string, double> Flatten(const std::string& text) {
  std::map<std::string, double> out;
  for (const auto& f : testing::ParseExposition(text)) {
    for (const auto& m : f.samples) {
      std::string key = m.name;
      if (!m.labels.empty()) {
        key += "{";
        for (size_t i = 0; i < m.labels.size(); ++i) {
          key += (i ? "," : "") + m.labels[i].first + "=" + m.labels[i].second;
        }
        key += "}";
      }
      EXPECT_TRUE(out.emplace(key, m.value).second) << "duplicate series " << key;
    }
  }
  return out;
}

TEST(NodesCollectorTest, CountsEveryNodeOnceByPrimaryState) {
  MetricSink sink;
  ASSERT_TRUE(NodesCollector().Collect(SnapshotOf(DemoCluster()), sink).ok());
  auto m = Flatten(sink.text());
  EXPECT_EQ(m["slurm_nodes_idle"], 1);
  EXPECT_EQ(m["slurm_nodes_mixed"], 1);
  EXPECT_EQ(m["slurm_nodes_allocated"], 1);
  EXPECT_EQ(m["slurm_nodes_drained"], 2);  // n4 idle+drain, n8 down+drain
  EXPECT_EQ(m["slurm_nodes_draining"], 1);
  EXPECT_EQ(m["slurm_nodes_down"], 1);
  EXPECT_EQ(m["slurm_nodes_unknown"], 1);
  EXPECT_EQ(m["slurm_nodes_not_responding"], 2);
  EXPECT_EQ(m["slurm_nodes"], 8);
  EXPECT_EQ(m["slurm_nodes_usable"], 3) << "idle, mixed, allocated";
  double sum = 0;
  for (size_t i = 0; i < kPrimaryStateCount; ++i) {
    std::string name = "slurm_nodes_" + std::string(PrimaryStateName(static_cast<PrimaryState>(i)));
    ASSERT_TRUE(m.count(name)) << name << " must exist even when 0";
    sum += m[name];
  }
  EXPECT_EQ(sum, m["slurm_nodes"]);
}

TEST(NodesCollectorTest, EmptyClusterGivesZeros) {
  MetricSink sink;
  ASSERT_TRUE(NodesCollector().Collect(SnapshotOf(ClusterNodes{}), sink).ok());
  auto m = Flatten(sink.text());
  EXPECT_EQ(m.at("slurm_nodes_idle"), 0);
  EXPECT_EQ(m.at("slurm_nodes"), 0);
}

TEST(NodesCollectorTest, FailedSourceWithoutDataEmitsNothingAndFails) {
  Snapshot s;
  s.nodes.attempted = true;
  s.nodes.status = Status::Error("slurm_load_node", "Unable to contact slurm controller", 1800);
  MetricSink sink;
  Status st = NodesCollector().Collect(s, sink);
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(st.code(), 1800);
  EXPECT_TRUE(sink.empty());
}

TEST(NodesCollectorTest, StaleDataIsServedButReportedAsFailure) {
  MetricSink sink;
  Status st = NodesCollector().Collect(
      SnapshotOf(DemoCluster(), Status::Error("slurm_load_node", "timeout")), sink);
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(Flatten(sink.text())["slurm_nodes"], 8);
}

TEST(PartitionsCollectorTest, CountsPerPartition) {
  MetricSink sink;
  ASSERT_TRUE(PartitionsCollector().Collect(SnapshotOf(DemoCluster()), sink).ok());
  auto m = Flatten(sink.text());
  EXPECT_EQ(m["slurm_partition_nodes{partition=normal,state=drained}"], 2);
  EXPECT_EQ(m["slurm_partition_nodes{partition=debug,state=idle}"], 1);
  EXPECT_EQ(m["slurm_partition_nodes{partition=debug,state=mixed}"], 1);
  EXPECT_EQ(m["slurm_partition_nodes{partition=debug,state=drained}"], 0);
  EXPECT_EQ(m["slurm_partition_nodes{partition=gpu,state=allocated}"], 1);
  EXPECT_EQ(m["slurm_partition_nodes_configured{partition=normal}"], 8);
  EXPECT_EQ(m["slurm_partition_nodes_usable{partition=debug}"], 2);
  EXPECT_EQ(m["slurm_partition_nodes_usable{partition=gpu}"], 1);
  EXPECT_EQ(m["slurm_partition_nodes_configured{partition=empty}"], 0);
  EXPECT_EQ(m["slurm_partition_nodes_not_responding{partition=normal}"], 2);
  EXPECT_EQ(m["slurm_partition_state{partition=gpu,state=drain}"], 1);
  EXPECT_EQ(m["slurm_partition_state{partition=gpu,state=up}"], 0);
  EXPECT_EQ(m["slurm_partition_state{partition=empty,state=down}"], 1);
  EXPECT_EQ(m["slurm_partition_max_time_seconds{partition=debug}"], 3600);
  EXPECT_TRUE(std::isinf(m["slurm_partition_max_time_seconds{partition=gpu}"]));
  EXPECT_EQ(m["slurm_partition_info{partition=normal,default=true,hidden=false}"], 1);
  // Every partition's per-state counts add up to its total.
  for (const char* p : {"normal", "debug", "gpu", "empty"}) {
    double sum = 0;
    for (size_t i = 0; i < kPrimaryStateCount; ++i) {
      sum += m[std::string("slurm_partition_nodes{partition=") + p +
               ",state=" + std::string(PrimaryStateName(static_cast<PrimaryState>(i))) + "}"];
    }
    EXPECT_EQ(sum, m[std::string("slurm_partition_nodes_configured{partition=") + p + "}"]) << p;
  }
}

TEST(PartitionsCollectorTest, IgnoresOutOfRangeIndices) {
  ClusterNodes c = DemoCluster();
  c.partitions[1].node_indices.push_back(999);
  MetricSink sink;
  ASSERT_TRUE(PartitionsCollector().Collect(SnapshotOf(c), sink).ok());
  EXPECT_EQ(Flatten(sink.text())["slurm_partition_nodes_configured{partition=debug}"], 2);
}

TEST(NodeDetailCollectorTest, PerNodeSeriesAndSplits) {
  MetricSink sink;
  ASSERT_TRUE(NodeDetailCollector().Collect(SnapshotOf(DemoCluster()), sink).ok());
  auto m = Flatten(sink.text());
  EXPECT_EQ(m["slurm_node_state_info{node=n6,state=down,flags=not_responding}"], 1);
  EXPECT_EQ(m["slurm_node_state_info{node=n4,state=drained,flags=}"], 1);
  EXPECT_EQ(m["slurm_node_partition_info{node=n3,partition=gpu}"], 1);
  EXPECT_EQ(m.count("slurm_node_partition_info{node=n5,partition=gpu}"), 0u);
  EXPECT_EQ(m["slurm_node_cpus_allocated{node=n2}"], 1);
  EXPECT_EQ(m["slurm_node_gpus{node=n3}"], 2);
  EXPECT_EQ(m["slurm_node_gpus_allocated{node=n3}"], 1);
  EXPECT_EQ(m["slurm_node_reason_info{node=n4,reason=disk replaced}"], 1);
  EXPECT_EQ(m["slurm_node_reason_since_timestamp_seconds{node=n4}"], 1700000000);
  // CPUs: allocated 1+4+2; idle on usable nodes n1 (4) + n2 (3); the rest is other.
  EXPECT_EQ(m["slurm_cpus{state=allocated}"], 7);
  EXPECT_EQ(m["slurm_cpus{state=idle}"], 7);
  EXPECT_EQ(m["slurm_cpus{state=other}"], 32 - 14);
  EXPECT_EQ(m["slurm_gpus{state=allocated}"], 1);
  EXPECT_EQ(m["slurm_gpus{state=other}"], 2);  // n4 is drained
  EXPECT_EQ(m["slurm_gpus{state=idle}"], 1);
  EXPECT_EQ(m["slurm_partition_cpus_by_state{partition=debug,state=idle}"], 7);
}

TEST(NodeUsableTest, Table) {
  EXPECT_TRUE(NodeUsable(testing::MakeNode("a", NodeBase::kIdle)));
  EXPECT_TRUE(NodeUsable(testing::MakeNode("a", NodeBase::kMixed)));
  EXPECT_FALSE(NodeUsable(testing::MakeNode("a", NodeBase::kIdle, kNodeFlagDrain)));
  EXPECT_FALSE(NodeUsable(testing::MakeNode("a", NodeBase::kIdle, kNodeFlagNotResponding)));
  EXPECT_FALSE(NodeUsable(testing::MakeNode("a", NodeBase::kDown)));
}

TEST(JobsCollectorTest, ZerosForKnownPartitionsAndHistogram) {
  Snapshot s = SnapshotOf(DemoCluster());
  auto jobs = std::make_shared<Jobs>();
  Job j;
  j.job_id = 7;
  j.state = JobState::kRunning;
  j.ran = true;
  j.partition = "normal";
  j.cpus = 4;
  j.submit_time = 100;
  j.eligible_time = 100;
  j.start_time = 200;
  jobs->jobs.push_back(j);
  s.jobs.attempted = true;
  s.jobs.status = Status::Ok();
  s.jobs.data = jobs;
  WaitTimeTracker tracker;
  s.wait_times = tracker.Update(jobs);
  MetricSink sink;
  ASSERT_TRUE(JobsCollector().Collect(s, sink).ok());
  auto m = Flatten(sink.text());
  EXPECT_EQ(m["slurm_jobs{state=running}"], 1);
  EXPECT_EQ(m["slurm_jobs{state=pending}"], 0);
  EXPECT_EQ(m.count("slurm_jobs{state=signaling}"), 0u) << "rare states only when present";
  EXPECT_EQ(m["slurm_partition_jobs{partition=debug,state=pending}"], 0) << "known partition";
  EXPECT_EQ(m["slurm_partition_job_cpus{partition=normal,state=running}"], 4);
  bool found = false;
  for (const auto& f : testing::ParseExposition(sink.text())) {
    if (f.name != "slurm_job_wait_time_seconds") continue;
    found = true;
    EXPECT_EQ(f.type, "histogram");
    EXPECT_EQ(m["slurm_job_wait_time_seconds_count{partition=normal}"], 1);
    EXPECT_EQ(m["slurm_job_wait_time_seconds_sum{partition=normal}"], 100);
    EXPECT_EQ(m["slurm_job_wait_time_seconds_bucket{partition=normal,le=+Inf}"], 1);
    size_t counts = 0;
    for (const auto& sample : f.samples) counts += sample.name.ends_with("_count");
    EXPECT_EQ(counts, 4u) << "one histogram per known partition";
  }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace slurm_exporter
