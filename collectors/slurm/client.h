// SlurmClient: everything the exporter asks of Slurm, in our own domain terms. The production
// implementation (LibSlurmClient) is the only code that includes <slurm/slurm.h>; tests use
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
  // Jobs, with array records expanded into task counts. Reuses the previous data when slurmctld
  // reports no change.
  virtual Result<std::shared_ptr<const Jobs>> LoadJobs() = 0;
  // Pings the primary controller.
  virtual Result<ControllerPing> Ping() = 0;
  // Version of the Slurm API compiled in ("22.05.8"), for build info.
  virtual std::string ApiVersion() const = 0;
};

}  // namespace slurm_exporter
