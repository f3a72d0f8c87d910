#include "exporter/sources.h"

#include <algorithm>
#include <chrono>

#include "collectors/job_efficiency.h"

namespace slurm_exporter {
namespace {

int64_t WallSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A ping that reached no controller loaded fine as a call, but the source failed: its data
// (which controllers were tried, and why they failed) are kept for the controller collector.
Status PingReached(const ControllerPing& p) {
  if (p.reachable) return Status::Ok();
  return Status::Error("slurm_ping", p.error, p.error_code);
}

Result<std::shared_ptr<const ControllerPing>> SharedPing(Result<ControllerPing> r) {
  if (!r.ok()) return r.status();
  return std::make_shared<const ControllerPing>(std::move(r).value());
}

template <typename T>
SourceEntry ProbeSource(SourceEntry e, Source<T> Snapshot::*member) {
  e.library = LibraryTime::kProbeLatency;
  e.probe_latency = [member](const Snapshot& s) { return (s.*member).data->latency_seconds; };
  return e;
}

}  // namespace

std::vector<SourceEntry> SourceTable(SlurmClient& c, Probes probes,
                                     const SourceIntervals& intervals) {
  constexpr Server kCtld = Server::kController;
  std::vector<SourceEntry> t;
  t.push_back(MakeSource<ControllerPing>(
      "ping", "slurm_ping", kSourcePing, &Snapshot::ping, Server::kControllerPing,
      [&c] { return SharedPing(c.Ping()); }, PingReached));
  t.push_back(MakeSource<ClusterNodes>("nodes", "slurm_load_node", kSourceNodes, &Snapshot::nodes,
                                       kCtld, [&c] { return c.LoadNodes(); }));
  t.push_back(MakeSource<NodeLoads>("node_loads", "slurm_load_node", kSourceNodeLoads,
                                    &Snapshot::node_loads, kCtld,
                                    [&c] { return c.LoadNodeLoads(); }));
  t.back().interval_seconds = intervals.node_load_seconds;
  t.push_back(MakeSource<Jobs>("jobs", "slurm_load_jobs", kSourceJobs, &Snapshot::jobs, kCtld,
                               [&c] { return c.LoadJobs(); }));
  t.push_back(MakeSource<SchedulerStats>("scheduler", "slurm_get_statistics", kSourceScheduler,
                                         &Snapshot::scheduler, kCtld,
                                         [&c] { return c.LoadSchedulerStats(); }));
  t.push_back(MakeSource<LicensesAndReservations>("resources", "slurm_load_licenses",
                                                  kSourceResources, &Snapshot::resources, kCtld,
                                                  [&c] { return c.LoadResources(); }));
  t.push_back(MakeSource<DbdStats>("dbd", "slurmdb_get_stats", kSourceDbd, &Snapshot::dbd,
                                   Server::kOther, [&c] { return c.LoadDbdStats(); }));
  t.push_back(MakeSource<Fairshare>("fairshare", "slurm_load_assoc_mgr_info", kSourceFairshare,
                                    &Snapshot::fairshare, kCtld,
                                    [&c] { return c.LoadFairshare(); }));
  // priority/multifactor recomputes usage every PriorityCalcPeriod (5 minutes by default).
  t.back().interval_seconds = intervals.fairshare_seconds;
  // Finished jobs: from one read interval before the process started, then from the end of
  // the last successful read less the margin for late records (collectors/job_efficiency.h).
  const double every = intervals.job_efficiency_seconds > 0 ? intervals.job_efficiency_seconds
                                                            : intervals.poll_seconds;
  const int64_t first_from = WallSeconds() - static_cast<int64_t>(every);
  t.push_back(MakeIncrementalSource<FinishedJobs>(
      "finished_jobs", "slurmdb_jobs_get", kSourceFinishedJobs, &Snapshot::finished_jobs,
      Server::kOther, [&c, first_from](const std::shared_ptr<const FinishedJobs>& previous) {
        // Never before the first window: jobs that ended earlier belong to an earlier process.
        const int64_t from =
            previous ? std::max(first_from, previous->to - kLateRecordSeconds) : first_from;
        return c.LoadFinishedJobs(from, WallSeconds());
      }));
  t.back().interval_seconds = intervals.job_efficiency_seconds;
  if (MungeProbe* m = probes.munge) {
    t.push_back(ProbeSource(
        MakeSource<MungeStatus>("munge", "munge", kSourceMunge, &Snapshot::munge, Server::kOther,
                                [m]() -> Result<std::shared_ptr<const MungeStatus>> {
                                  return std::make_shared<const MungeStatus>(m->Check());
                                }),
        &Snapshot::munge));
  }
  if (DatabaseProbe* d = probes.database) {
    t.push_back(ProbeSource(
        MakeSource<DatabaseStatus>("database", "mysql", kSourceDatabase, &Snapshot::database,
                                   Server::kOther, [d] { return d->Query(); }),
        &Snapshot::database));
  }
  return t;
}

}  // namespace slurm_exporter
