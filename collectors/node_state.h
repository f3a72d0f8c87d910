// Node state mapping: turns a node's base state and flags into the one primary state that
// `sinfo -o %T` prints (without its suffix characters), and into flag counters.
//
// The precedence mirrors Slurm's node_state_string(): INVAL, then MAINT (idle/unknown nodes
// only), REBOOT (not allocated/mixed), DRAINING/DRAINED (drain flag: draining when completing,
// allocated or mixed, else drained — so DOWN+DRAIN counts as drained), FAILING/FAIL, DOWN,
// ALLOCATED, COMPLETING, IDLE (RESERVED / BLOCKED / PLANNED when those flags are set), MIXED,
// FUTURE, UNKNOWN. BLOCKED (24.05) is an idle node kept free by an exclusive topology job;
// EXTERNAL (25.05) marks a node Slurm does not manage, which sinfo shows by its base state, so
// it is a condition counted apart, not a primary state. Every node has exactly one primary state,
// so the per-state counts add up to the total.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "collectors/snapshot.h"

namespace slurm_exporter {

enum class PrimaryState : uint8_t {
  kAllocated,
  kBlocked,
  kCompleting,
  kDown,
  kDrained,
  kDraining,
  kFail,
  kFailing,
  kFuture,
  kIdle,
  kInval,
  kMaint,
  kMixed,
  kPlanned,
  kReboot,
  kReserved,
  kUnknown,
  kCount,
};

inline constexpr size_t kPrimaryStateCount = static_cast<size_t>(PrimaryState::kCount);

PrimaryState ClassifyNode(NodeBase base, uint32_t flags);
// Lower-case name, as used in metric names and labels ("idle", "drained", ...).
std::string_view PrimaryStateName(PrimaryState s);

// True when the node can take new work: its primary state is idle, mixed, allocated,
// completing, planned or reserved, and it responds. Node availability = usable / (all - future).
bool NodeUsable(const Node& node);

// Non-exclusive conditions counted separately (a node may be in several).
struct FlagCounter {
  std::string_view name;  // metric suffix: slurm_nodes_<name>
  std::string_view help;
  uint32_t mask;  // any of these NodeFlag bits
};
inline constexpr size_t kFlagCounterCount = 6;
const std::array<FlagCounter, kFlagCounterCount>& FlagCounters();

}  // namespace slurm_exporter
