// The "nodes" collector: cluster-wide node counts by primary state (slurm_nodes_<state>, see
// node_state.h), by condition flag (slurm_nodes_not_responding, ...) and in total.
#pragma once

#include <array>

#include "collectors/collector.h"
#include "collectors/node_state.h"

namespace slurm_exporter {

struct NodeStateCounts {
  std::array<uint32_t, kPrimaryStateCount> by_state{};
  std::array<uint32_t, kFlagCounterCount> by_flag{};  // indexed like FlagCounters()
  uint32_t total = 0;
  uint32_t usable = 0;  // NodeUsable()
  uint32_t Of(PrimaryState s) const { return by_state[static_cast<size_t>(s)]; }
};

// Counts over the nodes whose indices are given (all nodes when `indices` is null).
NodeStateCounts CountNodeStates(const ClusterNodes& cluster,
                                const std::vector<uint32_t>* indices = nullptr);

class NodesCollector : public Collector {
 public:
  std::string_view Name() const override { return "nodes"; }
  std::string_view Description() const override {
    return "Node counts by state (slurm_nodes_<state>), by condition and in total";
  }
  uint32_t Sources() const override { return kSourceNodes; }
  Status Collect(const Snapshot& snapshot, MetricSink& out) const override;
  bool DependsOnlyOnSourceData() const override { return true; }
};

}  // namespace slurm_exporter
