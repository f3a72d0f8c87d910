// Slurm release differences, 22.05 to 26.05, in one place: every SLURM_VERSION_NUMBER branch of
// the adapter that is not a struct field read lives here, each with the release that made it.
// Part of the adapter: only collectors/slurm/ (and the adapter's own tests) include this file.
//
// Also declares what libslurm exports without declaring it in its public headers (checked
// with nm on every release of the matrix).
#pragma once

#include <slurm/slurm.h>
#include <slurm/slurm_errno.h>
#include <slurm/slurm_version.h>
#include <slurm/slurmdb.h>

#include <cerrno>
#include <cstdint>
#include <type_traits>

#define SLURM_AT_LEAST(a, b, c) (SLURM_VERSION_NUMBER >= SLURM_VERSION_NUM(a, b, c))

extern "C" {
extern slurm_conf_t slurm_conf;  // the local configuration parsed by slurm_init()
// src/common/bitstring.h: an int32_t at every release (not bitoff_t, which is 64 bits).
int32_t slurm_bit_set_count(bitstr_t* b);
void slurm_free_stats_response_msg(stats_info_response_msg_t* msg);
#ifdef SLURM_HAVE_LIBSLURMFULL
// Private to libslurmfull: message type names for sdiag and slurmdbd RPC statistics
// (rpc_num2string returns char* before 24.11, const char* since: the same ABI).
const char* rpc_num2string(uint16_t msg_type);
char* slurmdbd_msg_type_2_str(int msg_type, int get_enum);
#endif
#if !SLURM_AT_LEAST(24, 5, 0)
char* slurm_job_reason_string(int inx);
#else
// 24.05 renamed slurm_job_reason_string.
const char* slurm_job_state_reason_string(int inx);
#endif
}

namespace slurm_exporter::slurm_compat {

// The Slurm error of the last failed call.
inline int LastError() {
#if !SLURM_AT_LEAST(24, 11, 0)
  return slurm_get_errno();
#else
  return errno;           // 24.11 removed slurm_get_errno(): libslurm sets errno itself
#endif
}

inline void FreeConf(slurm_conf_t* conf) {
#if !SLURM_AT_LEAST(26, 5, 0)
  slurm_free_ctl_conf(conf);
#else
  slurm_free_conf(conf);  // 26.05 renamed slurm_free_ctl_conf
#endif
}

// A hostlist handle: hostlist_t is a pointer typedef up to 23.02 and the struct itself from
// 23.11 on.
#if !SLURM_AT_LEAST(23, 11, 0)
using HostlistHandle = hostlist_t;
#else
using HostlistHandle = hostlist_t*;
#endif
struct HostlistFree {
  void operator()(HostlistHandle h) const { slurm_hostlist_destroy(h); }
};

// Slurm's name of a job state reason ("Resources", "Priority", ...); null when unknown.
inline const char* JobReasonName(uint32_t code) {
#if !SLURM_AT_LEAST(24, 5, 0)
  return slurm_job_reason_string(static_cast<int>(code));
#else
  return slurm_job_state_reason_string(static_cast<int>(code));
#endif
}

// Sets the uid recorded with a drain reason; 26.05 dropped the field (slurmctld records the
// uid of the request).
inline void SetReasonUid([[maybe_unused]] update_node_msg_t& msg, [[maybe_unused]] uint32_t uid) {
#if !SLURM_AT_LEAST(26, 5, 0)
  msg.reason_uid = uid;
#endif
}

// Allocated CPUs and memory (MiB) of a node: from the select plugin's node info before 25.05,
// node_info_t fields since (25.05 removed slurm_get_select_nodeinfo).
struct NodeAlloc {
  uint32_t cpus = 0;
  uint64_t memory_mib = 0;
};
inline NodeAlloc NodeAllocation(const node_info_t& n) {
  NodeAlloc out;
#if !SLURM_AT_LEAST(25, 5, 0)
  if (n.select_nodeinfo == nullptr) return out;  // slurmctld always sends it
  uint16_t cpus = 0;
  if (slurm_get_select_nodeinfo(n.select_nodeinfo, SELECT_NODEDATA_SUBCNT, NODE_STATE_ALLOCATED,
                                &cpus) == SLURM_SUCCESS) {
    out.cpus = cpus;
  }
  uint64_t mem = 0;  // the plugins store a uint64_t despite the header's comment
  if (slurm_get_select_nodeinfo(n.select_nodeinfo, SELECT_NODEDATA_MEM_ALLOC, NODE_STATE_ALLOCATED,
                                &mem) == SLURM_SUCCESS) {
    out.memory_mib = mem;
  }
#else
  out.cpus = n.alloc_cpus;
  out.memory_mib = n.alloc_memory;
#endif
  return out;
}

// Node state bits that exist only in some releases (0 where they do not).
#if SLURM_AT_LEAST(24, 5, 0)
inline constexpr uint64_t kNodeStateBlocked = NODE_STATE_BLOCKED;  // 24.05
#else
inline constexpr uint64_t kNodeStateBlocked = 0;
#endif
#if SLURM_AT_LEAST(25, 5, 0)
inline constexpr uint64_t kNodeStateExternal = NODE_STATE_EXTERNAL;  // 25.05 (bit 4 again)
#else
inline constexpr uint64_t kNodeStateExternal = 0;
#endif
#if SLURM_AT_LEAST(25, 11, 0)
inline constexpr uint32_t kJobExpediting = JOB_EXPEDITING;  // 25.11
#else
inline constexpr uint32_t kJobExpediting = 0;
#endif

}  // namespace slurm_exporter::slurm_compat
