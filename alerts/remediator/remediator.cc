#include "alerts/remediator/remediator.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "common/log.h"
#include "common/metric_sink.h"

namespace slurm_remediator {

namespace log = slurm_exporter::log;
using nlohmann::json;

Remediator::Remediator(SlurmClient& slurm, NodeWriter& writer, Policy policy,
                       std::unique_ptr<Ledger> ledger, RemediatorOptions options)
    : slurm_(slurm),
      writer_(writer),
      policy_(std::move(policy)),
      options_(std::move(options)),
      ledger_(std::move(ledger)) {
  for (Alert& a : ledger_->TakePending()) queue_.push_back(std::move(a));
  if (!queue_.empty()) {
    log::Info("re-queued alerts received before a restart but not decided",
              {{"count", std::to_string(queue_.size())}});
  }
}

Remediator::~Remediator() { Stop(); }

double Remediator::Now() const {
  if (options_.now) return options_.now();
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

HttpResponse Remediator::HandleWebhook(const HttpRequest& req) {
  auto msg = ParseWebhook(req.body);
  std::lock_guard<std::mutex> lock(mu_);
  if (!msg.ok()) {
    ++webhooks_bad_;
    log::Warn("malformed webhook", {{"err", msg.status().message()}, {"from", req.remote_addr}});
    return HttpResponse{400, "text/plain; charset=utf-8", msg.status().message() + "\n", {}};
  }
  size_t queued = 0;
  for (const Alert& a : msg.value().alerts) {
    if (ledger_->state().seen_keys.count(a.Key())) continue;  // repeat or HA duplicate
    if (Status s = ledger_->RecordReceived(a, Now()); !s.ok()) {
      ++webhooks_failed_;
      log::Error("cannot record alert", {{"err", s.ToString()}});
      return HttpResponse{503, "text/plain; charset=utf-8", "audit log unavailable\n", {}};
    }
    queue_.push_back(a);
    ++queued;
  }
  ++webhooks_ok_;
  cv_.notify_all();
  return HttpResponse{200,
                      "application/json",
                      fmt::format("{{\"status\":\"accepted\",\"queued\":{}}}\n", queued),
                      {}};
}

Result<ClusterView> Remediator::LoadView() {
  auto nodes = slurm_.LoadNodes();
  if (!nodes.ok()) return nodes.status();
  auto resources = slurm_.LoadResources();
  if (!resources.ok()) return resources.status();
  const slurm_exporter::ClusterNodes& c = *nodes.value();
  ClusterView v;
  for (const auto& n : c.nodes) {
    NodeView nv;
    nv.drained = n.flags & slurm_exporter::kNodeFlagDrain;
    nv.down = n.base == slurm_exporter::NodeBase::kDown;
    nv.responding = !(n.flags & slurm_exporter::kNodeFlagNotResponding);
    nv.reason = n.reason;
    v.nodes[n.name] = std::move(nv);
  }
  for (const auto& p : c.partitions) {
    v.partition_sizes[p.name] = static_cast<int>(p.node_indices.size());
    for (uint32_t i : p.node_indices) {
      if (i < c.nodes.size()) v.nodes[c.nodes[i].name].partitions.push_back(p.name);
    }
  }
  const double now = Now();
  for (const auto& r : resources.value()->reservations) {
    if (!r.maint || static_cast<double>(r.start_time) > now ||
        now >= static_cast<double>(r.end_time)) {
      continue;
    }
    for (const auto& n : r.nodes) {
      auto it = v.nodes.find(n);
      if (it != v.nodes.end()) it->second.in_maintenance = true;
    }
  }
  return v;
}

void Remediator::NoteSlurmStatus(const Status& status) {
  std::string err = status.ok() ? std::string() : status.ToString();
  std::lock_guard<std::mutex> lock(mu_);
  protocol_mismatch_ = status.code() == slurm_exporter::kProtocolMismatchCode;
  if (err == slurm_error_) return;  // one line per change, not one per round
  slurm_error_ = err;
  if (err.empty()) {
    log::Info("node states readable again");
  } else if (protocol_mismatch_) {
    log::Error("cannot read node states; will retry", {{"err", err}});
  } else {
    log::Warn("cannot read node states; will retry", {{"err", err}});
  }
}

void Remediator::Count(const Decision& d, const std::string& result) {
  decisions_[fmt::format("{}|{}|{}", ActionName(d.action),
                         result == "ok" ? std::string(OutcomeName(d.outcome)) : "failed",
                         d.reason)] += 1;
}

void Remediator::ProcessQueued() {
  std::lock_guard<std::mutex> slurm_lock(slurm_mu_);
  std::deque<Alert> batch;
  {
    std::lock_guard<std::mutex> lock(mu_);
    batch.swap(queue_);
  }
  if (batch.empty()) return;
  auto view = LoadView();
  NoteSlurmStatus(view.status());
  if (!view.ok()) {  // Slurm unreachable: keep the alerts for the next round
    std::lock_guard<std::mutex> lock(mu_);
    ++slurm_errors_;
    for (auto it = batch.rbegin(); it != batch.rend(); ++it) queue_.push_front(*it);
    return;
  }
  struct stat st {};
  const bool hold = !policy_.hold_file.empty() && ::stat(policy_.hold_file.c_str(), &st) == 0;
  for (const Alert& alert : batch) {
    Decision d;
    {
      std::lock_guard<std::mutex> lock(mu_);
      d = Decide(alert, policy_, view.value(), ledger_->state(), Now(), hold);
    }
    std::string result = "ok";
    if (d.outcome == Outcome::kExecute) {
      Status s = d.action == Action::kDrain
                     ? writer_.UpdateNode(d.node, NodeWriter::NodeUpdate::kDrain, d.drain_reason)
                     : writer_.UpdateNode(d.node, NodeWriter::NodeUpdate::kResume, "");
      if (!s.ok()) {
        result = s.ToString();
        std::lock_guard<std::mutex> lock(mu_);
        ++slurm_errors_;
      } else if (d.action == Action::kDrain) {
        view.value().nodes[d.node].drained = true;  // later alerts of the batch see it
        view.value().nodes[d.node].reason = d.drain_reason;
      }
    }
    std::lock_guard<std::mutex> lock(mu_);
    if (Status s = ledger_->RecordDecision(&alert, d, result, Now()); !s.ok()) {
      log::Error("cannot record decision", {{"err", s.ToString()}});
    }
    if (d.trip_breaker && !ledger_->state().breaker_open) {
      (void)ledger_->RecordBreaker(true, d.reason + ": " + d.detail, Now());
      log::Warn("circuit breaker opened", {{"reason", d.detail}});
    }
    Count(d, result);
    log::Info("decision", {{"alertname", alert.Name()},
                           {"fingerprint", alert.fingerprint},
                           {"status", alert.status},
                           {"node", d.node},
                           {"action", std::string(ActionName(d.action))},
                           {"outcome", std::string(OutcomeName(d.outcome))},
                           {"reason", d.reason},
                           {"detail", d.detail},
                           {"result", result}});
  }
}

void Remediator::Reconcile() {
  std::lock_guard<std::mutex> slurm_lock(slurm_mu_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    bool any = false;
    for (const auto& [n, h] : ledger_->state().held) any = any || h.resolved;
    if (!any) return;
  }
  auto view = LoadView();
  NoteSlurmStatus(view.status());
  if (!view.ok()) return;
  struct stat st {};
  const bool hold = !policy_.hold_file.empty() && ::stat(policy_.hold_file.c_str(), &st) == 0;
  std::vector<std::string> nodes;
  {
    std::lock_guard<std::mutex> lock(mu_);
    nodes = ResumableNodes(policy_, view.value(), ledger_->state(), hold);
  }
  for (const std::string& node : nodes) {
    Decision d;
    d.action = Action::kResume;
    d.node = node;
    d.outcome = policy_.dry_run ? Outcome::kDryRun : Outcome::kExecute;
    d.detail = "alert resolved earlier; node healthy now";
    std::string result = "ok";
    if (d.outcome == Outcome::kExecute) {
      Status s = writer_.UpdateNode(node, NodeWriter::NodeUpdate::kResume, "");
      if (!s.ok()) result = s.ToString();
    }
    std::lock_guard<std::mutex> lock(mu_);
    (void)ledger_->RecordDecision(nullptr, d, result, Now());
    Count(d, result);
    log::Info("decision",
              {{"node", node}, {"action", "resume"}, {"detail", d.detail}, {"result", result}});
  }
}

HttpResponse Remediator::ResetBreaker(const HttpRequest&) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!ledger_->state().breaker_open) {
    return HttpResponse{200, "application/json", "{\"breaker\":\"closed\"}\n", {}};
  }
  if (Status s = ledger_->RecordBreaker(false, "reset by operator", Now()); !s.ok()) {
    return HttpResponse{503, "text/plain; charset=utf-8", s.ToString() + "\n", {}};
  }
  log::Warn("circuit breaker reset by operator");
  return HttpResponse{200, "application/json", "{\"breaker\":\"closed\"}\n", {}};
}

