// LibSlurmClient: the libslurm adapter. Converts libslurm's messages into the snapshot structs
// (collectors/slurm/convert.h); every slurm_free_* is owned by a unique_ptr; every Slurm version
// difference lives in collectors/slurm/ behind SLURM_VERSION_NUMBER (compat.h).
//
// Errors: a failed call is an error Status naming the call and slurm_strerror of the code. When
// slurmctld or slurmdbd and this build do not speak the same protocol, the Status has
// kProtocolMismatchCode and says which releases would work. libslurm's own log lines do not go
// to stderr: they are read for that evidence and logged once each (libslurm_log.h).
//
// Thread-safety: not thread-safe (libslurm's client state is process-global); one caller.
#pragma once

#include <memory>
#include <string>

#include "collectors/slurm/client.h"

namespace slurm_exporter {

class LibSlurmClient : public SlurmClient, public NodeWriter {
 public:
  // Finds the configuration (conf_path if not empty, else $SLURM_CONF, else
  // /etc/slurm/slurm.conf), checks that it is a readable file, and initializes libslurm with it.
  // slurm_init() calls exit() on configuration errors, so it is first tried in a forked child:
  // a failure there becomes an error value here instead of ending the process.
  // Must be called before any thread is started.
  static Result<std::unique_ptr<LibSlurmClient>> Create(const std::string& conf_path);
  ~LibSlurmClient() override;

  Result<std::shared_ptr<const ClusterNodes>> LoadNodes() override;
  Result<std::shared_ptr<const NodeLoads>> LoadNodeLoads() override;
  Result<std::shared_ptr<const Jobs>> LoadJobs() override;
  Result<ControllerPing> Ping() override;
  Result<std::shared_ptr<const SchedulerStats>> LoadSchedulerStats() override;
  Result<std::shared_ptr<const DbdStats>> LoadDbdStats() override;
  Result<std::shared_ptr<const LicensesAndReservations>> LoadResources() override;
  Result<std::shared_ptr<const Fairshare>> LoadFairshare() override;
  Result<std::shared_ptr<const FinishedJobs>> LoadFinishedJobs(int64_t from, int64_t to) override;
  std::string MungeSocket() const override;
  Status UpdateNode(const std::string& node, NodeUpdate what, const std::string& reason) override;
  std::string ApiVersion() const override { return BuildSlurmVersion(); }
  // The Slurm release this build's libslurm belongs to ("24.11.7").
  static std::string BuildSlurmVersion();
  double TakeLibrarySeconds() override;

  const std::string& conf_path() const { return conf_path_; }

 private:
  struct State;
  explicit LibSlurmClient(std::string conf_path);
  // A failed slurmctld call (error `code`, after `seconds`) as an error value: a protocol
  // mismatch when the code or libslurm's lines say so, or when slurmctld refused us without
  // saying why while slurmdbd, through the same munged, accepts us (CredentialOrProtocol).
  Status CtldFailure(std::string op, int code, double seconds);
  Status CredentialOrProtocol(Status rejection);
  // Opens the persistent slurmdbd connection when none is open; DbdFailed closes it (it is
  // opened again on the next load) and notes what slurmdbd made of our request.
  Status OpenDbd();
  Status DbdFailed(Status status);
  // The id of TRES gres/gpu in this cluster's accounting (0 when it is not accounted).
  uint32_t GpuTresId();
  std::string conf_path_;
  std::unique_ptr<State> state_;
};

}  // namespace slurm_exporter
