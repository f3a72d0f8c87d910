#include "common/interned.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <thread>
#include <vector>

namespace slurm_exporter {
namespace {

TEST(InternedTest, EqualTextIsOneValue) {
  Interned a("normal");
  Interned b(std::string("nor") + "mal");
  Interned c = "debug";
  EXPECT_EQ(&a.str(), &b.str()) << "stored once";
  EXPECT_TRUE(a == b);
  EXPECT_FALSE(a == c);
  EXPECT_TRUE(a == "normal");
  EXPECT_TRUE(a == std::string("normal"));
  EXPECT_FALSE(a == "norma");
  EXPECT_EQ(a.str(), "normal");
  const std::string& as_string = a;
  EXPECT_EQ(as_string.size(), 6u);
}

TEST(InternedTest, EmptyAndNull) {
  Interned none;
  EXPECT_TRUE(none.empty());
  EXPECT_TRUE(none == Interned(""));
  EXPECT_TRUE(none == Interned(static_cast<const char*>(nullptr)));
  EXPECT_FALSE(Interned("x").empty());
}

TEST(InternedTest, KeysOfStringMapsAndCopies) {
  std::map<std::string, int> counts;
  std::vector<Interned> v = {"alice", "bob", "alice"};
  for (const Interned& i : v) ++counts[i];
  EXPECT_EQ(counts["alice"], 2);
  EXPECT_EQ(counts["bob"], 1);
  Interned copy = v[1];
  v.clear();
  EXPECT_EQ(copy, "bob") << "values outlive every holder";
}

// Many threads interning the same and different values get one stored value per text.
TEST(InternedTest, ConcurrentInterning) {
  std::vector<std::thread> threads;
  std::vector<std::vector<const std::string*>> seen(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t, &seen] {
      for (int i = 0; i < 2000; ++i) {
        seen[t].push_back(&Interned("user" + std::to_string(i % 100)).str());
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 1; t < 4; ++t) EXPECT_EQ(seen[t], seen[0]);
}

}  // namespace
}  // namespace slurm_exporter
