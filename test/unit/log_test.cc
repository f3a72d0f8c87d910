#include "common/log.h"

#include <gtest/gtest.h>

namespace slurm_exporter::log {
namespace {

TEST(LogTest, FormatsLogfmtWithQuoting) {
  EXPECT_EQ(FormatLine(Level::kWarn, "load failed", {{"source", "nodes"}, {"err", "a \"b\"\n"}}),
            "level=warn source=nodes err=\"a \\\"b\\\"\\n\" msg=\"load failed\"");
  EXPECT_EQ(FormatLine(Level::kInfo, "ok", {{"k", ""}}), "level=info k=\"\" msg=ok");
}

TEST(LogTest, ParsesLevels) {
  Level l = Level::kError;
  EXPECT_TRUE(ParseLevel("debug", &l));
  EXPECT_EQ(l, Level::kDebug);
  EXPECT_FALSE(ParseLevel("verbose", &l));
  EXPECT_EQ(l, Level::kDebug);
}

TEST(LogTest, LevelThreshold) {
  SetLevel(Level::kWarn);
  EXPECT_FALSE(Enabled(Level::kInfo));
  EXPECT_TRUE(Enabled(Level::kError));
  SetLevel(Level::kInfo);
  EXPECT_TRUE(Enabled(Level::kInfo));
}

}  // namespace
}  // namespace slurm_exporter::log
