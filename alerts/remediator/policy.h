// The remediation policy: which alerts lead to which action on which node, and the safety
// limits. Read from a JSON file and validated at start; every error names the field.
//
//   {
//     "dry_run": true,                       // default true: decide and log, change nothing
//     "reason_prefix": "remediator",          // drain reasons: "<prefix>: <alertname> [<fp>]"
//     "rules": [
//       {"alertname": "SLURMNodeNotResponding", "matchers": {"remediation": "drain"},
//        "action": "drain", "node_label": "node"}
//     ],
//     "max_drained_nodes": 10,                // cluster cap on nodes drained by us at once
//     "max_drained_fraction": 0.2,            // ... and as a fraction of all nodes
//     "max_partition_fraction": 0.5,          // per partition
//     "rate_limit": {"drains": 5, "window_seconds": 600},
//     "hold_file": "/run/slurm_remediator/hold"   // while it exists: no action at all
//   }
#pragma once

#include <map>
#include <string>
#include <vector>

#include "alerts/remediator/webhook.h"

namespace slurm_remediator {

enum class Action { kNone, kDrain, kResume };
std::string_view ActionName(Action a);

struct Rule {
  std::string alertname;
  std::map<std::string, std::string> matchers;  // exact label values
  Action action = Action::kDrain;
  std::string node_label = "node";
};

struct Policy {
  bool dry_run = true;
  std::string reason_prefix = "remediator";
  std::vector<Rule> rules;
  int max_drained_nodes = 10;
  double max_drained_fraction = 0.2;
  double max_partition_fraction = 0.5;
  int rate_limit_drains = 5;
  double rate_limit_window_seconds = 600;
  std::string hold_file;

  // The first rule matching the alert's name and matchers, or null.
  const Rule* Match(const Alert& alert) const;
};

Result<Policy> ParsePolicy(const std::string& json_text);

}  // namespace slurm_remediator
