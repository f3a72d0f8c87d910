// Ledger: the remediator's append-only, fsynced audit log (JSON lines), which is also its
// memory. Every received alert is written (and fsynced) before the webhook is acknowledged;
// every decision and its result follow. On start the log is replayed: the nodes we hold
// drained, our recent drains (rate limit), the breaker, the deliveries already seen, and the
// alerts received but not yet decided (they are decided again, so a kill -9 loses nothing that
// was acknowledged). A torn last line (a crash mid-write) is skipped.
//
// Thread-safety: not thread-safe; the remediator serializes access with its own mutex.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "alerts/remediator/decide.h"

namespace slurm_remediator {

class Ledger {
 public:
  static Result<std::unique_ptr<Ledger>> Open(const std::string& path);
  // Replays audit-log text without a file (tests and fuzzing); Record* then fail.
  static std::unique_ptr<Ledger> ReplayText(const std::string& text);
  ~Ledger();

  Status RecordReceived(const Alert& alert, double now);
  Status RecordDecision(const Alert* alert, const Decision& d, const std::string& result,
                        double now);
  Status RecordBreaker(bool open, const std::string& reason, double now);

  const LedgerState& state() const { return state_; }
  // Alerts received but not decided, in arrival order (filled by replay).
  std::vector<Alert> TakePending();
  size_t replayed_lines() const { return replayed_; }
  size_t skipped_lines() const { return skipped_; }

 private:
  explicit Ledger(std::string path) : path_(std::move(path)) {}
  Status AppendLine(const std::string& line);
  void Apply(const std::string& line, bool replay);
  void ReplayLines(const std::string& text);

  std::string path_;
  int fd_ = -1;
  LedgerState state_;
  std::map<std::string, Alert> pending_;
  std::vector<std::string> pending_order_;
  size_t replayed_ = 0, skipped_ = 0;
};

}  // namespace slurm_remediator
