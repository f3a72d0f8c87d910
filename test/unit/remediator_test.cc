// slurm_remediator: webhook parsing on real payloads, policy validation, every refusal reason
// of the pure decision, the ledger's replay (torn lines, pending alerts), and the service on a
// fake Slurm (duplicates, storms, dry-run).
#include "alerts/remediator/remediator.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "alerts/remediator/decide.h"
#include "alerts/remediator/ledger.h"
#include "alerts/remediator/policy.h"
#include "alerts/remediator/webhook.h"
#include "test/fake_slurm_client.h"

namespace slurm_remediator {
namespace {

std::string Fixture(const std::string& name) {
  std::ifstream f(std::string(FIXTURES_DIR) + "/webhooks/" + name);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string TempPath(const std::string& name) {
  std::string p = ::testing::TempDir() + "/" + name + "." + std::to_string(::getpid());
  std::remove(p.c_str());
  return p;
}

Policy TestPolicy(bool dry_run = false) {
  auto p = ParsePolicy(R"({
    "dry_run": )" + std::string(dry_run ? "true" : "false") +
                       R"(,
    "rules": [{"alertname": "SLURMNodeNotResponding", "matchers": {"remediation": "drain"}},
              {"alertname": "Informational", "action": "none"}],
    "max_drained_nodes": 3, "max_drained_fraction": 0.5, "max_partition_fraction": 0.5,
    "rate_limit": {"drains": 2, "window_seconds": 600}})");
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  return p.value();
}

Alert MakeAlert(const std::string& node, const std::string& status = "firing",
                const std::string& fp = "fp000001") {
  Alert a;
  a.status = status;
  a.labels = {{"alertname", "SLURMNodeNotResponding"}, {"node", node}, {"remediation", "drain"}};
  a.fingerprint = fp + node;
  a.starts_at = "2026-11-26T10:00:00Z";
  return a;
}

ClusterView View(int n) {
  ClusterView v;
  for (int i = 1; i <= n; ++i) {
    NodeView nv;
    nv.partitions = {"normal"};
    v.nodes["n" + std::to_string(i)] = nv;
  }
  v.partition_sizes["normal"] = n;
  return v;
}

TEST(WebhookTest, ParsesRealPayloads) {
  auto m = ParseWebhook(Fixture("firing_node_not_responding.json"));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  ASSERT_EQ(m.value().alerts.size(), 1u);
  EXPECT_EQ(m.value().alerts[0].labels.at("node"), "n3");
  EXPECT_EQ(m.value().alerts[0].Name(), "SLURMNodeNotResponding");
  auto mixed = ParseWebhook(Fixture("mixed_group.json"));
  ASSERT_TRUE(mixed.ok()) << "unknown fields are tolerated";
  EXPECT_EQ(mixed.value().alerts[1].status, "resolved") << "decided per alert, not per group";
}

TEST(WebhookTest, RejectsMalformedWithTheField) {
  struct {
    const char* body;
    const char* needle;
  } cases[] = {
      {"", "not valid JSON"},
      {"[]", "JSON object"},
      {R"({"version":"3","alerts":[]})", "unsupported version"},
      {R"({"version":"4"})", "alerts must be an array"},
      {R"({"version":"4","alerts":[{"status":"maybe"}]})", "alerts[0].status"},
      {R"({"version":"4","alerts":[{"status":"firing","labels":{"a":1}}]})",
       "alerts[0].labels.a must be a string"},
      {R"({"version":"4","alerts":[{"status":"firing","labels":{"alertname":"X"}}]})",
       "fingerprint is missing"},
      {R"({"version":"4","alerts":[{"status":"firing","fingerprint":"f"}]})",
       "alertname is missing"},
  };
  for (const auto& c : cases) {
    auto m = ParseWebhook(c.body);
    ASSERT_FALSE(m.ok()) << c.body;
    EXPECT_NE(m.status().message().find(c.needle), std::string::npos) << m.status().message();
  }
}

TEST(PolicyTest, DefaultsAndErrors) {
  auto p = ParsePolicy(R"({"rules":[{"alertname":"A"}]})");
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p.value().dry_run) << "dry-run by default";
  EXPECT_EQ(p.value().rules[0].node_label, "node");
  struct {
    const char* text;
    const char* needle;
  } cases[] = {
      {"{", "not valid JSON"},
      {R"({"rules":[]})", "rules must be a non-empty array"},
      {R"({"rules":[{"alertname":"A","action":"reboot"}]})", "rules[0].action"},
      {R"({"rules":[{"alertname":""}]})", "rules[0].alertname"},
      {R"({"rules":[{"alertname":"A","colour":"red"}]})", "unknown field 'colour'"},
      {R"({"dry_run":"yes","rules":[{"alertname":"A"}]})", "dry_run must be true or false"},
      {R"({"max_drained_fraction":2,"rules":[{"alertname":"A"}]})", "max_drained_fraction"},
      {R"({"rate_limit":{"drains":1},"rules":[{"alertname":"A"}]})", "rate_limit"},
      {R"({"typo":1,"rules":[{"alertname":"A"}]})", "unknown field 'typo'"},
  };
  for (const auto& c : cases) {
    auto r = ParsePolicy(c.text);
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_NE(r.status().message().find(c.needle), std::string::npos) << r.status().message();
  }
}

