#include "alerts/remediator/ledger.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

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
      l->ReplayLines(all);
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
  // Read every field first: a field of the wrong type (a hand-edited or foreign line) makes
  // the JSON library throw, and such a line is skipped whole, with nothing applied.
  struct Entry {
    std::string event, key, node, outcome, action, result, fingerprint, alertname, drain_reason,
        reason;
    double ts = 0;
    bool mark_resolved = false, open = false, has_alert = false;
    Alert alert;
  } e;
  try {
    e.event = j.value("event", "");
    e.ts = j.value("ts", 0.0);
    e.key = j.value("key", "");
    if (e.event == "received") {
      e.has_alert = replay && j.contains("alert");
      if (e.has_alert) {
        if (!j["alert"].is_object()) throw std::invalid_argument("alert is not an object");
        e.alert = AlertFromJson(j["alert"]);
      }
    } else if (e.event == "decision") {
      e.node = j.value("node", "");
      e.outcome = j.value("outcome", "");
      e.action = j.value("action", "");
      e.result = j.value("result", "");
      e.fingerprint = j.value("fingerprint", "");
      e.alertname = j.value("alertname", "");
      e.drain_reason = j.value("drain_reason", "");
      e.mark_resolved = j.value("mark_resolved", false);
    } else if (e.event == "breaker") {
      e.open = j.value("open", false);
      e.reason = j.value("reason", "");
    }
  } catch (const std::exception&) {
    ++skipped_;
    return;
  }
  if (replay) ++replayed_;
  if (e.event == "received") {
    state_.seen_keys.insert(e.key);
    if (e.has_alert) {
      if (!pending_.count(e.key)) pending_order_.push_back(e.key);
      pending_[e.key] = std::move(e.alert);
    }
  } else if (e.event == "decision") {
    pending_.erase(e.key);
    const bool ok = e.result == "ok";
    if (e.outcome == "executed" && ok && e.action == "drain") {
      state_.held[e.node] = Held{e.fingerprint, e.alertname, e.drain_reason, e.ts, false};
      state_.drain_times.push_back(e.ts);
    } else if (e.outcome == "executed" && ok && e.action == "resume") {
      state_.held.erase(e.node);
    }
    if (e.mark_resolved) {
      auto it = state_.held.find(e.node);
      if (it != state_.held.end()) it->second.resolved = true;
    }
  } else if (e.event == "breaker") {
    state_.breaker_open = e.open;
    state_.breaker_reason = e.reason;
  } else {
    if (replay) --replayed_;
    ++skipped_;
  }
}

void Ledger::ReplayLines(const std::string& text) {
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (!line.empty()) Apply(line, /*replay=*/true);
  }
}

std::unique_ptr<Ledger> Ledger::ReplayText(const std::string& text) {
  std::unique_ptr<Ledger> l(new Ledger(""));
  l->ReplayLines(text);
  return l;
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
