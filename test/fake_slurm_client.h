// In-memory SlurmClient for unit and golden tests: returns whatever the test put in, counts
// calls, and fails on demand (fault injection).
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "collectors/probes.h"
#include "collectors/slurm/client.h"

namespace slurm_exporter::testing {

inline ControllerPing DefaultPing() {
  ControllerPing p;
  p.reachable = true;
  p.latency_seconds = 0.001;
  p.hosts.push_back({"ctl1", "primary", true, 0.001, 0});
  p.cluster_name = "fakecluster";
  p.version = "22.05.8";
  p.boot_time = 1699990000;
  return p;
}

class FakeSlurmClient : public SlurmClient, public NodeWriter {
 public:
  std::shared_ptr<const ClusterNodes> nodes = std::make_shared<ClusterNodes>();
  Status nodes_error;  // returned instead of `nodes` when not OK
  std::shared_ptr<const Jobs> jobs = std::make_shared<Jobs>();
  Status jobs_error;
  std::atomic<int> load_jobs_calls{0};
  ControllerPing ping = DefaultPing();
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

  std::shared_ptr<const SchedulerStats> scheduler = std::make_shared<SchedulerStats>();
  Status scheduler_error;
  std::shared_ptr<const DbdStats> dbd = std::make_shared<DbdStats>();
  Status dbd_error;
  std::shared_ptr<const LicensesAndReservations> resources =
      std::make_shared<LicensesAndReservations>();
  Status resources_error;
  Result<std::shared_ptr<const SchedulerStats>> LoadSchedulerStats() override {
    if (!scheduler_error.ok()) return scheduler_error;
    return scheduler;
  }
  Result<std::shared_ptr<const DbdStats>> LoadDbdStats() override {
    if (!dbd_error.ok()) return dbd_error;
    return dbd;
  }
  Result<std::shared_ptr<const LicensesAndReservations>> LoadResources() override {
    if (!resources_error.ok()) return resources_error;
    return resources;
  }
  std::shared_ptr<const NodeLoads> node_loads = std::make_shared<NodeLoads>();
  Result<std::shared_ptr<const NodeLoads>> LoadNodeLoads() override {
    if (!nodes_error.ok()) return nodes_error;
    return node_loads;
  }
  // Finished jobs: those of `finished` whose end time is in the window asked for.
  std::vector<FinishedJob> finished;
  Status finished_error;
  std::vector<std::pair<int64_t, int64_t>> finished_windows;  // every window asked for
  Result<std::shared_ptr<const FinishedJobs>> LoadFinishedJobs(int64_t from, int64_t to) override {
    finished_windows.emplace_back(from, to);
    if (!finished_error.ok()) return finished_error;
    auto out = std::make_shared<FinishedJobs>();
    out->from = from;
    out->to = to;
    for (const auto& j : finished) {
      if (j.end_time >= from && j.end_time <= to) out->jobs.push_back(j);
    }
    return std::shared_ptr<const FinishedJobs>(std::move(out));
  }
  std::shared_ptr<const Fairshare> fairshare = std::make_shared<Fairshare>();
  Status fairshare_error;
  std::atomic<int> load_fairshare_calls{0};
  Result<std::shared_ptr<const Fairshare>> LoadFairshare() override {
    ++load_fairshare_calls;
    if (!fairshare_error.ok()) return fairshare_error;
    return fairshare;
  }
  std::string MungeSocket() const override { return "/fake/munge.socket"; }
  std::vector<std::string> updates;  // "drain n1 reason" / "resume n1"
  Status update_error;
  Status UpdateNode(const std::string& node, NodeUpdate what, const std::string& reason) override {
    if (!update_error.ok()) return update_error;
    updates.push_back(what == NodeUpdate::kDrain ? "drain " + node + " " + reason
                                                 : "resume " + node);
    return Status::Ok();
  }
};

class FakeMungeProbe : public MungeProbe {
 public:
  MungeStatus status{true, 0, "", 0.0005, "/fake/munge.socket"};
  MungeStatus Check() override { return status; }
};

class FakeDatabaseProbe : public DatabaseProbe {
 public:
  DatabaseStatus status{12, 100, 0.001};
  Status error;
  Result<std::shared_ptr<const DatabaseStatus>> Query() override {
    if (!error.ok()) return error;
    return std::shared_ptr<const DatabaseStatus>(std::make_shared<DatabaseStatus>(status));
  }
};

}  // namespace slurm_exporter::testing