TEST(DecideTest, EveryRefusalReason) {
  const Policy policy = TestPolicy();
  const double now = 10000;
  LedgerState empty;
  struct Case {
    std::string name;
    Alert alert;
    std::function<void(ClusterView&, LedgerState&)> setup;
    bool hold;
    Outcome outcome;
    std::string reason;
  };
  Alert other = MakeAlert("n1");
  other.labels["alertname"] = "Unknown";
  Alert none = MakeAlert("n1");
  none.labels["alertname"] = "Informational";
  Alert unlabeled = MakeAlert("n1");
  unlabeled.labels.erase("node");
  Alert wrong_matcher = MakeAlert("n1");
  wrong_matcher.labels["remediation"] = "page";
  auto nothing = [](ClusterView&, LedgerState&) {};
  auto hold_n1 = [&](ClusterView& v, LedgerState& l) {
    l.held["n1"] = Held{"fp000001n1", "SLURMNodeNotResponding",
                        DrainReason(policy, MakeAlert("n1")), 1, false};
    v.nodes["n1"].drained = true;
    v.nodes["n1"].reason = DrainReason(policy, MakeAlert("n1"));
  };
  std::vector<Case> cases = {
      {"drain", MakeAlert("n1"), nothing, false, Outcome::kExecute, ""},
      {"no rule", other, nothing, false, Outcome::kNoop, "no_rule"},
      {"matcher mismatch", wrong_matcher, nothing, false, Outcome::kNoop, "no_rule"},
      {"action none", none, nothing, false, Outcome::kNoop, "rule_action_none"},
      {"no node label", unlabeled, nothing, false, Outcome::kRefused, "no_node_label"},
      {"hold", MakeAlert("n1"), nothing, true, Outcome::kRefused, "hold"},
      {"unknown node", MakeAlert("zz"), nothing, false, Outcome::kRefused, "unknown_node"},
      {"maintenance", MakeAlert("n1"),
       [](ClusterView& v, LedgerState&) { v.nodes["n1"].in_maintenance = true; }, false,
       Outcome::kRefused, "maintenance"},
      {"drained by an admin", MakeAlert("n1"),
       [](ClusterView& v, LedgerState&) {
         v.nodes["n1"].drained = true;
         v.nodes["n1"].reason = "bad DIMM (admin)";
       },
       false, Outcome::kRefused, "drained_by_others"},
      {"down", MakeAlert("n1"), [](ClusterView& v, LedgerState&) { v.nodes["n1"].down = true; },
       false, Outcome::kRefused, "drained_by_others"},
      {"already ours", MakeAlert("n1"), hold_n1, false, Outcome::kNoop, "already_drained"},
      {"breaker open", MakeAlert("n1"),
       [](ClusterView&, LedgerState& l) {
         l.breaker_open = true;
         l.breaker_reason = "cap";
       },
       false, Outcome::kRefused, "breaker_open"},
      {"cluster cap", MakeAlert("n8"),
       [](ClusterView&, LedgerState& l) {
         for (const char* n : {"n1", "n2", "n3"}) l.held[n] = Held{"x", "A", "r", 1, false};
       },
       false, Outcome::kRefused, "cluster_cap"},
      {"rate limited", MakeAlert("n5"),
       [&](ClusterView&, LedgerState& l) {
         l.drain_times = {now - 10, now - 20};
       },
       false, Outcome::kRefused, "rate_limited"},
      {"old drains do not count", MakeAlert("n5"),
       [&](ClusterView&, LedgerState& l) {
         l.drain_times = {now - 7200, now - 7300};
       },
       false, Outcome::kExecute, ""},
      // resume
      {"resume ours", MakeAlert("n1", "resolved"), hold_n1, false, Outcome::kExecute, ""},
      {"resume not ours", MakeAlert("n2", "resolved"),
       [](ClusterView& v, LedgerState&) {
         v.nodes["n2"].drained = true;
         v.nodes["n2"].reason = "admin";
       },
       false, Outcome::kRefused, "not_ours"},
      {"resume for another alert", MakeAlert("n1", "resolved", "other000"), hold_n1, false,
       Outcome::kRefused, "held_for_other_alert"},
      {"reason changed by an admin", MakeAlert("n1", "resolved"),
       [&](ClusterView& v, LedgerState& l) {
         hold_n1(v, l);
         v.nodes["n1"].reason = "admin took over";
       },
       false, Outcome::kRefused, "reason_changed"},
      {"resolved but not responding", MakeAlert("n1", "resolved"),
       [&](ClusterView& v, LedgerState& l) {
         hold_n1(v, l);
         v.nodes["n1"].responding = false;
       },
       false, Outcome::kRefused, "not_healthy"},
      {"resolved in maintenance", MakeAlert("n1", "resolved"),
       [&](ClusterView& v, LedgerState& l) {
         hold_n1(v, l);
         v.nodes["n1"].in_maintenance = true;
       },
       false, Outcome::kRefused, "maintenance"},
      {"resume while hold", MakeAlert("n1", "resolved"), hold_n1, true, Outcome::kRefused, "hold"},
  };
  for (auto& c : cases) {
    ClusterView v = View(8);
    LedgerState l = empty;
    c.setup(v, l);
    Decision d = Decide(c.alert, policy, v, l, now, c.hold);
    EXPECT_EQ(OutcomeName(d.outcome), OutcomeName(c.outcome)) << c.name << ": " << d.detail;
    EXPECT_EQ(d.reason, c.reason) << c.name << ": " << d.detail;
  }
}

