#include "collectors/node_detail.h"

#include <cmath>
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

// A per-node timestamp family; nodes where Slurm has none (0) are left out.
void Timestamps(MetricSink& out, const ClusterNodes& c, const char* name, const char* help,
                int64_t Node::*field) {
  out.Gauge(name, help);
  for (const Node& n : c.nodes) {
    if (n.*field > 0) out.Add(static_cast<double>(n.*field), "node", n.name);
  }
}

// What `scontrol show node` prints as CPUEfctv, BootTime, SlurmdStartTime, LastBusyTime and
// the typed GPUs of Gres.
void EmitHealth(const ClusterNodes& c, MetricSink& out) {
  out.Gauge("slurm_node_cpus_effective",
            "CPUs of the node that jobs can use: its CPUs minus those of specialized cores "
            "(CPUEfctv).");
  for (const Node& n : c.nodes) out.Add(n.cpus_effective, "node", n.name);
  Timestamps(out, c, "slurm_node_boot_timestamp_seconds", "Unix time the node last booted.",
             &Node::boot_time);
  Timestamps(out, c, "slurm_node_slurmd_start_timestamp_seconds",
             "Unix time slurmd last started on the node.", &Node::slurmd_start_time);
  Timestamps(out, c, "slurm_node_last_busy_timestamp_seconds",
             "Unix time the node last ran jobs (LastBusyTime: when it became idle).",
             &Node::last_busy);
  out.Gauge("slurm_node_gpus_by_type",
            "GPUs of the node by the type its Gres names (gpu:a100:4); untyped GPUs are only "
            "in slurm_node_gpus.");
  for (const Node& n : c.nodes) {
    for (const auto& [type, count] : n.gpu_types) {
      out.Add(count, {{"node", n.name}, {"type", type}});
    }
  }
}

}  // namespace

Status NodeFeaturesCollector::Collect(const Snapshot& snapshot, MetricSink& out) const {
  const auto& src = snapshot.nodes;
  if (!src.data) return SourceStatus(src, "nodes");
  out.Gauge("slurm_node_features_info",
            "The node's available and active features (scontrol's AvailableFeatures and "
            "ActiveFeatures); always 1, for nodes that have features.");
  for (const Node& n : src.data->nodes) {
    if (n.features.empty() && n.features_active.empty()) continue;
    out.Add(1, {{"node", n.name}, {"available", n.features}, {"active", n.features_active}});
  }
  return SourceStatus(src, "nodes");
}

Status NodeLoadCollector::Collect(const Snapshot& snapshot, MetricSink& out) const {
  const auto& src = snapshot.node_loads;
  if (!src.data) return SourceStatus(src, "node_loads");
  const NodeLoads& l = *src.data;
  out.Gauge("slurm_node_cpu_load",
            "The node's load average as slurmd last reported it (CPULoad); absent until it "
            "reports.");
  for (size_t i = 0; i < l.nodes.size(); ++i) {
    if (!std::isnan(l.cpu_load[i])) out.Add(l.cpu_load[i], "node", l.nodes[i]);
  }
  out.Gauge("slurm_node_memory_free_bytes",
            "Free memory of the node as slurmd last reported it (FreeMem); absent until it "
            "reports.");
  for (size_t i = 0; i < l.nodes.size(); ++i) {
    if (!std::isnan(l.free_memory_bytes[i])) out.Add(l.free_memory_bytes[i], "node", l.nodes[i]);
  }
  return SourceStatus(src, "node_loads");
}

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

  EmitHealth(c, out);

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
