// Google Benchmark of the exporter's own work at cluster scale, without Slurm: an in-memory
// client with 10,000 nodes in 4 partitions and 100,000 pending jobs (the size of
// test/bench/scale_bench.py). Prints times; never a pass/fail test.
//
//   cmake -B build/bench -DSLURM_EXPORTER_BENCHMARKS=ON && cmake --build build/bench -t poll_bench
//   build/bench/poll_bench
#include <benchmark/benchmark.h>
#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

#include <memory>
#include <string>

#include "collectors/all_collectors.h"
#include "collectors/jobs.h"
#include "common/gzip.h"
#include "common/log.h"
#include "common/metric_sink.h"
#include "exporter/poller.h"
#include "test/fake_slurm_client.h"

namespace slurm_exporter {
namespace {

constexpr int kNodes = 10000;
constexpr int kJobs = 100000;

std::shared_ptr<const ClusterNodes> MakeNodes() {
  auto c = std::make_shared<ClusterNodes>();
  const char* parts[] = {"normal", "debug", "gpu", "long"};
  for (int p = 0; p < 4; ++p) {
    Partition part;
    part.name = parts[p];
    c->partitions.push_back(part);
  }
  for (int i = 0; i < kNodes; ++i) {
    Node n;
    n.name = "node" + std::to_string(i);
    n.base = i % 10 == 0 ? NodeBase::kDown : (i % 3 == 0 ? NodeBase::kMixed : NodeBase::kIdle);
    n.cpus = 64;
    n.alloc_cpus = n.base == NodeBase::kMixed ? 32 : 0;
    n.real_memory_bytes = 256ull << 30;
    n.gpus = i % 4 == 2 ? 8 : 0;
    if (n.base == NodeBase::kDown) n.reason = "Not responding";
    n.cpus_effective = 62;
    n.boot_time = 1795000000;
    n.slurmd_start_time = 1795000100 + i;
    n.last_busy = 1795001000 + i;
    if (n.gpus) n.gpu_types = {{"a100", 8}};
    c->nodes.push_back(n);
    c->partitions[static_cast<size_t>(i % 4)].node_indices.push_back(static_cast<uint32_t>(i));
    c->partitions[static_cast<size_t>(i % 4)].total_nodes++;
  }
  return c;
}

// Load and free memory of every node, as slurmd reports them (`seed` varies the values).
std::shared_ptr<const NodeLoads> MakeNodeLoads(const ClusterNodes& c, int seed) {
  auto l = std::make_shared<NodeLoads>();
  for (size_t i = 0; i < c.nodes.size(); ++i) {
    l->nodes.push_back(c.nodes[i].name);
    l->cpu_load.push_back(static_cast<double>((i * 7 + static_cast<size_t>(seed)) % 6400) / 100);
    l->free_memory_bytes.push_back(static_cast<double>((200ull << 30) + i * 4096));
  }
  return l;
}

std::shared_ptr<const Jobs> MakeJobs() {
  auto j = std::make_shared<Jobs>();
  const char* parts[] = {"normal", "debug", "gpu"};
  for (int i = 0; i < kJobs; ++i) {
    Job job;
    job.job_id = static_cast<uint32_t>(1000 + i);
    job.state = JobState::kPending;
    job.partition = parts[i % 3];
    job.reason = "JobHeldUser";
    job.user = "user" + std::to_string(i % 50);
    job.account = "acct" + std::to_string(i % 10);
    job.cpus = 1;
    job.submit_time = 1795000000 + i / 100;
    j->jobs.push_back(std::move(job));
  }
  return j;
}

struct World {
  testing::FakeSlurmClient client;
  std::vector<std::unique_ptr<Collector>> all = AllCollectors();
  std::vector<const Collector*> enabled;
  World() {
    client.nodes = MakeNodes();
    client.node_loads = MakeNodeLoads(*client.nodes, 0);
    client.jobs = MakeJobs();
    for (const auto& c : all) {
      if (c->EnabledByDefault()) enabled.push_back(c.get());
    }
  }
};

World& TheWorld() {
  log::SetLevel(log::Level::kError);
  static World* w = new World();
  return *w;
}

// A whole poll: loads from the fake (no copying: shared objects), every default collector,
// exposition text, gzip.
void BM_PollOnce(benchmark::State& state) {
  World& w = TheWorld();
  PollerOptions opts;
  Poller poller(w.client, w.enabled, opts);
  for (auto _ : state) poller.PollOnce();
  auto latest = poller.Latest();
  state.counters["body_bytes"] = static_cast<double>(latest->body.size());
  state.counters["gzip_bytes"] = static_cast<double>(latest->body_gzip.size());
}
BENCHMARK(BM_PollOnce)->Unit(benchmark::kMillisecond);

// The same with a new node object on every poll (slurmctld reported a node change): the
// per-node families are written and compressed again.
void BM_PollOnce_NodesChanged(benchmark::State& state) {
  World& w = TheWorld();
  PollerOptions opts;
  Poller poller(w.client, w.enabled, opts);
  const auto original = w.client.nodes;
  for (auto _ : state) {
    state.PauseTiming();
    w.client.nodes = std::make_shared<const ClusterNodes>(*original);
    state.ResumeTiming();
    poller.PollOnce();
  }
  w.client.nodes = original;
}
BENCHMARK(BM_PollOnce_NodesChanged)->Unit(benchmark::kMillisecond);

// Only load and free memory changed (what every round of slurmd pings does): the node table
// and node_detail's text are reused; only node_load's part is written and compressed again.
void BM_PollOnce_LoadsChanged(benchmark::State& state) {
  World& w = TheWorld();
  PollerOptions opts;
  opts.intervals.node_load_seconds = 0;  // refreshed on every poll (the default is 1m)
  Poller poller(w.client, w.enabled, opts);
  const auto original = w.client.node_loads;
  int seed = 0;
  for (auto _ : state) {
    state.PauseTiming();
    w.client.node_loads = MakeNodeLoads(*w.client.nodes, ++seed);
    state.ResumeTiming();
    poller.PollOnce();
  }
  w.client.node_loads = original;
}
BENCHMARK(BM_PollOnce_LoadsChanged)->Unit(benchmark::kMillisecond);

// Each default collector on the same snapshot.
void BM_Collector(benchmark::State& state) {
  World& w = TheWorld();
  const Collector* c = w.enabled[static_cast<size_t>(state.range(0))];
  state.SetLabel(std::string(c->Name()));
  Snapshot s;
  s.nodes.attempted = s.jobs.attempted = true;
  s.nodes.data = w.client.nodes;
  s.jobs.data = w.client.jobs;
  // As the poller does: the job table summarized once, reused by polls without job changes.
  s.job_summary = std::make_shared<const JobSummary>(SummarizeJobs(*w.client.jobs));
  size_t bytes = 0;
  for (auto _ : state) {
    MetricSink sink;
    (void)c->Collect(s, sink);
    bytes = sink.text().size();
    benchmark::DoNotOptimize(bytes);
  }
  state.counters["bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_Collector)->DenseRange(0, 9)->Unit(benchmark::kMillisecond);

// Summarizing 100,000 jobs (once per job table that slurmctld sends).
void BM_SummarizeJobs(benchmark::State& state) {
  const auto jobs = TheWorld().client.jobs;
  for (auto _ : state) benchmark::DoNotOptimize(SummarizeJobs(*jobs).partitions.size());
}
BENCHMARK(BM_SummarizeJobs)->Unit(benchmark::kMillisecond);

// The same per-node families (10,000 nodes x 4 samples) written by MetricSink, and built as
// prometheus-cpp MetricFamily structs then serialized by its TextSerializer (before).
void BM_PerNodeFamilies_MetricSink(benchmark::State& state) {
  const auto nodes = TheWorld().client.nodes;
  for (auto _ : state) {
    MetricSink sink;
    const char* names[] = {"slurm_node_cpus", "slurm_node_cpus_allocated",
                           "slurm_node_memory_bytes", "slurm_node_gpus"};
    for (int f = 0; f < 4; ++f) {
      sink.Gauge(names[f], "help");
      for (const auto& n : nodes->nodes) sink.Add(n.cpus, {{"node", n.name}});
    }
    benchmark::DoNotOptimize(sink.text().data());
  }
}
BENCHMARK(BM_PerNodeFamilies_MetricSink)->Unit(benchmark::kMillisecond);

void BM_PerNodeFamilies_PrometheusCpp(benchmark::State& state) {
  const auto nodes = TheWorld().client.nodes;
  for (auto _ : state) {
    std::vector<prometheus::MetricFamily> fams;
    const char* names[] = {"slurm_node_cpus", "slurm_node_cpus_allocated",
                           "slurm_node_memory_bytes", "slurm_node_gpus"};
    for (int f = 0; f < 4; ++f) {
      prometheus::MetricFamily mf;
      mf.name = names[f];
      mf.help = "help";
      mf.type = prometheus::MetricType::Gauge;
      for (const auto& n : nodes->nodes) {
        prometheus::ClientMetric m;
        m.label.push_back({"node", n.name});
        m.gauge.value = n.cpus;
        mf.metric.push_back(std::move(m));
      }
      fams.push_back(std::move(mf));
    }
    std::string text = prometheus::TextSerializer().Serialize(fams);
    benchmark::DoNotOptimize(text.data());
  }
}
BENCHMARK(BM_PerNodeFamilies_PrometheusCpp)->Unit(benchmark::kMillisecond);

void BM_GzipExposition(benchmark::State& state) {
  World& w = TheWorld();
  PollerOptions opts;
  Poller poller(w.client, w.enabled, opts);
  poller.PollOnce();
  const std::string body = poller.Latest()->body.Joined();
  const int level = static_cast<int>(state.range(0));
  size_t out = 0;
  for (auto _ : state) {
    out = Gzip(body, level).size();
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
  state.counters["gzip_bytes"] = static_cast<double>(out);
}
BENCHMARK(BM_GzipExposition)->Arg(1)->Arg(6)->Unit(benchmark::kMillisecond);

// What one scrape computes (the HTTP layer aside): the shared parts and the per-scrape tail
// (slurm_up, snapshot age), gzip-compressed when asked (arg 1).
void BM_Render(benchmark::State& state) {
  World& w = TheWorld();
  PollerOptions opts;
  Poller poller(w.client, w.enabled, opts);
  poller.PollOnce();
  const bool gzip = state.range(0) != 0;
  size_t bytes = 0;
  for (auto _ : state) {
    Poller::Rendered r = poller.Render(gzip);
    bytes = r.prefix.size() + r.tail.size();
    benchmark::DoNotOptimize(bytes);
  }
  state.counters["response_bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_Render)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace slurm_exporter

BENCHMARK_MAIN();
