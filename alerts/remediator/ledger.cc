#include "alerts/remediator/ledger.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace slurm_remediator {
namespace {

using nlohmann::json;

json AlertToJson(const Alert& a) {
  return json{{"status", a.status},      {"labels", a.labels},  {"annotations", a.annotations},
              {"startsAt", a.starts_at}, {"endsAt", a.ends_at}, {"fingerprint", a.fingerprint}};
}

Alert AlertFromJson(const json& j) {
  Alert a;
  a.status = j.value("status", "");
  a.labels = j.value("labels", std::map<std::string, std::string>());
  a.annotations = j.value("annotations", std::map<std::string, std::string>());
  a.starts_at = j.value("startsAt", "");
  a.ends_at = j.value("endsAt", "");
  a.fingerprint = j.value("fingerprint", "");
  return a;
}

}  // namespace

Result<std::unique_ptr<Ledger>> Ledger::Open(const std::string& path) {
  std::unique_ptr<Ledger> l(new Ledger(path));
  bool ends_with_newline = true;
  {
    std::ifstream in(path);
    if (in) {
      std::stringstream ss;
      ss << in.rdbuf();
      std::string all = ss.str();
      ends_with_newline = all.empty() || all.back() == '\n';
      std::istringstream lines(all);
      std::string line;
      while (std::getline(lines, line)) {
        if (!line.empty()) l->Apply(line, /*replay=*/true);
      }
    }
  }
  l->fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (l->fd_ < 0) {
    return Status::Error("audit log", fmt::format("cannot open {}: {}", path, std::strerror(errno)),
                         errno);
  }
  if (!ends_with_newline) {  // a torn last line: start the next entry on a line of its own
    if (Status s = l->AppendLine(""); !s.ok()) return s;
  }
  return l;
}

Ledger::~Ledger() {
  if (fd_ >= 0) ::close(fd_);
}

void Ledger::Apply(const std::string& line, bool replay) {
  json j = json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    ++skipped_;
    return;
  }
  if (replay) ++replayed_;
  const std::string event = j.value("event", "");
  const double ts = j.value("ts", 0.0);
  if (event == "received") {
    const std::string key = j.value("key", "");
    state_.seen_keys.insert(key);
    if (replay && j.contains("alert")) {
      if (!pending_.count(key)) pending_order_.push_back(key);
      pending_[key] = AlertFromJson(j["alert"]);
    }
  } else if (event == "decision") {
    pending_.erase(j.value("key", ""));
    const std::string node = j.value("node", "");
    const std::string outcome = j.value("outcome", "");
    const std::string action = j.value("action", "");
    const bool ok = j.value("result", "") == "ok";
    if (outcome == "executed" && ok && action == "drain") {
      state_.held[node] = Held{j.value("fingerprint", ""), j.value("alertname", ""),
                               j.value("drain_reason", ""), ts, false};
      state_.drain_times.push_back(ts);
    } else if (outcome == "executed" && ok && action == "resume") {
      state_.held.erase(node);
    }
    if (j.value("mark_resolved", false)) {
      auto it = state_.held.find(node);
      if (it != state_.held.end()) it->second.resolved = true;
    }
  } else if (event == "breaker") {
    state_.breaker_open = j.value("open", false);
    state_.breaker_reason = j.value("reason", "");
  } else {
    ++skipped_;
  }
}

Status Ledger::AppendLine(const std::string& line) {
  std::string out = line + "\n";
  size_t off = 0;
  while (off < out.size()) {
    ssize_t n = ::write(fd_, out.data() + off, out.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::Error("audit log", fmt::format("write {}: {}", path_, std::strerror(errno)),
                           errno);
    }
    off += static_cast<size_t>(n);
  }
  if (::fdatasync(fd_) != 0) {
    return Status::Error("audit log", fmt::format("fsync {}: {}", path_, std::strerror(errno)),
                         errno);
  }
  return Status::Ok();
}

Status Ledger::RecordReceived(const Alert& alert, double now) {
  json j{{"ts", now},
         {"event", "received"},
         {"key", alert.Key()},
         {"alertname", alert.Name()},
         {"fingerprint", alert.fingerprint},
         {"status", alert.status},
         {"alert", AlertToJson(alert)}};
  std::string line = j.dump();
  if (Status s = AppendLine(line); !s.ok()) return s;
  Apply(line, false);
  return Status::Ok();
}

Status Ledger::RecordDecision(const Alert* alert, const Decision& d, const std::string& result,
                              double now) {
  json j{{"ts", now},
         {"event", "decision"},
         {"key", alert ? alert->Key() : ""},
         {"alertname", alert ? alert->Name() : ""},
         {"fingerprint", alert ? alert->fingerprint : ""},
         {"node", d.node},
         {"action", std::string(ActionName(d.action))},
         {"outcome", std::string(OutcomeName(d.outcome))},
         {"reason", d.reason},
         {"detail", d.detail},
         {"drain_reason", d.drain_reason},
         {"mark_resolved", d.mark_resolved},
         {"result", result}};
  std::string line = j.dump();
  if (Status s = AppendLine(line); !s.ok()) return s;
  Apply(line, false);
  return Status::Ok();
}

Status Ledger::RecordBreaker(bool open, const std::string& reason, double now) {
  json j{{"ts", now}, {"event", "breaker"}, {"open", open}, {"reason", reason}};
  std::string line = j.dump();
  if (Status s = AppendLine(line); !s.ok()) return s;
  Apply(line, false);
  return Status::Ok();
}

std::vector<Alert> Ledger::TakePending() {
  std::vector<Alert> out;
  for (const auto& key : pending_order_) {
    auto it = pending_.find(key);
    if (it != pending_.end()) out.push_back(it->second);
  }
  pending_.clear();
  pending_order_.clear();
  return out;
}

}  // namespace slurm_remediator
