// In-memory SlurmClient for unit and golden tests: returns whatever the test put in, counts
// calls, and fails on demand (fault injection).
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "collectors/slurm/client.h"

namespace slurm_exporter::testing {

class FakeSlurmClient : public SlurmClient {
 public:
  std::shared_ptr<const ClusterNodes> nodes = std::make_shared<ClusterNodes>();
  Status nodes_error;  // returned instead of `nodes` when not OK
  std::shared_ptr<const Jobs> jobs = std::make_shared<Jobs>();
  Status jobs_error;
  std::atomic<int> load_jobs_calls{0};
  ControllerPing ping{true, 0.001};
  Status ping_error;
  std::atomic<int> load_nodes_calls{0};
  std::atomic<int> ping_calls{0};

  Result<std::shared_ptr<const ClusterNodes>> LoadNodes() override {
    ++load_nodes_calls;
    if (!nodes_error.ok()) return nodes_error;
    return nodes;
  }
  Result<std::shared_ptr<const Jobs>> LoadJobs() override {
    ++load_jobs_calls;
    if (!jobs_error.ok()) return jobs_error;
    return jobs;
  }
  Result<ControllerPing> Ping() override {
    ++ping_calls;
    if (!ping_error.ok()) return ping_error;
    return ping;
  }
  std::string ApiVersion() const override { return "fake"; }
};

}  // namespace slurm_exporter::testing
