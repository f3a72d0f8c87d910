// The "node_detail" collector: one set of series per node (state, partitions, CPUs, effective
// CPUs, memory, GPUs and GPUs by type, reason, boot, slurmd start and last-busy times), and
// CPU/GPU totals by allocated/idle/other for the cluster and per partition.
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

// "node_detail.features": the node's available and active features as an info family (off by
// default: the label values are free text of the site's own).
class NodeFeaturesCollector : public Collector {
 public:
  std::string_view Name() const override { return "node_detail.features"; }
  std::string_view Description() const override {
    return "Per-node available and active features (info family)";
  }
  bool EnabledByDefault() const override { return false; }
  uint32_t Sources() const override { return kSourceNodes; }
  Status Collect(const Snapshot& snapshot, MetricSink& out) const override;
  bool DependsOnlyOnSourceData() const override { return true; }
};

// "node_load": per-node CPU load and free memory. They change with every slurmd report, so
// they come from their own source (NodeLoads) and are a part of their own: the node table
// and node_detail's text stay reused while only these change.
class NodeLoadCollector : public Collector {
 public:
  std::string_view Name() const override { return "node_load"; }
  std::string_view Description() const override {
    return "Per-node CPU load and free memory as slurmd reports them";
  }
  uint32_t Sources() const override { return kSourceNodeLoads; }
  Status Collect(const Snapshot& snapshot, MetricSink& out) const override;
  bool DependsOnlyOnSourceData() const override { return true; }
};

}  // namespace slurm_exporter
