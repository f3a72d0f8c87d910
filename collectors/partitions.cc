#include "collectors/partitions.h"

#include <limits>

#include "collectors/nodes.h"

namespace slurm_exporter {

std::string_view PartitionStateName(PartitionState s) {
  switch (s) {
    case PartitionState::kUp:
      return "up";
    case PartitionState::kDown:
      return "down";
    case PartitionState::kDrain:
      return "drain";
    case PartitionState::kInactive:
      return "inactive";
  }
  return "inactive";
}

Status PartitionsCollector::Collect(const Snapshot& snapshot, MetricSink& out) const {
  const auto& src = snapshot.nodes;
  if (!src.data) return SourceStatus(src, "nodes");
  const ClusterNodes& cluster = *src.data;

  out.Gauge("slurm_partition_nodes",
            "Nodes of the partition by primary state (a node in several partitions counts in "
            "each).");
  std::vector<NodeStateCounts> counts;
  counts.reserve(cluster.partitions.size());
  for (const Partition& p : cluster.partitions) {
    counts.push_back(CountNodeStates(cluster, &p.node_indices));
    for (size_t i = 0; i < kPrimaryStateCount; ++i) {
      out.Add(counts.back().by_state[i],
              {{"partition", p.name},
               {"state", std::string(PrimaryStateName(static_cast<PrimaryState>(i)))}});
    }
  }
  out.Gauge("slurm_partition_nodes_configured", "Nodes in the partition.");
  for (size_t k = 0; k < cluster.partitions.size(); ++k) {
    out.Add(counts[k].total, {{"partition", cluster.partitions[k].name}});
  }
  out.Gauge("slurm_partition_nodes_usable",
            "Nodes of the partition that can run jobs (as slurm_nodes_usable).");
  for (size_t k = 0; k < cluster.partitions.size(); ++k) {
    out.Add(counts[k].usable, {{"partition", cluster.partitions[k].name}});
  }
  out.Gauge("slurm_partition_nodes_not_responding", "Nodes of the partition not responding.");
  for (size_t k = 0; k < cluster.partitions.size(); ++k) {
    out.Add(counts[k].by_flag[0], {{"partition", cluster.partitions[k].name}});
  }
  out.Gauge("slurm_partition_cpus", "CPUs in the partition (as slurmctld reports them).");
  for (const Partition& p : cluster.partitions) out.Add(p.total_cpus, {{"partition", p.name}});
  out.Gauge("slurm_partition_max_time_seconds",
            "Partition MaxTime in seconds; +Inf when unlimited.");
  for (const Partition& p : cluster.partitions) {
    out.Add(p.max_time_seconds < 0 ? std::numeric_limits<double>::infinity()
                                   : static_cast<double>(p.max_time_seconds),
            {{"partition", p.name}});
  }
  out.Gauge("slurm_partition_state",
            "Partition state: 1 for the state the partition is in, 0 for the others.");
  for (const Partition& p : cluster.partitions) {
    for (auto s : {PartitionState::kUp, PartitionState::kDown, PartitionState::kDrain,
                   PartitionState::kInactive}) {
      out.Add(p.state == s ? 1 : 0,
              {{"partition", p.name}, {"state", std::string(PartitionStateName(s))}});
    }
  }
  out.Gauge("slurm_partition_info", "Partition metadata; the value is always 1.");
  for (const Partition& p : cluster.partitions) {
    out.Add(1, {{"partition", p.name},
                {"default", p.is_default ? "true" : "false"},
                {"hidden", p.hidden ? "true" : "false"}});
  }
  return SourceStatus(src, "nodes");
}

}  // namespace slurm_exporter
