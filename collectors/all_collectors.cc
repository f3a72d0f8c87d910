#include "collectors/all_collectors.h"

#include "collectors/nodes.h"
#include "collectors/partitions.h"

namespace slurm_exporter {

std::vector<std::unique_ptr<Collector>> AllCollectors() {
  std::vector<std::unique_ptr<Collector>> all;
  all.push_back(std::make_unique<NodesCollector>());
  all.push_back(std::make_unique<PartitionsCollector>());
  return all;
}

}  // namespace slurm_exporter
