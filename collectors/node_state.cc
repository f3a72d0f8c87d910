#include "collectors/node_state.h"

namespace slurm_exporter {

PrimaryState ClassifyNode(NodeBase base, uint32_t flags) {
  const bool drain = flags & kNodeFlagDrain;
  const bool comp = flags & kNodeFlagCompleting;
  const bool busy = base == NodeBase::kAllocated || base == NodeBase::kMixed;

  if (flags & kNodeFlagInvalidReg) return PrimaryState::kInval;
  if ((flags & kNodeFlagMaint) && !drain && !busy && base != NodeBase::kDown) {
    return PrimaryState::kMaint;
  }
  if ((flags & (kNodeFlagRebootRequested | kNodeFlagRebootIssued)) && !busy) {
    return PrimaryState::kReboot;
  }
  if (drain) return (comp || busy) ? PrimaryState::kDraining : PrimaryState::kDrained;
  if (flags & kNodeFlagFail) {
    return (comp || base == NodeBase::kAllocated) ? PrimaryState::kFailing : PrimaryState::kFail;
  }
  switch (base) {
    case NodeBase::kDown:
      return PrimaryState::kDown;
    case NodeBase::kAllocated:
      return PrimaryState::kAllocated;
    default:
      break;
  }
  if (comp) return PrimaryState::kCompleting;
  switch (base) {
    case NodeBase::kIdle:
      if (flags & kNodeFlagReserved) return PrimaryState::kReserved;
      if (flags & kNodeFlagBlocked) return PrimaryState::kBlocked;
      if (flags & kNodeFlagPlanned) return PrimaryState::kPlanned;
      return PrimaryState::kIdle;
    case NodeBase::kMixed:
      return PrimaryState::kMixed;
    case NodeBase::kFuture:
      return PrimaryState::kFuture;
    case NodeBase::kError:  // not used by slurmctld since 20.x; nearest admin meaning
      return PrimaryState::kFail;
    default:
      return PrimaryState::kUnknown;
  }
}

std::string_view PrimaryStateName(PrimaryState s) {
  switch (s) {
    case PrimaryState::kAllocated:
      return "allocated";
    case PrimaryState::kBlocked:
      return "blocked";
    case PrimaryState::kCompleting:
      return "completing";
    case PrimaryState::kDown:
      return "down";
    case PrimaryState::kDrained:
      return "drained";
    case PrimaryState::kDraining:
      return "draining";
    case PrimaryState::kFail:
      return "fail";
    case PrimaryState::kFailing:
      return "failing";
    case PrimaryState::kFuture:
      return "future";
    case PrimaryState::kIdle:
      return "idle";
    case PrimaryState::kInval:
      return "inval";
    case PrimaryState::kMaint:
      return "maint";
    case PrimaryState::kMixed:
      return "mixed";
    case PrimaryState::kPlanned:
      return "planned";
    case PrimaryState::kReboot:
      return "reboot";
    case PrimaryState::kReserved:
      return "reserved";
    case PrimaryState::kUnknown:
    case PrimaryState::kCount:
      break;
  }
  return "unknown";
}

bool NodeUsable(const Node& node) {
  if (node.flags & kNodeFlagNotResponding) return false;
  switch (ClassifyNode(node.base, node.flags)) {
    case PrimaryState::kIdle:
    case PrimaryState::kMixed:
    case PrimaryState::kAllocated:
    case PrimaryState::kCompleting:
    case PrimaryState::kPlanned:
    case PrimaryState::kReserved:
      return true;
    default:
      return false;
  }
}

const std::array<FlagCounter, kFlagCounterCount>& FlagCounters() {
  static const std::array<FlagCounter, kFlagCounterCount> kCounters = {{
      {"not_responding", "Nodes not responding to slurmctld (the '*' suffix in sinfo).",
       kNodeFlagNotResponding},
      {"powered_down", "Nodes powered down by power saving (the '~' suffix in sinfo).",
       kNodeFlagPoweredDown},
      {"powering_up", "Nodes being powered up (the '#' suffix in sinfo).", kNodeFlagPoweringUp},
      {"powering_down", "Nodes being powered down (the '%' and '!' suffixes in sinfo).",
       kNodeFlagPoweringDown | kNodeFlagPowerDown},
      {"reboot_requested", "Nodes with a pending or issued reboot (the '@' and '^' suffixes).",
       kNodeFlagRebootRequested | kNodeFlagRebootIssued},
      {"external", "Nodes not managed by Slurm (State=EXTERNAL, Slurm 25.05 and later).",
       kNodeFlagExternal},
  }};
  return kCounters;
}

}  // namespace slurm_exporter
