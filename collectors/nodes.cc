#include "collectors/nodes.h"

#include <fmt/format.h>

namespace slurm_exporter {

NodeStateCounts CountNodeStates(const ClusterNodes& cluster, const std::vector<uint32_t>* indices) {
  NodeStateCounts c;
  const auto& flags = FlagCounters();
  auto count = [&](const Node& n) {
    ++c.by_state[static_cast<size_t>(ClassifyNode(n.base, n.flags))];
    for (size_t i = 0; i < flags.size(); ++i) {
      if (n.flags & flags[i].mask) ++c.by_flag[i];
    }
    ++c.total;
    if (NodeUsable(n)) ++c.usable;
  };
  if (indices == nullptr) {
    for (const Node& n : cluster.nodes) count(n);
  } else {
    for (uint32_t i : *indices) {
      if (i < cluster.nodes.size()) count(cluster.nodes[i]);
    }
  }
  return c;
}

Status NodesCollector::Collect(const Snapshot& snapshot, MetricSink& out) const {
  const auto& src = snapshot.nodes;
  if (!src.data) return SourceStatus(src, "nodes");
  NodeStateCounts c = CountNodeStates(*src.data);
  for (size_t i = 0; i < kPrimaryStateCount; ++i) {
    auto s = static_cast<PrimaryState>(i);
    std::string_view name = PrimaryStateName(s);
    out.Gauge(fmt::format("slurm_nodes_{}", name),
              fmt::format("Nodes whose primary state (as sinfo %T prints it) is {}.", name),
              c.by_state[i]);
  }
  const auto& flags = FlagCounters();
  for (size_t i = 0; i < flags.size(); ++i) {
    out.Gauge(fmt::format("slurm_nodes_{}", flags[i].name), flags[i].help, c.by_flag[i]);
  }
  out.Gauge("slurm_nodes", "Nodes known to slurmctld (every node has one primary state).", c.total);
  out.Gauge("slurm_nodes_usable",
            "Nodes that can run jobs: idle, mixed, allocated, completing, planned or reserved, "
            "and responding. Availability = slurm_nodes_usable / (slurm_nodes - "
            "slurm_nodes_future).",
            c.usable);
  return SourceStatus(src, "nodes");
}

}  // namespace slurm_exporter
