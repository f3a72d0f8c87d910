#include "alerts/remediator/policy.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <set>

namespace slurm_remediator {
namespace {

using nlohmann::json;

Status Bad(const std::string& what) { return Status::Error("policy", what); }

}  // namespace

std::string_view ActionName(Action a) {
  switch (a) {
    case Action::kDrain:
      return "drain";
    case Action::kResume:
      return "resume";
    case Action::kNone:
      break;
  }
  return "none";
}

const Rule* Policy::Match(const Alert& alert) const {
  for (const Rule& r : rules) {
    if (r.alertname != alert.Name()) continue;
    bool ok = true;
    for (const auto& [k, v] : r.matchers) {
      auto it = alert.labels.find(k);
      if (it == alert.labels.end() || it->second != v) {
        ok = false;
        break;
      }
    }
    if (ok) return &r;
  }
  return nullptr;
}

Result<Policy> ParsePolicy(const std::string& text) {
  json j = json::parse(text, nullptr, false, /*ignore_comments=*/true);
  if (j.is_discarded()) return Bad("not valid JSON");
  if (!j.is_object()) return Bad("must be a JSON object");
  static const std::set<std::string> kKnown = {"dry_run",
                                               "reason_prefix",
                                               "rules",
                                               "max_drained_nodes",
                                               "max_drained_fraction",
                                               "max_partition_fraction",
                                               "rate_limit",
                                               "hold_file"};
  for (const auto& [k, v] : j.items()) {
    (void)v;
    if (!kKnown.count(k)) return Bad(fmt::format("unknown field '{}'", k));
  }
  Policy p;
  try {
    if (j.contains("dry_run")) {
      if (!j["dry_run"].is_boolean()) return Bad("dry_run must be true or false");
      p.dry_run = j["dry_run"].get<bool>();
    }
    if (j.contains("reason_prefix")) {
      if (!j["reason_prefix"].is_string() || j["reason_prefix"].get<std::string>().empty()) {
        return Bad("reason_prefix must be a non-empty string");
      }
      p.reason_prefix = j["reason_prefix"].get<std::string>();
    }
    if (j.contains("max_drained_nodes")) {
      if (!j["max_drained_nodes"].is_number_integer() || j["max_drained_nodes"].get<int>() < 0) {
        return Bad("max_drained_nodes must be a whole number >= 0");
      }
      p.max_drained_nodes = j["max_drained_nodes"].get<int>();
    }
    for (const char* f : {"max_drained_fraction", "max_partition_fraction"}) {
      if (!j.contains(f)) continue;
      if (!j[f].is_number() || j[f].get<double>() < 0 || j[f].get<double>() > 1) {
        return Bad(fmt::format("{} must be a number from 0 to 1", f));
      }
      (std::string(f) == "max_drained_fraction" ? p.max_drained_fraction
                                                : p.max_partition_fraction) = j[f].get<double>();
    }
    if (j.contains("rate_limit")) {
      const json& rl = j["rate_limit"];
      if (!rl.is_object() || !rl.contains("drains") || !rl["drains"].is_number_integer() ||
          rl["drains"].get<int>() < 0 || !rl.contains("window_seconds") ||
          !rl["window_seconds"].is_number() || rl["window_seconds"].get<double>() <= 0) {
        return Bad("rate_limit must be {\"drains\": N >= 0, \"window_seconds\": S > 0}");
      }
      p.rate_limit_drains = rl["drains"].get<int>();
      p.rate_limit_window_seconds = rl["window_seconds"].get<double>();
    }
    if (j.contains("hold_file")) {
      if (!j["hold_file"].is_string()) return Bad("hold_file must be a path");
      p.hold_file = j["hold_file"].get<std::string>();
    }
    if (!j.contains("rules") || !j["rules"].is_array() || j["rules"].empty()) {
      return Bad("rules must be a non-empty array");
    }
    for (size_t i = 0; i < j["rules"].size(); ++i) {
      const json& r = j["rules"][i];
      const std::string where = fmt::format("rules[{}]", i);
      if (!r.is_object()) return Bad(where + " must be an object");
      Rule rule;
      if (!r.contains("alertname") || !r["alertname"].is_string() ||
          r["alertname"].get<std::string>().empty()) {
        return Bad(where + ".alertname must be a non-empty string");
      }
      rule.alertname = r["alertname"].get<std::string>();
      std::string action = r.value("action", std::string("drain"));
      if (action == "drain") {
        rule.action = Action::kDrain;
      } else if (action == "none") {
        rule.action = Action::kNone;
      } else {
        return Bad(where + ".action must be \"drain\" or \"none\" (resume follows resolution)");
      }
      if (r.contains("node_label")) {
        if (!r["node_label"].is_string() || r["node_label"].get<std::string>().empty()) {
          return Bad(where + ".node_label must be a label name");
        }
        rule.node_label = r["node_label"].get<std::string>();
      }
      if (r.contains("matchers")) {
        if (!r["matchers"].is_object()) return Bad(where + ".matchers must be an object");
        for (const auto& [k, v] : r["matchers"].items()) {
          if (!v.is_string()) return Bad(fmt::format("{}.matchers.{} must be a string", where, k));
          rule.matchers[k] = v.get<std::string>();
        }
      }
      for (const auto& [k, v] : r.items()) {
        (void)v;
        if (k != "alertname" && k != "action" && k != "node_label" && k != "matchers") {
          return Bad(fmt::format("{}: unknown field '{}'", where, k));
        }
      }
      p.rules.push_back(std::move(rule));
    }
  } catch (const json::exception& e) {
    return Bad(e.what());
  }
  return p;
}

}  // namespace slurm_remediator
