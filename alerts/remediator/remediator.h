// Remediator: receives Alertmanager webhooks, records each alert durably, and decides and acts
// on a worker thread: drains nodes through the libslurm adapter, resumes the ones it drained
// when their alert resolved and they are healthy, refuses everything the policy forbids, and
// writes every decision to the audit log.
//
// Thread-safety: HandleWebhook, StatusJson and RenderMetrics may be called from any thread (HTTP
// workers); Start/Stop from one thread. State is guarded by mu_.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "alerts/remediator/decide.h"
#include "alerts/remediator/ledger.h"
#include "collectors/slurm/client.h"
#include "common/http_server.h"

namespace slurm_remediator {

using slurm_exporter::HttpRequest;
using slurm_exporter::HttpResponse;
using slurm_exporter::NodeWriter;
using slurm_exporter::SlurmClient;

struct RemediatorOptions {
  double reconcile_interval_seconds = 15;
  std::function<double()> now;  // unix seconds; default: system clock
};

class Remediator {
 public:
  // `slurm` reads node states and reservations; `writer` drains and resumes.
  Remediator(SlurmClient& slurm, NodeWriter& writer, Policy policy, std::unique_ptr<Ledger> ledger,
             RemediatorOptions options = {});
  ~Remediator();

  // POST body of an Alertmanager webhook: 400 when malformed, 503 when the audit log cannot
  // be written (Alertmanager retries), 200 once every new alert is recorded and queued.
  HttpResponse HandleWebhook(const HttpRequest& req);
  // Read-only JSON: nodes held drained by us and why, breaker, queue.
  std::string StatusJson() const;
  std::string RenderMetrics() const;
  // Operator: close the circuit breaker.
  HttpResponse ResetBreaker(const HttpRequest& req);

  void Start();
  void Stop();
  // Processes everything queued, then returns (tests; also used by the worker).
  void ProcessQueued();
  void Reconcile();

 private:
  Result<ClusterView> LoadView();
  // Logs a failure to read node states when it starts or changes, and the recovery.
  void NoteSlurmStatus(const Status& status);
  void Count(const Decision& d, const std::string& result);
  double Now() const;

  SlurmClient& slurm_;
  NodeWriter& writer_;
  const Policy policy_;
  RemediatorOptions options_;

  mutable std::mutex mu_;  // guards everything below
  std::unique_ptr<Ledger> ledger_;
  std::deque<Alert> queue_;
  std::map<std::string, double> decisions_;  // "action|outcome|reason" -> count
  double slurm_errors_ = 0;
  std::string slurm_error_;  // the last failure to read node states logged, "" when fine
  bool protocol_mismatch_ = false;
  double webhooks_ok_ = 0, webhooks_bad_ = 0, webhooks_failed_ = 0;

  std::mutex slurm_mu_;  // one Slurm caller at a time (worker, reconcile)
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread worker_;
};

}  // namespace slurm_remediator
