#include "common/gzip.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include "test/gunzip.h"

namespace slurm_exporter {
namespace {

TEST(GzipTest, RoundTripAndConcatenatedMembers) {
  std::string a(100000, 'x');
  std::string b = "slurm_up 1\n";
  std::string z = Gzip(a) + Gzip(b);
  ASSERT_FALSE(z.empty());
  EXPECT_LT(z.size(), a.size() / 10);
  EXPECT_EQ(testing::Gunzip(z), a + b) << "two gzip members read as one stream";
}

// Every size from empty to larger than zlib's window, at the levels in use, round-trips (level
// 0: stored, as the per-scrape tail is sent).
TEST(GzipTest, RoundTripAtEveryWindowSize) {
  std::string text;
  uint32_t x = 12345;
  while (text.size() < 300000) {  // exposition-like: repeated names, varying numbers
    x = x * 1103515245u + 12345u;
    text += "slurm_node_cpus{node=\"n" + std::to_string(x % 997) + "\"} " + std::to_string(x >> 7) +
            "\n";
  }
  for (size_t n : {0, 1, 100, 511, 512, 513, 4095, 4097, 32767, 32768, 32769, 300000}) {
    const std::string in = text.substr(0, n);
    for (int level : {0, 1, 6}) {
      const std::string z = Gzip(in, level);
      ASSERT_FALSE(z.empty()) << n;
      EXPECT_EQ(testing::Gunzip(z), in) << "size " << n << ", level " << level;
      if (n >= 4095 && level > 0) {
        EXPECT_LT(z.size(), n / 2) << "size " << n << ", level " << level;
      }
    }
  }
}

TEST(AcceptsGzipTest, Table) {
  EXPECT_TRUE(AcceptsGzip("gzip"));
  EXPECT_TRUE(AcceptsGzip("gzip, deflate, br"));
  EXPECT_TRUE(AcceptsGzip("deflate, gzip;q=0.5"));
  EXPECT_TRUE(AcceptsGzip("*"));
  EXPECT_FALSE(AcceptsGzip(""));
  EXPECT_FALSE(AcceptsGzip("identity"));
  EXPECT_FALSE(AcceptsGzip("gzip;q=0"));
  EXPECT_FALSE(AcceptsGzip("x-gzip2"));
}

}  // namespace
}  // namespace slurm_exporter
