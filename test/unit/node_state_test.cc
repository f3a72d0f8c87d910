#include "collectors/node_state.h"

#include <gtest/gtest.h>

#include <set>

namespace slurm_exporter {
namespace {

struct Case {
  NodeBase base;
  uint32_t flags;
  PrimaryState want;
};

class ClassifyTest : public ::testing::TestWithParam<Case> {};

TEST_P(ClassifyTest, MatchesSinfoPrecedence) {
  const Case& c = GetParam();
  EXPECT_EQ(PrimaryStateName(ClassifyNode(c.base, c.flags)), PrimaryStateName(c.want));
}

INSTANTIATE_TEST_SUITE_P(
    Table, ClassifyTest,
    ::testing::Values(
        Case{NodeBase::kIdle, 0, PrimaryState::kIdle},
        Case{NodeBase::kMixed, 0, PrimaryState::kMixed},
        Case{NodeBase::kAllocated, 0, PrimaryState::kAllocated},
        Case{NodeBase::kDown, 0, PrimaryState::kDown},
        Case{NodeBase::kDown, kNodeFlagNotResponding, PrimaryState::kDown},
        Case{NodeBase::kUnknown, 0, PrimaryState::kUnknown},
        Case{NodeBase::kUnknown, kNodeFlagNotResponding, PrimaryState::kUnknown},
        Case{NodeBase::kFuture, 0, PrimaryState::kFuture},
        // drain: drained when nothing runs, draining while jobs run or complete
        Case{NodeBase::kIdle, kNodeFlagDrain, PrimaryState::kDrained},
        Case{NodeBase::kMixed, kNodeFlagDrain, PrimaryState::kDraining},
        Case{NodeBase::kAllocated, kNodeFlagDrain, PrimaryState::kDraining},
        Case{NodeBase::kIdle, kNodeFlagDrain | kNodeFlagCompleting, PrimaryState::kDraining},
        // DOWN+DRAIN is drained (sinfo prints "drained"), not down
        Case{NodeBase::kDown, kNodeFlagDrain, PrimaryState::kDrained},
        Case{NodeBase::kDown, kNodeFlagDrain | kNodeFlagNotResponding, PrimaryState::kDrained},
        // completing
        Case{NodeBase::kIdle, kNodeFlagCompleting, PrimaryState::kCompleting},
        Case{NodeBase::kAllocated, kNodeFlagCompleting, PrimaryState::kAllocated},
        // maint only on idle/unknown nodes
        Case{NodeBase::kIdle, kNodeFlagMaint, PrimaryState::kMaint},
        Case{NodeBase::kIdle, kNodeFlagMaint | kNodeFlagReserved, PrimaryState::kMaint},
        Case{NodeBase::kAllocated, kNodeFlagMaint, PrimaryState::kAllocated},
        Case{NodeBase::kDown, kNodeFlagMaint, PrimaryState::kDown},
        Case{NodeBase::kIdle, kNodeFlagMaint | kNodeFlagDrain, PrimaryState::kDrained},
        // reserved / planned only on idle nodes
        Case{NodeBase::kIdle, kNodeFlagReserved, PrimaryState::kReserved},
        Case{NodeBase::kMixed, kNodeFlagReserved, PrimaryState::kMixed},
        Case{NodeBase::kIdle, kNodeFlagPlanned, PrimaryState::kPlanned},
        Case{NodeBase::kMixed, kNodeFlagPlanned, PrimaryState::kMixed},
        // blocked (24.05): an idle node kept free by an exclusive topology job; after reserved,
        // before planned, as in node_state_string()
        Case{NodeBase::kIdle, kNodeFlagBlocked, PrimaryState::kBlocked},
        Case{NodeBase::kIdle, kNodeFlagBlocked | kNodeFlagPlanned, PrimaryState::kBlocked},
        Case{NodeBase::kIdle, kNodeFlagBlocked | kNodeFlagReserved, PrimaryState::kReserved},
        Case{NodeBase::kMixed, kNodeFlagBlocked, PrimaryState::kMixed},
        Case{NodeBase::kIdle, kNodeFlagBlocked | kNodeFlagDrain, PrimaryState::kDrained},
        // external (25.05): sinfo prints the base state of an IDLE+EXTERNAL node
        Case{NodeBase::kIdle, kNodeFlagExternal, PrimaryState::kIdle},
        Case{NodeBase::kDown, kNodeFlagExternal, PrimaryState::kDown},
        // reboot wins over drain except on busy nodes
        Case{NodeBase::kIdle, kNodeFlagRebootRequested, PrimaryState::kReboot},
        Case{NodeBase::kDown, kNodeFlagRebootIssued | kNodeFlagDrain, PrimaryState::kReboot},
        Case{NodeBase::kMixed, kNodeFlagRebootRequested, PrimaryState::kMixed},
        // fail
        Case{NodeBase::kIdle, kNodeFlagFail, PrimaryState::kFail},
        Case{NodeBase::kAllocated, kNodeFlagFail, PrimaryState::kFailing},
        Case{NodeBase::kIdle, kNodeFlagFail | kNodeFlagDrain, PrimaryState::kDrained},
        // invalid registration beats everything
        Case{NodeBase::kIdle, kNodeFlagInvalidReg | kNodeFlagDrain, PrimaryState::kInval},
        // power flags do not change the primary state
        Case{NodeBase::kIdle, kNodeFlagPoweredDown, PrimaryState::kIdle},
        Case{NodeBase::kIdle, kNodeFlagNotResponding, PrimaryState::kIdle}),
    [](const ::testing::TestParamInfo<Case>& param_info) {
      return std::to_string(param_info.index) + "_" +
             std::string(PrimaryStateName(param_info.param.want));
    });

TEST(PrimaryStateNameTest, NamesAreUniqueAndLowercase) {
  std::set<std::string_view> seen;
  for (size_t i = 0; i < kPrimaryStateCount; ++i) {
    auto name = PrimaryStateName(static_cast<PrimaryState>(i));
    EXPECT_TRUE(seen.insert(name).second) << name;
    for (char ch : name) EXPECT_TRUE(ch == '_' || (ch >= 'a' && ch <= 'z')) << name;
  }
  EXPECT_EQ(seen.size(), kPrimaryStateCount);
  EXPECT_TRUE(seen.count("idle") && seen.count("mixed"));
}

TEST(NodeUsableTest, BlockedAndExternalNodes) {
  Node n;
  n.base = NodeBase::kIdle;
  n.flags = kNodeFlagBlocked;
  EXPECT_FALSE(NodeUsable(n)) << "a blocked node takes no new work";
  n.flags = kNodeFlagExternal;
  EXPECT_TRUE(NodeUsable(n)) << "an idle external node is idle";
}

TEST(FlagCountersTest, ExternalIsACondition) {
  bool found = false;
  for (const auto& f : FlagCounters()) found |= f.name == "external" && f.mask == kNodeFlagExternal;
  EXPECT_TRUE(found);
}

TEST(FlagCountersTest, NamesDoNotCollideWithPrimaryStates) {
  for (const auto& f : FlagCounters()) {
    for (size_t i = 0; i < kPrimaryStateCount; ++i) {
      EXPECT_NE(f.name, PrimaryStateName(static_cast<PrimaryState>(i)));
    }
    EXPECT_NE(f.name, "total");
  }
}

}  // namespace
}  // namespace slurm_exporter
