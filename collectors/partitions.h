// The "partitions" collector: per-partition node counts by primary state, partition state and
// limits. A node in several partitions is counted in each of them.
#pragma once

#include "collectors/collector.h"

namespace slurm_exporter {

class PartitionsCollector : public Collector {
 public:
  std::string_view Name() const override { return "partitions"; }
  std::string_view Description() const override {
    return "Per-partition node counts by state, partition state, size and limits";
  }
  uint32_t Sources() const override { return kSourceNodes; }
  Status Collect(const Snapshot& snapshot, MetricSink& out) const override;
  bool DependsOnlyOnSourceData() const override { return true; }
};

std::string_view PartitionStateName(PartitionState s);

}  // namespace slurm_exporter
