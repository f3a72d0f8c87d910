// The "node_detail" collector: one set of series per node (state, partitions, CPUs, memory,
// GPUs, reason), and CPU/GPU totals by allocated/idle/other for the cluster and per partition.
// Cardinality grows with the node count (bounded by the cluster), never with jobs or users.
#pragma once

#include <algorithm>

#include "collectors/collector.h"
#include "collectors/node_state.h"

namespace slurm_exporter {

// A node's resources split into allocated, idle (free on a node that can take work) and other
// (free but unusable: down, drained, failing, not responding, unknown...).
struct ResourceSplit {
  uint64_t allocated = 0, idle = 0, other = 0;
  void Add(uint64_t total, uint64_t alloc, bool usable) {
    alloc = std::min(alloc, total);
    allocated += alloc;
    (usable ? idle : other) += total - alloc;
  }
};

class NodeDetailCollector : public Collector {
 public:
  std::string_view Name() const override { return "node_detail"; }
  std::string_view Description() const override {
    return "Per-node state, partitions, CPUs, memory, GPUs and reason; CPU/GPU totals";
  }
  uint32_t Sources() const override { return kSourceNodes; }
  Status Collect(const Snapshot& snapshot, MetricSink& out) const override;
  bool DependsOnlyOnSourceData() const override { return true; }
};

}  // namespace slurm_exporter
