// SlurmClient: everything the exporter reads from Slurm, in our own domain terms; NodeWriter:
// the one change the remediator makes (drain, resume). The production implementation
// (LibSlurmClient) is the only code that includes <slurm/slurm.h> and implements both; the
// exporter is handed only the SlurmClient, so it cannot change anything in Slurm. Tests use
// in-memory fakes.
//
// Thread-safety: implementations are not thread-safe; the poller is the only caller and calls
// from one thread.
#pragma once

#include <memory>
#include <string>

#include "collectors/snapshot.h"
#include "common/status.h"

namespace slurm_exporter {

class SlurmClient {
 public:
  virtual ~SlurmClient() = default;
  // Nodes and partitions. When slurmctld reports no change since the last load, returns the
  // previous data (the same pointer) without converting anything again.
  virtual Result<std::shared_ptr<const ClusterNodes>> LoadNodes() = 0;
  // Per-node load and free memory from the node table the last LoadNodes read (no RPC of its
  // own; call it after LoadNodes). Reuses the previous data while they are equal.
  virtual Result<std::shared_ptr<const NodeLoads>> LoadNodeLoads() = 0;
  // Jobs, with array records expanded into task counts. Reuses the previous data when slurmctld
  // reports no change.
  virtual Result<std::shared_ptr<const Jobs>> LoadJobs() = 0;
  // Pings every configured controller (primary, backups) and, when one answers, reads the
  // controller's configuration summary (cluster name, version, boot time).
  virtual Result<ControllerPing> Ping() = 0;
  // sdiag statistics.
  virtual Result<std::shared_ptr<const SchedulerStats>> LoadSchedulerStats() = 0;
  // slurmdbd statistics over a persistent connection, re-opened after failures. An error value
  // means slurmdbd could not be reached.
  virtual Result<std::shared_ptr<const DbdStats>> LoadDbdStats() = 0;
  // Licenses and reservations.
  virtual Result<std::shared_ptr<const LicensesAndReservations>> LoadResources() = 0;
  // slurmctld's associations with their fairshare and usage (slurm_load_assoc_mgr_info), and
  // the PriorityType that decides whether Slurm keeps usage at all.
  virtual Result<std::shared_ptr<const Fairshare>> LoadFairshare() = 0;
  // Jobs that ended between `from` and `to` (unix seconds) as slurmdbd has recorded them,
  // with their steps' usage (slurmdb_jobs_get on the persistent slurmdbd connection).
  virtual Result<std::shared_ptr<const FinishedJobs>> LoadFinishedJobs(int64_t from,
                                                                       int64_t to) = 0;
  // The munge socket named by AuthInfo in the local slurm.conf ("" for munge's default).
  virtual std::string MungeSocket() const = 0;
  // Seconds spent inside library calls (RPCs) since the last call of this function: lets the
  // poller split a source's load time into library time and our own conversion time.
  virtual double TakeLibrarySeconds() { return 0; }
  // Version of the Slurm API compiled in ("22.05.8"), for build info.
  virtual std::string ApiVersion() const = 0;
};

class NodeWriter {
 public:
  virtual ~NodeWriter() = default;
  // Drains a node with a reason, or resumes it (slurm_update_node; needs root, SlurmUser or
  // AdminLevel=Admin).
  enum class NodeUpdate { kDrain, kResume };
  virtual Status UpdateNode(const std::string& node, NodeUpdate what,
                            const std::string& reason) = 0;
};

}  // namespace slurm_exporter
