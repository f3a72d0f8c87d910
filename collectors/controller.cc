#include "collectors/controller.h"

#include <fmt/format.h>

#include <algorithm>
#include <string_view>
#include <unordered_map>

#include "collectors/nodes.h"

namespace slurm_exporter {
namespace {

constexpr double kUs = 1e-6;

void EmitRpcs(MetricSink& out, const std::vector<RpcStat>& rpcs, const std::string& prefix,
              const std::string& label, const std::string& who) {
  out.Counter(prefix + "_requests_total",
              fmt::format("RPCs {} processed, by {} (resets with its statistics).", who, label));
  for (const auto& r : rpcs) out.Add(static_cast<double>(r.count), {{label, r.name}});
  out.Counter(prefix + "_time_seconds_total",
              fmt::format("Time {} spent processing RPCs, by {}.", who, label));
  for (const auto& r : rpcs) out.Add(static_cast<double>(r.time_us) * kUs, {{label, r.name}});
}

}  // namespace

Status ControllerCollector::Collect(const Snapshot& snapshot, MetricSink& out) const {
  const auto& src = snapshot.ping;
  if (!src.data) return SourceStatus(src, "ping");
  const ControllerPing& p = *src.data;
  out.Gauge("slurm_controller_up", "1 when the controller answered the last ping.");
  for (const auto& h : p.hosts) out.Add(h.up ? 1 : 0, {{"controller", h.host}, {"role", h.role}});
  out.Gauge("slurm_controller_ping_seconds", "Duration of the last ping of the controller.");
  for (const auto& h : p.hosts) {
    out.Add(h.latency_seconds, {{"controller", h.host}, {"role", h.role}});
  }
  if (!p.version.empty() || !p.cluster_name.empty()) {
    out.Gauge("slurm_controller_info", "slurmctld's version and cluster name; always 1.")
        .Add(1, {{"cluster", p.cluster_name}, {"version", p.version}});
  }
  if (p.boot_time > 0) {
    out.Gauge("slurm_controller_start_time_seconds", "Unix time slurmctld last started.",
              static_cast<double>(p.boot_time));
  }
  return SourceStatus(src, "ping");
}

Status SchedulerCollector::Collect(const Snapshot& snapshot, MetricSink& out) const {
  const auto& src = snapshot.scheduler;
  if (!src.data) return SourceStatus(src, "scheduler");
  const SchedulerStats& s = *src.data;
  out.Gauge("slurm_scheduler_threads", "slurmctld server threads in use.", s.server_thread_count);
  out.Gauge("slurm_scheduler_agent_queue_size", "Outgoing RPCs queued for slurmctld's agents.",
            s.agent_queue_size);
  out.Gauge("slurm_scheduler_agents", "slurmctld agents running.", s.agent_count);
  out.Gauge("slurm_scheduler_agent_threads", "Threads used by slurmctld's agents.",
            s.agent_thread_count);
  out.Gauge("slurm_scheduler_dbd_agent_queue_size",
            "Messages queued for slurmdbd; grows while slurmdbd is unreachable.",
            s.dbd_agent_queue_size);
  out.Gauge("slurm_scheduler_cycle_last_seconds", "Duration of the last main scheduler cycle.",
            s.schedule_cycle_last_us * kUs);
  out.Gauge("slurm_scheduler_cycle_max_seconds",
            "Longest main scheduler cycle since the statistics were reset.",
            s.schedule_cycle_max_us * kUs);
  out.Gauge("slurm_scheduler_cycle_mean_seconds",
            "Mean main scheduler cycle since the statistics were reset.",
            s.schedule_cycle_counter ? static_cast<double>(s.schedule_cycle_sum_us) * kUs /
                                           static_cast<double>(s.schedule_cycle_counter)
                                     : 0);
  out.Counter("slurm_scheduler_cycles_total", "Main scheduler cycles.")
      .Add(static_cast<double>(s.schedule_cycle_counter));
  out.Counter("slurm_scheduler_cycle_time_seconds_total", "Time spent in main scheduler cycles.")
      .Add(static_cast<double>(s.schedule_cycle_sum_us) * kUs);
  out.Counter("slurm_scheduler_cycle_depth_total",
              "Jobs examined by main scheduler cycles (mean depth = this / cycles).")
      .Add(s.schedule_cycle_depth);
  out.Gauge("slurm_scheduler_queue_length", "Jobs pending in the main scheduler queue.",
            s.schedule_queue_len);
  out.Counter("slurm_scheduler_jobs_total",
              "Job events counted by slurmctld since the statistics were reset (at midnight).")
      .Add(s.jobs_submitted, {{"event", "submitted"}})
      .Add(s.jobs_started, {{"event", "started"}})
      .Add(s.jobs_completed, {{"event", "completed"}})
      .Add(s.jobs_canceled, {{"event", "canceled"}})
      .Add(s.jobs_failed, {{"event", "failed"}});
  if (!s.schedule_exit.empty()) {
    out.Counter("slurm_scheduler_cycle_exits_total", "Main scheduler cycles by exit reason.");
    for (const auto& [reason, n] : s.schedule_exit) {
      out.Add(static_cast<double>(n), {{"reason", reason}});
    }
  }
  out.Gauge("slurm_scheduler_stats_reset_timestamp_seconds",
            "Unix time slurmctld's statistics (the _total families here) were last reset.",
            static_cast<double>(s.stats_time_start));

  out.Gauge("slurm_backfill_active", "1 while a backfill cycle is running.", s.bf_active ? 1 : 0);
  out.Gauge("slurm_backfill_cycle_last_seconds", "Duration of the last backfill cycle.",
            s.bf_cycle_last_us * kUs);
  out.Gauge("slurm_backfill_cycle_max_seconds", "Longest backfill cycle since the reset.",
            s.bf_cycle_max_us * kUs);
  out.Counter("slurm_backfill_cycles_total", "Backfill cycles.").Add(s.bf_cycle_counter);
  out.Counter("slurm_backfill_cycle_time_seconds_total", "Time spent in backfill cycles.")
      .Add(static_cast<double>(s.bf_cycle_sum_us) * kUs);
  out.Counter("slurm_backfill_jobs_total", "Jobs started by backfill.").Add(s.bf_backfilled_jobs);
  out.Gauge("slurm_backfill_last_jobs", "Jobs started by the last backfill cycle.",
            s.bf_last_backfilled_jobs);
  out.Gauge("slurm_backfill_last_depth", "Jobs examined by the last backfill cycle.",
            s.bf_last_depth);
  out.Gauge("slurm_backfill_last_depth_try",
            "Jobs the last backfill cycle tried to schedule (start time computed).",
            s.bf_last_depth_try);
  out.Gauge("slurm_backfill_queue_length", "Jobs pending for the backfill scheduler.",
            s.bf_queue_len);
  out.Gauge("slurm_backfill_table_size", "Time slots in the last backfill cycle's table.",
            s.bf_table_size);
  if (s.bf_when_last_cycle > 0) {
    out.Gauge("slurm_backfill_last_cycle_timestamp_seconds",
              "Unix time the last backfill cycle ended.",
              static_cast<double>(s.bf_when_last_cycle));
  }
  if (!s.bf_exit.empty()) {
    out.Counter("slurm_backfill_cycle_exits_total", "Backfill cycles by exit reason.");
    for (const auto& [reason, n] : s.bf_exit) out.Add(static_cast<double>(n), {{"reason", reason}});
  }
  EmitRpcs(out, s.rpc_by_type, "slurm_rpc", "type", "slurmctld");
  out.Gauge("slurm_rpc_pending", "Outgoing RPCs of slurmctld waiting to be sent, by type.");
  for (const auto& [type, n] : s.rpc_queue_by_type) {
    out.Add(static_cast<double>(n), {{"type", type}});
  }
  return SourceStatus(src, "scheduler");
}

Status RpcUsersCollector::Collect(const Snapshot& snapshot, MetricSink& out) const {
  if (snapshot.scheduler.data) {
    EmitRpcs(out, snapshot.scheduler.data->rpc_by_user, "slurm_rpc_user", "user", "slurmctld");
  }
  if (snapshot.dbd.data && snapshot.dbd.data->stats_available) {
    EmitRpcs(out, snapshot.dbd.data->rpc_by_user, "slurm_dbd_rpc_user", "user", "slurmdbd");
  }
  Status s = SourceStatus(snapshot.scheduler, "scheduler");
  return s.ok() ? SourceStatus(snapshot.dbd, "dbd") : s;
}

Status DbdCollector::Collect(const Snapshot& snapshot, MetricSink& out) const {
  const auto& src = snapshot.dbd;
  if (!src.attempted) return SourceStatus(src, "dbd");
  const bool up = src.status.ok() && src.data;
  out.Gauge("slurm_dbd_up", "1 when slurmdbd answered the last statistics request.", up ? 1 : 0);
  if (!up) return Status::Ok();  // slurmdbd down is a value, not a collector failure
  const DbdStats& d = *src.data;
  out.Gauge("slurm_dbd_latency_seconds", "Duration of the last slurmdbd statistics request.",
            d.latency_seconds);
  out.Gauge("slurm_dbd_stats_available",
            "1 when slurmdbd returned its statistics (they need AdminLevel=Admin).",
            d.stats_available ? 1 : 0);
  if (!d.stats_available) return Status::Ok();
  EmitRpcs(out, d.rpc_by_type, "slurm_dbd_rpc", "type", "slurmdbd");
  out.Gauge("slurm_dbd_stats_reset_timestamp_seconds",
            "Unix time slurmdbd's statistics were last reset.", static_cast<double>(d.time_start));
  out.Counter("slurm_dbd_rollups_total", "Usage rollups run by slurmdbd, by period.");
  for (const auto& r : d.rollups) out.Add(static_cast<double>(r.count), {{"period", r.period}});
  out.Counter("slurm_dbd_rollup_time_seconds_total", "Time spent in rollups, by period.");
  for (const auto& r : d.rollups) out.Add(r.total_seconds, {{"period", r.period}});
  out.Gauge("slurm_dbd_rollup_last_duration_seconds", "Duration of the last rollup.");
  for (const auto& r : d.rollups) out.Add(r.last_seconds, {{"period", r.period}});
  out.Gauge("slurm_dbd_rollup_max_duration_seconds", "Longest rollup since the reset.");
  for (const auto& r : d.rollups) out.Add(r.max_seconds, {{"period", r.period}});
  out.Gauge("slurm_dbd_rollup_last_timestamp_seconds",
            "Unix time up to which usage was last rolled up, by period.");
  for (const auto& r : d.rollups) {
    out.Add(static_cast<double>(r.last_timestamp), {{"period", r.period}});
  }
  out.Gauge("slurm_dbd_rollup_lag_seconds",
            "Seconds since the last rollup of the period (0 before the first one).");
  for (const auto& r : d.rollups) {
    double lag = r.last_timestamp > 0 ? snapshot.time - static_cast<double>(r.last_timestamp) : 0;
    out.Add(lag, {{"period", r.period}});
  }
  return Status::Ok();
}

Status AccountingDbCollector::Collect(const Snapshot& snapshot, MetricSink& out) const {
  const auto& src = snapshot.database;
  if (!src.attempted) return SourceStatus(src, "database");
  const bool up = src.status.ok() && src.data;
  out.Gauge("slurm_dbd_database_up",
            "1 when the accounting database server answered the last query.", up ? 1 : 0);
  if (!up) return Status::Ok();
  const DatabaseStatus& d = *src.data;
  out.Gauge("slurm_dbd_connections",
            "Connections open on the accounting database server (Threads_connected; includes "
            "the exporter's own).",
            static_cast<double>(d.threads_connected));
  out.Gauge("slurm_dbd_max_connections", "max_connections of the accounting database server.",
            static_cast<double>(d.max_connections));
  out.Gauge("slurm_dbd_database_latency_seconds", "Duration of the last database query.",
            d.latency_seconds);
  return Status::Ok();
}

Status MungeCollector::Collect(const Snapshot& snapshot, MetricSink& out) const {
  const auto& src = snapshot.munge;
  if (!src.data) return SourceStatus(src, "munge");
  const MungeStatus& m = *src.data;
  // The ping source holds this poll's result even when no controller answered.
  const bool rejected =
      snapshot.ping.attempted && snapshot.ping.data && snapshot.ping.data->auth_rejected;
  constexpr int kMungeCredInvalid = 14;  // EMUNGE_CRED_INVALID: what a key mismatch looks like
  out.Gauge("slurm_munge_up",
            "1 when a munge credential round trip succeeds and slurmctld accepts our "
            "credentials (0 on a wrong or rotated key).",
            m.ok && !rejected ? 1 : 0);
  out.Gauge("slurm_munge_error_code",
            "munge error code (munge_err_t) of the last check; 0 when fine, 14 (invalid "
            "credential) when slurmctld rejected ours.",
            !m.ok ? m.error_code : (rejected ? kMungeCredInvalid : 0));
  out.Gauge("slurm_munge_roundtrip_seconds", "Duration of the last encode+decode round trip.",
            m.latency_seconds);
  return SourceStatus(src, "munge");
}

Status LicensesCollector::Collect(const Snapshot& snapshot, MetricSink& out) const {
  const auto& src = snapshot.resources;
  if (!src.data) return SourceStatus(src, "resources");
  const auto& lic = src.data->licenses;
  out.Gauge("slurm_license_configured", "Licenses configured.");
  for (const auto& l : lic) out.Add(l.total, {{"license", l.name}});
  out.Gauge("slurm_license_used", "Licenses in use by jobs.");
  for (const auto& l : lic) out.Add(l.in_use, {{"license", l.name}});
  out.Gauge("slurm_license_reserved", "Licenses held by reservations.");
  for (const auto& l : lic) out.Add(l.reserved, {{"license", l.name}});
  out.Gauge("slurm_license_free", "Licenses free for new jobs (total - used - reserved).");
  for (const auto& l : lic) {
    int64_t free = int64_t{l.total} - l.in_use - l.reserved;
    out.Add(static_cast<double>(free < 0 ? 0 : free), {{"license", l.name}});
  }
  return SourceStatus(src, "resources");
}

namespace {

// slurm_reservation_nodes{reservation,state}: the reservation's nodes by primary state, from the
// node table (as slurm_partition_nodes). Without a node table, all its nodes count as unknown
// so that the sum by reservation stays Slurm's NodeCnt.
void ReservationNodesByState(const std::vector<Reservation>& resv,
                             const Source<ClusterNodes>& nodes, MetricSink& out) {
  out.Gauge("slurm_reservation_nodes",
            "Nodes of the reservation by primary state (as slurm_nodes_<state>); the sum by "
            "reservation is its node count.");
  std::unordered_map<std::string_view, uint32_t> index;  // only when a reservation has nodes
  const bool any_nodes =
      std::any_of(resv.begin(), resv.end(), [](const Reservation& r) { return !r.nodes.empty(); });
  if (nodes.data && any_nodes) {
    index.reserve(nodes.data->nodes.size());
    for (uint32_t i = 0; i < nodes.data->nodes.size(); ++i) {
      index.emplace(nodes.data->nodes[i].name, i);
    }
  }
  for (const auto& r : resv) {
    NodeStateCounts counts;
    if (nodes.data) {
      std::vector<uint32_t> members;
      members.reserve(r.nodes.size());
      for (const auto& n : r.nodes) {
        if (auto it = index.find(n); it != index.end()) members.push_back(it->second);
      }
      counts = CountNodeStates(*nodes.data, &members);
    }
    counts.by_state[static_cast<size_t>(PrimaryState::kUnknown)] +=
        r.node_count > counts.total ? r.node_count - counts.total : 0;
    for (size_t i = 0; i < kPrimaryStateCount; ++i) {
      out.Add(counts.by_state[i],
              {{"reservation", r.name},
               {"state", std::string(PrimaryStateName(static_cast<PrimaryState>(i)))}});
    }
  }
}

}  // namespace

Status ReservationsCollector::Collect(const Snapshot& snapshot, MetricSink& out) const {
  const auto& src = snapshot.resources;
  if (!src.data) return SourceStatus(src, "resources");
  const auto& resv = src.data->reservations;
  const double now = snapshot.time;
  auto active = [&](const Reservation& r) {
    return static_cast<double>(r.start_time) <= now && now < static_cast<double>(r.end_time);
  };
  out.Gauge("slurm_reservation_info", "Reservation metadata; always 1.");
  for (const auto& r : resv) {
    out.Add(1, {{"reservation", r.name},
                {"partition", r.partition},
                {"flags", r.flags},
                {"maint", r.maint ? "true" : "false"}});
  }
  out.Gauge("slurm_reservation_active", "1 while the reservation is in its time window.");
  for (const auto& r : resv) out.Add(active(r) ? 1 : 0, {{"reservation", r.name}});
  ReservationNodesByState(resv, snapshot.nodes, out);
  out.Gauge("slurm_reservation_cores", "Cores the reservation holds (its CoreCnt).");
  for (const auto& r : resv) out.Add(r.core_count, {{"reservation", r.name}});
  out.Gauge("slurm_reservation_start_time_seconds", "Unix start time of the reservation.");
  for (const auto& r : resv) {
    out.Add(static_cast<double>(r.start_time), {{"reservation", r.name}});
  }
  out.Gauge("slurm_reservation_end_time_seconds", "Unix end time of the reservation.");
  for (const auto& r : resv) out.Add(static_cast<double>(r.end_time), {{"reservation", r.name}});
  out.Gauge("slurm_node_in_maintenance",
            "1 for each node in an active MAINT reservation (absent otherwise); alerts use "
            "`unless on(node) slurm_node_in_maintenance` to stay quiet.");
  for (const auto& r : resv) {
    if (!r.maint || !active(r)) continue;
    for (const auto& n : r.nodes) out.Add(1, {{"node", n}, {"reservation", r.name}});
  }
  return SourceStatus(src, "resources");
}

}  // namespace slurm_exporter
