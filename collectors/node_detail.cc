#include "collectors/node_detail.h"

#include <string>

namespace slurm_exporter {
namespace {

std::string FlagList(uint32_t flags) {
  std::string out;
  for (const auto& f : FlagCounters()) {
    if (flags & f.mask) {
      if (!out.empty()) out += ',';
      out += f.name;
    }
  }
  return out;
}

void EmitSplit(MetricSink& out, const ResourceSplit& s, const Labels& base) {
  auto with = [&](const char* state) {
    Labels l = base;
    l.emplace_back("state", state);
    return l;
  };
  out.Add(static_cast<double>(s.allocated), with("allocated"));
  out.Add(static_cast<double>(s.idle), with("idle"));
  out.Add(static_cast<double>(s.other), with("other"));
}

}  // namespace

Status NodeDetailCollector::Collect(const Snapshot& snapshot, MetricSink& out) const {
  const auto& src = snapshot.nodes;
  if (!src.data) return SourceStatus(src, "nodes");
  const ClusterNodes& c = *src.data;

  out.Gauge("slurm_node_state_info",
            "The node's primary state (as in slurm_nodes_<state>) and its conditions; always 1.");
  for (const Node& n : c.nodes) {
    out.Add(1, {{"node", n.name},
                {"state", std::string(PrimaryStateName(ClassifyNode(n.base, n.flags)))},
                {"flags", FlagList(n.flags)}});
  }
  out.Gauge("slurm_node_partition_info", "The node belongs to the partition; always 1.");
  for (const Partition& p : c.partitions) {
    for (uint32_t i : p.node_indices) {
      if (i < c.nodes.size()) out.Add(1, {{"node", c.nodes[i].name}, {"partition", p.name}});
    }
  }
  out.Gauge("slurm_node_cpus", "CPUs of the node.");
  for (const Node& n : c.nodes) out.Add(n.cpus, "node", n.name);
  out.Gauge("slurm_node_cpus_allocated", "CPUs of the node allocated to jobs.");
  for (const Node& n : c.nodes) out.Add(n.alloc_cpus, "node", n.name);
  out.Gauge("slurm_node_memory_bytes", "Configured memory (RealMemory) of the node.");
  for (const Node& n : c.nodes) out.Add(static_cast<double>(n.real_memory_bytes), "node", n.name);
  out.Gauge("slurm_node_memory_allocated_bytes", "Memory of the node allocated to jobs.");
  for (const Node& n : c.nodes) {
    out.Add(static_cast<double>(n.alloc_memory_bytes), "node", n.name);
  }
  out.Gauge("slurm_node_gpus", "GPUs (gres/gpu) of the node.");
  for (const Node& n : c.nodes) out.Add(n.gpus, "node", n.name);
  out.Gauge("slurm_node_gpus_allocated", "GPUs of the node allocated to jobs.");
  for (const Node& n : c.nodes) out.Add(n.alloc_gpus, "node", n.name);
  out.Gauge("slurm_node_reason_info",
            "The reason set on a drained, draining, down or failing node; always 1.");
  for (const Node& n : c.nodes) {
    if (!n.reason.empty()) out.Add(1, {{"node", n.name}, {"reason", n.reason}});
  }
  out.Gauge("slurm_node_reason_since_timestamp_seconds", "Unix time the node's reason was set.");
  for (const Node& n : c.nodes) {
    if (!n.reason.empty()) out.Add(static_cast<double>(n.reason_time), "node", n.name);
  }

  ResourceSplit cpus, gpus;
  for (const Node& n : c.nodes) {
    bool usable = NodeUsable(n);
    cpus.Add(n.cpus, n.alloc_cpus, usable);
    gpus.Add(n.gpus, n.alloc_gpus, usable);
  }
  out.Gauge("slurm_cpus",
            "CPUs of the cluster: allocated, idle (free on usable nodes) and other (free on "
            "nodes that cannot take work).");
  EmitSplit(out, cpus, {});
  out.Gauge("slurm_gpus", "GPUs of the cluster: allocated, idle and other (as slurm_cpus).");
  EmitSplit(out, gpus, {});
  std::vector<std::pair<ResourceSplit, ResourceSplit>> per;
  for (const Partition& p : c.partitions) {
    ResourceSplit pc, pg;
    for (uint32_t i : p.node_indices) {
      if (i >= c.nodes.size()) continue;
      const Node& n = c.nodes[i];
      bool usable = NodeUsable(n);
      pc.Add(n.cpus, n.alloc_cpus, usable);
      pg.Add(n.gpus, n.alloc_gpus, usable);
    }
    per.emplace_back(pc, pg);
  }
  out.Gauge("slurm_partition_cpus_by_state", "CPUs of the partition's nodes by allocation.");
  for (size_t k = 0; k < per.size(); ++k) {
    EmitSplit(out, per[k].first, {{"partition", c.partitions[k].name}});
  }
  out.Gauge("slurm_partition_gpus_by_state", "GPUs of the partition's nodes by allocation.");
  for (size_t k = 0; k < per.size(); ++k) {
    EmitSplit(out, per[k].second, {{"partition", c.partitions[k].name}});
  }
  return SourceStatus(src, "nodes");
}

}  // namespace slurm_exporter
