// The remediation decision: a pure function of (alert, the nodes as Slurm shows them now, the
// remediator's own ledger, the policy, time). It never calls Slurm; the caller executes what
// it decides. Every refusal has a stable reason code (used in metrics and the audit log).
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "alerts/remediator/policy.h"
#include "alerts/remediator/webhook.h"

namespace slurm_remediator {

struct NodeView {
  bool drained = false;    // DRAIN flag set (by anyone)
  bool down = false;       // base state DOWN
  bool responding = true;  // not NOT_RESPONDING
  bool in_maintenance = false;
  std::string reason;
  std::vector<std::string> partitions;
};

struct ClusterView {
  std::map<std::string, NodeView> nodes;
  std::map<std::string, int> partition_sizes;
};

struct Held {
  std::string fingerprint;
  std::string alertname;
  std::string reason;
  double since = 0;
  bool resolved = false;  // the alert resolved; resume waits for the node to be healthy
};

struct LedgerState {
  std::map<std::string, Held> held;  // nodes drained by us, by node name
  std::vector<double> drain_times;   // unix times of our drains (for the rate limit)
  bool breaker_open = false;
  std::string breaker_reason;
  std::set<std::string> seen_keys;  // Alert::Key() of every alert received
};

enum class Outcome { kExecute, kDryRun, kRefused, kNoop };
std::string_view OutcomeName(Outcome o);

struct Decision {
  Action action = Action::kNone;
  std::string node;
  Outcome outcome = Outcome::kNoop;
  std::string reason;        // refusal / no-op code, "" when executed
  std::string detail;        // human-readable
  std::string drain_reason;  // the Slurm reason to set, for drains
  bool trip_breaker = false;
  bool mark_resolved = false;  // keep held, resume once healthy
};

// "<prefix>: <alertname> [<first 8 of fingerprint>]"
std::string DrainReason(const Policy& policy, const Alert& alert);
bool IsOurReason(const Policy& policy, const std::string& reason);

Decision Decide(const Alert& alert, const Policy& policy, const ClusterView& cluster,
                const LedgerState& ledger, double now, bool hold);

// Pending resumes: nodes held by us whose alert resolved and which are now healthy.
std::vector<std::string> ResumableNodes(const Policy& policy, const ClusterView& cluster,
                                        const LedgerState& ledger, bool hold);

}  // namespace slurm_remediator