std::string Remediator::StatusJson() const {
  std::lock_guard<std::mutex> lock(mu_);
  const LedgerState& st = ledger_->state();
  json held = json::array();
  for (const auto& [node, h] : st.held) {
    held.push_back({{"node", node},
                    {"alertname", h.alertname},
                    {"fingerprint", h.fingerprint},
                    {"reason", h.reason},
                    {"since", h.since},
                    {"alert_resolved", h.resolved}});
  }
  json out{{"dry_run", policy_.dry_run},
           {"breaker_open", st.breaker_open},
           {"breaker_reason", st.breaker_reason},
           {"queue", queue_.size()},
           {"held", held}};
  return out.dump(2) + "\n";
}

std::string Remediator::RenderMetrics() const {
  slurm_exporter::MetricSink m;
  std::lock_guard<std::mutex> lock(mu_);
  const LedgerState& st = ledger_->state();
  m.Counter("slurm_remediator_decisions_total",
            "Decisions since start by action, outcome (executed, dry_run, refused, noop, "
            "failed) and reason.");
  for (const auto& [key, n] : decisions_) {
    auto a = key.find('|');
    auto b = key.find('|', a + 1);
    m.Add(n, {{"action", key.substr(0, a)},
              {"outcome", key.substr(a + 1, b - a - 1)},
              {"reason", key.substr(b + 1)}});
  }
  m.Gauge("slurm_remediator_nodes_held", "Nodes drained by the remediator and not yet resumed.",
          static_cast<double>(st.held.size()));
  m.Gauge("slurm_remediator_breaker_open", "1 while the circuit breaker refuses drains.",
          st.breaker_open ? 1 : 0);
  m.Gauge("slurm_remediator_queue_depth", "Alerts received and waiting for a decision.",
          static_cast<double>(queue_.size()));
  m.Gauge("slurm_remediator_dry_run", "1 when the remediator only logs what it would do.",
          policy_.dry_run ? 1 : 0);
  m.Counter("slurm_remediator_slurm_errors_total", "Failed Slurm calls.").Add(slurm_errors_);
  m.Gauge("slurm_remediator_protocol_mismatch",
          "1 when slurmctld and this build of the remediator do not speak the same Slurm "
          "protocol (the last read of node states said so): rebuild it for the cluster's "
          "release.",
          protocol_mismatch_ ? 1 : 0);
  m.Counter("slurm_remediator_webhooks_total", "Webhook requests by result.")
      .Add(webhooks_ok_, {{"result", "accepted"}})
      .Add(webhooks_bad_, {{"result", "malformed"}})
      .Add(webhooks_failed_, {{"result", "failed"}});
  return m.TakeText();
}

void Remediator::Start() {
  worker_ = std::thread([this] {
    auto next_reconcile = std::chrono::steady_clock::now();
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait_until(lock, next_reconcile, [this] { return stop_ || !queue_.empty(); });
        if (stop_) return;
      }
      try {
        ProcessQueued();
        if (std::chrono::steady_clock::now() >= next_reconcile) {
          Reconcile();
          next_reconcile = std::chrono::steady_clock::now() +
                           std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                               std::chrono::duration<double>(options_.reconcile_interval_seconds));
        }
      } catch (const std::exception& e) {
        log::Error("remediation round failed", {{"err", e.what()}});
      }
      // Alerts that could not be decided (Slurm unreachable) wait for the next round.
      std::unique_lock<std::mutex> lock(mu_);
      if (!queue_.empty()) {
        cv_.wait_for(lock, std::chrono::seconds(2), [this] { return stop_; });
        if (stop_) return;
      }
    }
  });
}

void Remediator::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

}  // namespace slurm_remediator
