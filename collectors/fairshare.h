// Collectors of slurmctld's association manager (the data `scontrol show assoc_mgr` prints and
// `sshare` reads), with Slurm's own definitions of each figure:
//  "fairshare":        per account: RawShares, NormShares, LevelFS, RawUsage, NormUsage,
//                      EffectvUsage, decayed usage per TRES, GrpTRES and GrpJobs limits with
//                      their current usage where set;
//  "fairshare.users":  per user association: the FairShare factor and the same usage figures
//                      (off by default: one set per user and account).
// They read the "fairshare" source, which loads on its own interval (--fairshare.interval,
// 5m by default) because priority/multifactor recomputes usage only every PriorityCalcPeriod.
// Without priority/multifactor Slurm keeps no usage: the collectors expose nothing and say so
// (NothingToExpose: logged once, not a failure).
#pragma once

#include "collectors/collector.h"

namespace slurm_exporter {

class FairshareCollector : public Collector {
 public:
  explicit FairshareCollector(bool users) : users_(users) {}
  std::string_view Name() const override { return users_ ? "fairshare.users" : "fairshare"; }
  std::string_view Description() const override;
  bool EnabledByDefault() const override { return !users_; }
  uint32_t Sources() const override { return kSourceFairshare; }
  Status Collect(const Snapshot& snapshot, MetricSink& out) const override;
  bool DependsOnlyOnSourceData() const override { return true; }

 private:
  const bool users_;
};

}  // namespace slurm_exporter