TEST(DecideTest, PartitionCapTripsTheBreaker) {
  Policy policy = TestPolicy();
  policy.max_drained_nodes = 100;
  policy.max_drained_fraction = 1;
  ClusterView v = View(8);
  v.nodes["g1"].partitions = {"gpu"};
  v.nodes["g2"].partitions = {"gpu"};
  v.partition_sizes["gpu"] = 2;
  LedgerState l;
  l.held["g1"] = Held{"x", "A", "r", 1, false};
  Decision d = Decide(MakeAlert("g2"), policy, v, l, 0, false);
  EXPECT_EQ(d.reason, "partition_cap") << d.detail;
  EXPECT_TRUE(d.trip_breaker);
}

TEST(DecideTest, DryRunDecidesButDoesNotExecute) {
  Decision d = Decide(MakeAlert("n1"), TestPolicy(/*dry_run=*/true), View(4), {}, 0, false);
  EXPECT_EQ(d.outcome, Outcome::kDryRun);
  EXPECT_EQ(d.drain_reason, "remediator: SLURMNodeNotResponding [fp000001]");
}

TEST(LedgerTest, ReplaysHeldNodesBreakerAndPendingAndSkipsATornLine) {
  const std::string path = TempPath("ledger");
  {
    auto l = Ledger::Open(path);
    ASSERT_TRUE(l.ok());
    Alert a = MakeAlert("n1");
    ASSERT_TRUE(l.value()->RecordReceived(a, 100).ok());
    Decision d;
    d.action = Action::kDrain;
    d.node = "n1";
    d.outcome = Outcome::kExecute;
    d.drain_reason = "remediator: X";
    ASSERT_TRUE(l.value()->RecordDecision(&a, d, "ok", 101).ok());
    ASSERT_TRUE(l.value()->RecordReceived(MakeAlert("n2"), 102).ok());  // never decided
    ASSERT_TRUE(l.value()->RecordBreaker(true, "cap", 103).ok());
  }
  {
    std::ofstream torn(path, std::ios::app);
    torn << R"({"ts":104,"event":"decis)";  // a crash mid-write
  }
  auto l = Ledger::Open(path);
  ASSERT_TRUE(l.ok());
  const LedgerState& st = l.value()->state();
  ASSERT_EQ(st.held.count("n1"), 1u);
  EXPECT_EQ(st.held.at("n1").fingerprint, "fp000001n1");
  EXPECT_EQ(st.drain_times.size(), 1u);
  EXPECT_TRUE(st.breaker_open);
  EXPECT_EQ(st.seen_keys.size(), 2u);
  EXPECT_EQ(l.value()->skipped_lines(), 1u);
  auto pending = l.value()->TakePending();
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].labels.at("node"), "n2");
  // Appending after a torn line starts a fresh line: the next replay reads it.
  ASSERT_TRUE(l.value()->RecordBreaker(false, "reset", 105).ok());
  auto again = Ledger::Open(path);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again.value()->state().breaker_open);
  std::remove(path.c_str());
}

