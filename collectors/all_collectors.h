// The explicit list of every collector the exporter knows (no self-registration magic).
#pragma once

#include <memory>
#include <vector>

#include "collectors/collector.h"

namespace slurm_exporter {

std::vector<std::unique_ptr<Collector>> AllCollectors();

}  // namespace slurm_exporter
