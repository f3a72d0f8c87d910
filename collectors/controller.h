// Collectors of slurmctld, slurmdbd, munge and cluster resources:
//  "controller":    ping of every controller, version/cluster info, start time
//  "scheduler":     sdiag: threads, agent queues, main and backfill scheduler, RPCs by type
//  "rpc_users":     sdiag and slurmdbd RPC counts by user (off by default: one set per user)
//  "dbd":           slurmdbd reachability, latency, RPCs by type, rollups and their lag
//  "accounting_db": connections on the accounting database server (needs credentials)
//  "munge":         munge credential round trip, and slurmctld's verdict on our credential
//  "licenses", "reservations": licenses and reservations, nodes in MAINT reservations
#pragma once

#include "collectors/collector.h"

namespace slurm_exporter {

#define SLURM_EXPORTER_SIMPLE_COLLECTOR(Class, name, desc, sources, on)       \
  class Class : public Collector {                                            \
   public:                                                                    \
    std::string_view Name() const override { return name; }                   \
    std::string_view Description() const override { return desc; }            \
    bool EnabledByDefault() const override { return on; }                     \
    uint32_t Sources() const override { return sources; }                     \
    Status Collect(const Snapshot& snapshot, MetricSink& out) const override; \
  }

SLURM_EXPORTER_SIMPLE_COLLECTOR(ControllerCollector, "controller",
                                "Controller ping per host, version and cluster info, start time",
                                kSourcePing, true);
SLURM_EXPORTER_SIMPLE_COLLECTOR(SchedulerCollector, "scheduler",
                                "sdiag: threads, agent queues, scheduler cycles, RPCs by type",
                                kSourceScheduler, true);
SLURM_EXPORTER_SIMPLE_COLLECTOR(RpcUsersCollector, "rpc_users",
                                "slurmctld and slurmdbd RPCs by user (cardinality: per user)",
                                kSourceScheduler | kSourceDbd, false);
SLURM_EXPORTER_SIMPLE_COLLECTOR(DbdCollector, "dbd",
                                "slurmdbd up, latency, RPCs by type, rollups and rollup lag",
                                kSourceDbd, true);
SLURM_EXPORTER_SIMPLE_COLLECTOR(AccountingDbCollector, "accounting_db",
                                "Connections on the accounting database (--accounting-db.my-cnf)",
                                kSourceDatabase, false);
SLURM_EXPORTER_SIMPLE_COLLECTOR(MungeCollector, "munge",
                                "munge round trip on AuthInfo's socket; credential accepted",
                                kSourceMunge | kSourcePing, true);
SLURM_EXPORTER_SIMPLE_COLLECTOR(LicensesCollector, "licenses", "Licenses: total, used, free",
                                kSourceResources, true);
SLURM_EXPORTER_SIMPLE_COLLECTOR(ReservationsCollector, "reservations",
                                "Reservations, their nodes by state, cores and times; nodes in "
                                "MAINT reservations",
                                kSourceResources | kSourceNodes, true);

#undef SLURM_EXPORTER_SIMPLE_COLLECTOR

}  // namespace slurm_exporter