TEST(LedgerTest, LinesWithFieldsOfTheWrongTypeAreSkippedWhole) {
  const std::string good_drain =
      R"({"ts":1,"event":"decision","key":"k1","node":"n1","action":"drain",)"
      R"("outcome":"executed","result":"ok","fingerprint":"f","alertname":"A"})";
  const std::vector<std::string> bad = {
      R"({"ts":"soon","event":"decision","node":"n2","action":"drain","outcome":"executed","result":"ok"})",
      R"({"ts":2,"event":"decision","node":["n3"],"action":"drain","outcome":"executed","result":"ok"})",
      R"({"ts":2,"event":"received","key":"k4","alert":{"labels":{"node":4}}})",
      R"({"ts":2,"event":"received","key":"k5","alert":"not an object"})",
      R"({"ts":2,"event":"breaker","open":"yes"})",
      R"({"ts":2,"event":7})",
      R"([1,2,3])",
      R"({"ts":2,"event":"decision","node":"n1","action":"resume","outcome":"executed","result":{}})",
  };
  std::string text = good_drain + "\n";
  for (const auto& b : bad) text += b + "\n";
  auto l = Ledger::ReplayText(text);
  EXPECT_EQ(l->replayed_lines(), 1u);
  EXPECT_EQ(l->skipped_lines(), bad.size());
  const LedgerState& st = l->state();
  EXPECT_EQ(st.held.size(), 1u);
  EXPECT_EQ(st.held.count("n1"), 1u) << "the bad resume line must not release n1";
  EXPECT_FALSE(st.breaker_open);
  EXPECT_EQ(st.seen_keys.size(), 0u) << "nothing of a skipped line is applied";
  EXPECT_TRUE(l->TakePending().empty());
  EXPECT_FALSE(l->RecordBreaker(true, "x", 3).ok()) << "a replay-only ledger has no file";
}

class RemediatorServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = TempPath("audit");
    auto cluster = std::make_shared<slurm_exporter::ClusterNodes>();
    slurm_exporter::Partition p;
    p.name = "normal";
    for (int i = 1; i <= 10; ++i) {
      slurm_exporter::Node n;
      n.name = "n" + std::to_string(i);
      n.base = slurm_exporter::NodeBase::kIdle;
      cluster->nodes.push_back(n);
      p.node_indices.push_back(static_cast<uint32_t>(i - 1));
    }
    cluster->partitions.push_back(p);
    slurm_.nodes = cluster;
  }
  void TearDown() override { std::remove(path_.c_str()); }
  std::unique_ptr<Remediator> Make(Policy policy) {
    auto l = Ledger::Open(path_);
    EXPECT_TRUE(l.ok());
    return std::make_unique<Remediator>(slurm_, slurm_, std::move(policy), std::move(l).value());
  }
  slurm_exporter::HttpRequest Post(const std::string& body) {
    slurm_exporter::HttpRequest r;
    r.method = "POST";
    r.body = body;
    return r;
  }
  std::string Webhook(const std::vector<std::string>& nodes, const std::string& status) {
    std::string alerts;
    for (const auto& n : nodes) {
      if (!alerts.empty()) alerts += ",";
      alerts +=
          R"({"status":")" + status +
          R"(","labels":{"alertname":"SLURMNodeNotResponding","remediation":"drain","node":")" + n +
          R"("},"startsAt":"2026-11-26T10:00:00Z","fingerprint":"fp)" + n + R"("})";
    }
    return R"({"version":"4","status":")" + status + R"(","alerts":[)" + alerts + "]}";
  }
  std::string path_;
  slurm_exporter::testing::FakeSlurmClient slurm_;
};

