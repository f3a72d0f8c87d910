#include "collectors/slurm/gres.h"

#include <gtest/gtest.h>

namespace slurm_exporter {
namespace {

TEST(GresCountTest, Table) {
  struct {
    const char* gres;
    uint64_t want;
  } cases[] = {
      {"", 0},
      {"(null)", 0},
      {"gpu:2", 2},
      {"gpu", 1},
      {"gpu:a100:4", 4},
      {"gpu:a100:4(S:0-1)", 4},
      {"gpu:a100:4(S:0-1),gpu:v100:2(S:0)", 6},
      {"mps:100,gpu:2", 2},
      {"gpu:2,mps:100", 2},
      {"gpu:0(IDX:N/A)", 0},
      {"gpu:tesla:1(IDX:0)", 1},
      {"gpu:tesla:3(IDX:0-1,3),mps:0(IDX:N/A)", 3},
      {"gpus:4", 0},  // another GRES name that starts with "gpu"
      {"gpu:a100", 1},
      {"gpu:a100:x", 0},
  };
  for (const auto& c : cases) EXPECT_EQ(GresCount(c.gres, "gpu"), c.want) << c.gres;
}

}  // namespace
}  // namespace slurm_exporter

namespace slurm_exporter {
namespace {

TEST(GresByType, TypedItemsOnly) {
  using V = std::vector<std::pair<std::string, uint64_t>>;
  EXPECT_EQ(GresByType("gpu:a100:4(S:0-1),mps:100", "gpu"), (V{{"a100", 4}}));
  EXPECT_EQ(GresByType("gpu:a100:2,gpu:v100:1(IDX:0),gpu:a100:1", "gpu"),
            (V{{"a100", 3}, {"v100", 1}}));
  EXPECT_EQ(GresByType("gpu:2", "gpu"), V{});
  EXPECT_EQ(GresByType("gpu", "gpu"), V{});
  EXPECT_EQ(GresByType("gpu:tesla", "gpu"), (V{{"tesla", 1}}));
  EXPECT_EQ(GresByType("mps:a100:4", "gpu"), V{});
  EXPECT_EQ(GresByType("", "gpu"), V{});
}

}  // namespace
}  // namespace slurm_exporter
