#include "alerts/remediator/decide.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace slurm_remediator {
namespace {

Decision Refuse(Decision d, std::string reason, std::string detail) {
  d.outcome = Outcome::kRefused;
  d.reason = std::move(reason);
  d.detail = std::move(detail);
  return d;
}

Decision Noop(Decision d, std::string reason, std::string detail) {
  d.outcome = Outcome::kNoop;
  d.reason = std::move(reason);
  d.detail = std::move(detail);
  return d;
}

bool Healthy(const NodeView& n) { return n.responding && !n.down; }

}  // namespace

std::string_view OutcomeName(Outcome o) {
  switch (o) {
    case Outcome::kExecute:
      return "executed";
    case Outcome::kDryRun:
      return "dry_run";
    case Outcome::kRefused:
      return "refused";
    case Outcome::kNoop:
      break;
  }
  return "noop";
}

std::string DrainReason(const Policy& policy, const Alert& alert) {
  return fmt::format("{}: {} [{}]", policy.reason_prefix, alert.Name(),
                     alert.fingerprint.substr(0, 8));
}

bool IsOurReason(const Policy& policy, const std::string& reason) {
  return reason.rfind(policy.reason_prefix + ": ", 0) == 0;
}

Decision Decide(const Alert& alert, const Policy& policy, const ClusterView& cluster,
                const LedgerState& ledger, double now, bool hold) {
  Decision d;  // repeated deliveries are dropped on receipt (LedgerState::seen_keys)
  const Rule* rule = policy.Match(alert);
  if (rule == nullptr) return Noop(d, "no_rule", "no rule matches " + alert.Name());
  if (rule->action == Action::kNone) return Noop(d, "rule_action_none", "the rule says none");
  auto label = alert.labels.find(rule->node_label);
  if (label == alert.labels.end() || label->second.empty()) {
    return Refuse(d, "no_node_label", "the alert has no label " + rule->node_label);
  }
  d.node = label->second;
  d.action = alert.status == "firing" ? Action::kDrain : Action::kResume;
  if (hold) return Refuse(d, "hold", "the hold file is present: no action");
  auto it = cluster.nodes.find(d.node);
  if (it == cluster.nodes.end()) return Refuse(d, "unknown_node", "Slurm has no node " + d.node);
  const NodeView& node = it->second;
  auto ours = ledger.held.find(d.node);

  if (d.action == Action::kResume) {
    if (ours == ledger.held.end()) {
      return Refuse(d, "not_ours", "the remediator did not drain " + d.node);
    }
    if (ours->second.fingerprint != alert.fingerprint) {
      return Refuse(d, "held_for_other_alert",
                    "drained for " + ours->second.alertname + ", not for this alert");
    }
    if (!node.drained || !IsOurReason(policy, node.reason)) {
      return Refuse(d, "reason_changed",
                    fmt::format("the node's reason is now '{}', set by someone else", node.reason));
    }
    if (node.in_maintenance) {
      d.mark_resolved = true;
      return Refuse(d, "maintenance", "in a MAINT reservation: resume after it");
    }
    if (!Healthy(node)) {
      d.mark_resolved = true;
      return Refuse(d, "not_healthy",
                    "the alert resolved but the node is down or not responding; resume when "
                    "it answers");
    }
    d.outcome = policy.dry_run ? Outcome::kDryRun : Outcome::kExecute;
    d.detail = "alert resolved and node healthy";
    return d;
  }

  // Drain.
  if (ours != ledger.held.end()) {
    return Noop(d, "already_drained", "already drained by the remediator");
  }
  if (node.in_maintenance) return Refuse(d, "maintenance", "node is in a MAINT reservation");
  if (node.drained || node.down) {
    return Refuse(d, "drained_by_others",
                  fmt::format("node already {} by someone else (reason '{}'): left alone",
                              node.drained ? "drained" : "down", node.reason));
  }
  if (ledger.breaker_open) {
    return Refuse(d, "breaker_open", "circuit breaker open (" + ledger.breaker_reason + ")");
  }
  const int held = static_cast<int>(ledger.held.size());
  const int total = static_cast<int>(cluster.nodes.size());
  const int cap = std::min(policy.max_drained_nodes,
                           static_cast<int>(std::floor(policy.max_drained_fraction * total)));
  if (held + 1 > cap) {
    d.trip_breaker = true;
    return Refuse(
        d, "cluster_cap",
        fmt::format("{} nodes drained by us already (cap {}): breaker opened", held, cap));
  }
  for (const std::string& p : node.partitions) {
    int size = cluster.partition_sizes.count(p) ? cluster.partition_sizes.at(p) : 0;
    int in_p = 0;
    for (const auto& [name, h] : ledger.held) {
      (void)h;
      auto n = cluster.nodes.find(name);
      if (n != cluster.nodes.end() &&
          std::count(n->second.partitions.begin(), n->second.partitions.end(), p)) {
        ++in_p;
      }
    }
    int pcap = static_cast<int>(std::floor(policy.max_partition_fraction * size));
    if (in_p + 1 > pcap) {
      d.trip_breaker = true;
      return Refuse(d, "partition_cap",
                    fmt::format("{} of {} nodes of partition {} drained by us (cap {}): breaker "
                                "opened",
                                in_p, size, p, pcap));
    }
  }
  int recent = 0;
  for (double t : ledger.drain_times) {
    if (now - t < policy.rate_limit_window_seconds) ++recent;
  }
  if (recent >= policy.rate_limit_drains) {
    return Refuse(d, "rate_limited",
                  fmt::format("{} drains in the last {}s (limit {})", recent,
                              policy.rate_limit_window_seconds, policy.rate_limit_drains));
  }
  d.drain_reason = DrainReason(policy, alert);
  d.outcome = policy.dry_run ? Outcome::kDryRun : Outcome::kExecute;
  d.detail = "drain";
  return d;
}

std::vector<std::string> ResumableNodes(const Policy& policy, const ClusterView& cluster,
                                        const LedgerState& ledger, bool hold) {
  std::vector<std::string> out;
  if (hold) return out;
  for (const auto& [name, h] : ledger.held) {
    if (!h.resolved) continue;
    auto it = cluster.nodes.find(name);
    if (it == cluster.nodes.end()) continue;
    const NodeView& n = it->second;
    if (n.drained && IsOurReason(policy, n.reason) && Healthy(n) && !n.in_maintenance) {
      out.push_back(name);
    }
  }
  return out;
}

}  // namespace slurm_remediator