TEST_F(RemediatorServiceTest, DuplicateDeliveryMakesOneAction) {
  auto r = Make(TestPolicy());
  EXPECT_EQ(r->HandleWebhook(Post(Webhook({"n1"}, "firing"))).status, 200);
  EXPECT_EQ(r->HandleWebhook(Post(Webhook({"n1"}, "firing"))).status, 200);
  r->ProcessQueued();
  ASSERT_EQ(slurm_.updates.size(), 1u);
  EXPECT_EQ(slurm_.updates[0], "drain n1 remediator: SLURMNodeNotResponding [fpn1]");
  EXPECT_NE(r->StatusJson().find("\"node\": \"n1\""), std::string::npos);
}

TEST_F(RemediatorServiceTest, StormDrainsNoMoreThanTheCapAndOpensTheBreaker) {
  Policy p = TestPolicy();
  p.rate_limit_drains = 100;
  auto r = Make(p);
  std::vector<std::string> all;
  for (int i = 1; i <= 10; ++i) all.push_back("n" + std::to_string(i));
  EXPECT_EQ(r->HandleWebhook(Post(Webhook(all, "firing"))).status, 200);
  r->ProcessQueued();
  EXPECT_EQ(slurm_.updates.size(), 3u) << "max_drained_nodes";
  std::string metrics = r->RenderMetrics();
  EXPECT_NE(metrics.find("slurm_remediator_breaker_open 1"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("reason=\"cluster_cap\""), std::string::npos);
  EXPECT_NE(metrics.find("reason=\"breaker_open\""), std::string::npos);
  // The operator resets the breaker; it stays reset across a restart.
  EXPECT_EQ(r->ResetBreaker({}).status, 200);
  r.reset();
  auto again = Make(p);
  EXPECT_NE(again->RenderMetrics().find("slurm_remediator_breaker_open 0"), std::string::npos);
  EXPECT_NE(again->RenderMetrics().find("slurm_remediator_nodes_held 3"), std::string::npos);
}

TEST_F(RemediatorServiceTest, MalformedIs400AndChangesNothing) {
  auto r = Make(TestPolicy());
  EXPECT_EQ(r->HandleWebhook(Post("{not json")).status, 400);
  r->ProcessQueued();
  EXPECT_TRUE(slurm_.updates.empty());
}

TEST_F(RemediatorServiceTest, DryRunChangesNothingButRecords) {
  auto r = Make(TestPolicy(/*dry_run=*/true));
  r->HandleWebhook(Post(Webhook({"n1"}, "firing")));
  r->ProcessQueued();
  EXPECT_TRUE(slurm_.updates.empty());
  EXPECT_NE(r->RenderMetrics().find("outcome=\"dry_run\""), std::string::npos);
  std::ifstream audit(path_);
  std::stringstream ss;
  ss << audit.rdbuf();
  EXPECT_NE(ss.str().find("\"outcome\":\"dry_run\""), std::string::npos);
}

TEST_F(RemediatorServiceTest, AcknowledgedAlertsSurviveARestartBeforeTheirDecision) {
  {
    auto r = Make(TestPolicy());
    EXPECT_EQ(r->HandleWebhook(Post(Webhook({"n4"}, "firing"))).status, 200);
    // destroyed before the worker decided: as after kill -9
  }
  auto r = Make(TestPolicy());
  r->ProcessQueued();
  ASSERT_EQ(slurm_.updates.size(), 1u);
  EXPECT_EQ(slurm_.updates[0].rfind("drain n4", 0), 0u);
  // And it is not repeated by a further restart.
  r.reset();
  auto r2 = Make(TestPolicy());
  r2->ProcessQueued();
  EXPECT_EQ(slurm_.updates.size(), 1u);
}

}  // namespace
}  // namespace slurm_remediator
