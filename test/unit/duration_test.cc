#include "common/duration.h"

#include <gtest/gtest.h>

namespace slurm_exporter {
namespace {

TEST(DurationTest, Parses) {
  double s = -1;
  EXPECT_TRUE(ParseDuration("15s", &s));
  EXPECT_DOUBLE_EQ(s, 15);
  EXPECT_TRUE(ParseDuration("500ms", &s));
  EXPECT_DOUBLE_EQ(s, 0.5);
  EXPECT_TRUE(ParseDuration("1m30s", &s));
  EXPECT_DOUBLE_EQ(s, 90);
  EXPECT_TRUE(ParseDuration("2h", &s));
  EXPECT_DOUBLE_EQ(s, 7200);
  EXPECT_TRUE(ParseDuration("1d", &s));
  EXPECT_DOUBLE_EQ(s, 86400);
}

TEST(DurationTest, RejectsMalformedAndLeavesOutputAlone) {
  for (const char* bad : {"", "15", "s", "-1s", "1.5s", "1x", "1s2", " 1s", "99999999999999h"}) {
    double s = 42;
    EXPECT_FALSE(ParseDuration(bad, &s)) << bad;
    EXPECT_EQ(s, 42) << bad;
  }
}

TEST(DurationTest, FormatRoundTrips) {
  for (double v : {0.25, 1.0, 15.0, 90.0, 3600.0, 3725.0}) {
    double back = -1;
    ASSERT_TRUE(ParseDuration(FormatDuration(v), &back)) << FormatDuration(v);
    EXPECT_DOUBLE_EQ(back, v);
  }
}

}  // namespace
}  // namespace slurm_exporter
