// Parsing of Slurm GRES strings ("gpu:2", "gpu:a100:4(S:0-1),mps:100", "gpu:tesla:1(IDX:0-1,3)").
// Pure functions, tested on literals.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace slurm_exporter {

// Sum of the counts of all GRES named `name` (any type) in a node's gres or gres_used string.
// Items without a count count 1; malformed items count 0. Commas inside parentheses are part
// of the item.
uint64_t GresCount(std::string_view gres, std::string_view name);

// Counts of GRES `name` by the type the items name ("gpu:a100:4,gpu:v100:2" ->
// {{"a100", 4}, {"v100", 2}}), in order of first appearance; untyped items ("gpu:2") are left
// out.
std::vector<std::pair<std::string, uint64_t>> GresByType(std::string_view gres,
                                                         std::string_view name);

}  // namespace slurm_exporter
