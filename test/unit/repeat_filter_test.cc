#include "common/repeat_filter.h"

#include <gtest/gtest.h>

namespace slurm_exporter {
namespace {

TEST(RepeatFilterTest, FirstPassesRepeatsWaitForTheWindow) {
  RepeatFilter f(60);
  EXPECT_TRUE(f.Check("a", 0).emit);
  EXPECT_FALSE(f.Check("a", 1).emit);
  RepeatFilter::Decision d = f.Check("a", 2);
  EXPECT_FALSE(d.emit);
  EXPECT_EQ(d.suppressed, 2u);
  EXPECT_TRUE(f.Check("b", 3).emit) << "another key is new";
  d = f.Check("a", 61);
  EXPECT_TRUE(d.emit);
  EXPECT_EQ(d.suppressed, 2u) << "the repeats held back since the last line";
  EXPECT_FALSE(f.Check("a", 62).emit);
  d = f.Check("a", 122);
  EXPECT_TRUE(d.emit);
  EXPECT_EQ(d.suppressed, 1u);
}

TEST(RepeatFilterTest, TableIsBounded) {
  RepeatFilter f(60, 2);
  EXPECT_TRUE(f.Check("a", 0).emit);
  EXPECT_TRUE(f.Check("b", 0).emit);
  EXPECT_TRUE(f.Check("c", 0).emit);  // the table starts over
  EXPECT_TRUE(f.Check("a", 1).emit);
}

TEST(RepeatFilterTest, KeyIgnoresNumbers) {
  EXPECT_EQ(
      RepeatFilter::KeyOf("slurm_receive_msg: [localhost:48176] Invalid Protocol Version 10752"),
      "slurm_receive_msg: [localhost:#] Invalid Protocol Version #");
  EXPECT_EQ(RepeatFilter::KeyOf("a1b22c"), "a#b#c");
  EXPECT_EQ(RepeatFilter::KeyOf(""), "");
}

}  // namespace
}  // namespace slurm_exporter
