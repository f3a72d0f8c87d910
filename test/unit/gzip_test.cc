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
