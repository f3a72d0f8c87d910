// Golden exposition: the fixture cluster through every collector and the poller, with a frozen
// clock, normalized (families sorted by name, samples sorted) and compared with the checked-in
// file. UPDATE_GOLDEN=1 rewrites the file. The file is also linted by `promtool check metrics`.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <map>
#include <sstream>

#include "alerts/remediator/remediator.h"
#include "collectors/all_collectors.h"
#include "exporter/poller.h"
#include "test/fake_slurm_client.h"
#include "test/fixtures/demo_cluster.h"

namespace slurm_exporter {
namespace {

class FrozenClock : public Clock {
 public:
  double Now() const override { return 1700000000; }
  double Monotonic() const override { return 42; }
};

// Groups lines into families (a family starts at "# HELP"), sorts families by name and the
// samples inside each family.
std::string Normalize(const std::string& text) {
  std::map<std::string, std::pair<std::vector<std::string>, std::vector<std::string>>> fams;
  std::string current;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    if (line.rfind("# HELP ", 0) == 0) {
      current = line.substr(7, line.find(' ', 7) - 7);
      fams[current].first.push_back(line);
    } else if (line.rfind("# TYPE ", 0) == 0) {
      fams[current].first.push_back(line);
    } else {
      fams[current].second.push_back(line);
    }
  }
  std::string out;
  for (auto& [name, f] : fams) {
    std::sort(f.second.begin(), f.second.end());
    for (const auto& l : f.first) out += l + "\n";
    for (const auto& l : f.second) out += l + "\n";
  }
  return out;
}

std::string ReadFile(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

TEST(GoldenTest, FullExposition) {
  testing::FakeSlurmClient client;
  client.nodes = std::make_shared<const ClusterNodes>(testing::DemoCluster());
  client.jobs = std::make_shared<const Jobs>(testing::DemoJobs(1700000000));
  client.scheduler =
      std::make_shared<const SchedulerStats>(testing::DemoSchedulerStats(1700000000));
  client.dbd = std::make_shared<const DbdStats>(testing::DemoDbdStats(1700000000));
  client.resources =
      std::make_shared<const LicensesAndReservations>(testing::DemoResources(1700000000));
  client.finished = testing::DemoFinishedJobs(static_cast<int64_t>(std::time(nullptr)) - 5);
  client.node_loads = std::make_shared<const NodeLoads>(testing::DemoNodeLoads());
  client.fairshare = std::make_shared<const Fairshare>(testing::DemoFairshare());
  testing::FakeMungeProbe munge;
  testing::FakeDatabaseProbe database;
  auto all = AllCollectors();
  std::vector<const Collector*> enabled;
  for (const auto& c : all) enabled.push_back(c.get());  // every collector, also the optional
  PollerOptions opts;
  opts.version = "golden";
  Poller poller(client, enabled, opts, std::make_shared<FrozenClock>(), {&munge, &database});
  poller.PollOnce();
  std::string got = Normalize(poller.RenderAll());

  const std::string path = std::string(GOLDEN_DIR) + "/exposition.txt";
  const char* update = std::getenv("UPDATE_GOLDEN");
  if (update && std::string(update) == "1") {
    std::ofstream(path) << got;
    GTEST_SKIP() << "rewrote " << path;
  }
  std::string want = ReadFile(path);
  ASSERT_FALSE(want.empty()) << path << " is missing; run with UPDATE_GOLDEN=1";
  EXPECT_EQ(got, want) << "exposition differs from " << path
                       << "; if the change is intended, rerun with UPDATE_GOLDEN=1";
}

// The remediator's own exposition after a drain, a refusal and a dry-run decision.
TEST(GoldenTest, RemediatorExposition) {
  testing::FakeSlurmClient slurm;
  auto cluster = std::make_shared<ClusterNodes>(testing::DemoCluster());
  slurm.nodes = cluster;
  const std::string audit = ::testing::TempDir() + "/golden-audit.jsonl";
  std::remove(audit.c_str());
  auto policy = slurm_remediator::ParsePolicy(
      R"({"dry_run": false, "rules": [{"alertname": "SLURMNodeNotResponding"}],
          "max_drained_nodes": 5, "max_drained_fraction": 1})");
  ASSERT_TRUE(policy.ok());
  auto ledger = slurm_remediator::Ledger::Open(audit);
  ASSERT_TRUE(ledger.ok());
  slurm_remediator::Remediator r(slurm, slurm, policy.value(), std::move(ledger).value());
  HttpRequest req;
  req.method = "POST";
  req.body = R"({"version":"4","status":"firing","alerts":[
    {"status":"firing","labels":{"alertname":"SLURMNodeNotResponding","node":"n1"},
     "startsAt":"2026-11-26T10:00:00Z","fingerprint":"f1"},
    {"status":"firing","labels":{"alertname":"SLURMNodeNotResponding","node":"n4"},
     "startsAt":"2026-11-26T10:00:00Z","fingerprint":"f4"},
    {"status":"firing","labels":{"alertname":"Other","node":"n2"},
     "startsAt":"2026-11-26T10:00:00Z","fingerprint":"f2"}]})";
  ASSERT_EQ(r.HandleWebhook(req).status, 200);
  r.ProcessQueued();
  std::remove(audit.c_str());
  std::string got = Normalize(r.RenderMetrics());
  const std::string path = std::string(GOLDEN_DIR) + "/remediator.txt";
  const char* update = std::getenv("UPDATE_GOLDEN");
  if (update && std::string(update) == "1") {
    std::ofstream(path) << got;
    GTEST_SKIP() << "rewrote " << path;
  }
  EXPECT_EQ(got, ReadFile(path)) << "rerun with UPDATE_GOLDEN=1 if intended";
}

}  // namespace
}  // namespace slurm_exporter
