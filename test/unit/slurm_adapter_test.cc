// The adapter's conversions on hand-built libslurm structs, compiled against the Slurm release
// the build found: scripts/test-versions.sh runs them against every release of the matrix.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "collectors/slurm/compat.h"
#include "collectors/slurm/convert.h"
#include "collectors/slurm/libslurm_log.h"
#include "collectors/slurm/protocol.h"

extern "C" {
bitstr_t* slurm_bit_alloc(bitoff_t nbits);
void slurm_bit_set(bitstr_t* b, bitoff_t bit);
void slurm_bit_free(bitstr_t** b);
void slurm_error(const char* fmt, ...);
}

namespace slurm_exporter {
namespace {

using slurm_convert::ConvertJob;
using slurm_convert::ConvertNodeInto;
using slurm_convert::JobNames;
using slurm_convert::MapJobState;
using slurm_convert::MapNodeFlags;

constexpr uint64_t kMiB = 1024 * 1024;

TEST(SlurmConvertTest, NodeRecord) {
  node_info_t n{};
  char name[] = "n1", gres[] = "gpu:a100:4(S:0-1)", used[] = "gpu:a100:3(IDX:0-2)",
       reason[] = "bad fan";
  n.name = name;
  n.node_state = NODE_STATE_MIXED | NODE_STATE_DRAIN | NODE_STATE_NO_RESPOND;
  n.cpus = 8;
  n.real_memory = 4000;
  n.gres = gres;
  n.gres_used = used;
  n.reason = reason;
  n.reason_time = 1700000000;
#if SLURM_AT_LEAST(25, 5, 0)
  n.alloc_cpus = 6;  // node_info_t fields from 25.05 on
  n.alloc_memory = 1500;
#endif
  Node out;
  out.reason = "stale text of a reused Node";
  ConvertNodeInto(n, out);
  EXPECT_EQ(out.name, "n1");
  EXPECT_EQ(out.base, NodeBase::kMixed);
  EXPECT_EQ(out.flags, kNodeFlagDrain | kNodeFlagNotResponding);
  EXPECT_EQ(out.cpus, 8u);
  EXPECT_EQ(out.real_memory_bytes, 4000 * kMiB);
  EXPECT_EQ(out.gpus, 4u);
  EXPECT_EQ(out.alloc_gpus, 3u);
  EXPECT_EQ(out.reason, "bad fan");
  EXPECT_EQ(out.reason_time, 1700000000);
#if SLURM_AT_LEAST(25, 5, 0)
  EXPECT_EQ(out.alloc_cpus, 6u);
  EXPECT_EQ(out.alloc_memory_bytes, 1500 * kMiB);
#else
  // Before 25.05 the allocation comes from the select plugin's opaque record, which only
  // slurmctld fills: a record without it converts with nothing allocated.
  EXPECT_EQ(out.alloc_cpus, 0u);
  EXPECT_EQ(out.alloc_memory_bytes, 0u);
#endif
  n.reason = nullptr;
  ConvertNodeInto(n, out);
  EXPECT_EQ(out.reason, "");
  EXPECT_EQ(out.reason_time, 0);
}

TEST(SlurmConvertTest, NodeStateBitsOfEachRelease) {
  EXPECT_EQ(MapNodeFlags(NODE_STATE_IDLE | NODE_STATE_RES | NODE_STATE_PLANNED),
            kNodeFlagReserved | kNodeFlagPlanned);
  EXPECT_EQ(MapNodeFlags(NODE_STATE_POWERED_DOWN | NODE_STATE_POWERING_DOWN),
            kNodeFlagPoweredDown | kNodeFlagPoweringDown);
#if SLURM_AT_LEAST(24, 5, 0)
  EXPECT_EQ(MapNodeFlags(NODE_STATE_IDLE | NODE_STATE_BLOCKED), kNodeFlagBlocked);
#endif
#if SLURM_AT_LEAST(25, 5, 0)
  EXPECT_EQ(MapNodeFlags(NODE_STATE_IDLE | NODE_STATE_EXTERNAL), kNodeFlagExternal);
#else
  // Bit 4 is NODE_STATE_NET (Cray) before 24.05 and unused in 24.05/24.11: no condition.
  EXPECT_EQ(MapNodeFlags(NODE_STATE_IDLE | (1u << 4)), 0u);
#endif
  EXPECT_EQ(slurm_convert::MapNodeBase(NODE_STATE_FUTURE | NODE_STATE_DRAIN), NodeBase::kFuture);
  EXPECT_EQ(slurm_convert::MapNodeBase(NODE_STATE_END), NodeBase::kUnknown);
}

TEST(SlurmConvertTest, Partition) {
  partition_info_t p{};
  char name[] = "gpu";
  int32_t inx[] = {0, 1, 3, 3, -1};
  p.name = name;
  p.state_up = PARTITION_DRAIN;
  p.flags = PART_FLAG_DEFAULT;
  p.total_nodes = 3;
  p.total_cpus = 12;
  p.max_time = INFINITE;
  p.node_inx = inx;
  // slurmctld's record 2 is hidden (skipped), so its later records move down one.
  const std::vector<int64_t> index_map = {0, 1, -1, 2};
  Partition out = slurm_convert::ConvertPartition(p, index_map);
  EXPECT_EQ(out.name, "gpu");
  EXPECT_EQ(out.state, PartitionState::kDrain);
  EXPECT_TRUE(out.is_default);
  EXPECT_FALSE(out.hidden);
  EXPECT_EQ(out.max_time_seconds, -1);
  EXPECT_EQ(out.node_indices, (std::vector<uint32_t>{0, 1, 2}));
  p.max_time = 90;
  EXPECT_EQ(slurm_convert::ConvertPartition(p, index_map).max_time_seconds, 5400);
}

TEST(SlurmConvertTest, JobStatesAsSqueuePrintsThem) {
  EXPECT_EQ(MapJobState(JOB_RUNNING), JobState::kRunning);
  EXPECT_EQ(MapJobState(JOB_RUNNING | JOB_COMPLETING), JobState::kCompleting);
  EXPECT_EQ(MapJobState(JOB_PENDING | JOB_CONFIGURING), JobState::kConfiguring);
  EXPECT_EQ(MapJobState(JOB_PENDING | JOB_REQUEUE), JobState::kRequeued);
  EXPECT_EQ(MapJobState(JOB_OOM), JobState::kOutOfMemory);
#if SLURM_AT_LEAST(25, 11, 0)
  EXPECT_EQ(MapJobState(JOB_PENDING | JOB_EXPEDITING), JobState::kExpediting);
  EXPECT_EQ(MapJobState(JOB_PENDING | JOB_CONFIGURING | JOB_EXPEDITING), JobState::kConfiguring);
#endif
  // A base state this build does not know is unknown (squeue prints "?"), not failed.
  EXPECT_EQ(MapJobState(JOB_END), JobState::kUnknown);
  EXPECT_EQ(MapJobState(0x7f), JobState::kUnknown);
}

TEST(SlurmConvertTest, PendingArrayRecordCountsItsTasks) {
  slurm_job_info_t j{};
  char partition[] = "normal,debug", account[] = "physics", tres[] = "cpu=4,gres/gpu=2,node=1";
  j.job_id = 100;
  j.array_job_id = 100;
  j.array_task_id = NO_VAL;
  j.job_state = JOB_PENDING;
  j.state_reason = WAIT_RESOURCES;
  j.partition = partition;
  j.account = account;
  j.user_id = 0;
  j.num_cpus = 4;
  j.tres_req_str = tres;
  j.submit_time = 1000;
  j.eligible_time = 1010;
  bitstr_t* tasks = slurm_bit_alloc(50000);
  for (bitoff_t i = 0; i < 50000; i += 2) slurm_bit_set(tasks, i);
  j.array_bitmap = tasks;
  JobNames names;
  Job job = ConvertJob(j, names);
  slurm_bit_free(&tasks);
  EXPECT_EQ(job.task_count, 25000u) << "slurm_bit_set_count returns 32 bits";
  EXPECT_EQ(job.array_task_id, -1);
  EXPECT_EQ(job.state, JobState::kPending);
  EXPECT_FALSE(job.ran);
  EXPECT_EQ(job.partition, "normal");
  EXPECT_EQ(job.account, "physics");
  EXPECT_EQ(job.reason, "Resources");
  EXPECT_EQ(job.user, "root");
  EXPECT_EQ(job.cpus, 4u);
  EXPECT_EQ(job.gpus, 2u);
  EXPECT_EQ(job.eligible_time, 1010);

  // Without a bitmap, the task expression ("%N" throttle ignored).
  char expr[] = "1-10%2";
  j.array_bitmap = nullptr;
  j.array_task_str = expr;
  EXPECT_EQ(ConvertJob(j, names).task_count, 10u);
}

TEST(SlurmConvertTest, RunningJobGpusFromAllocationOrRequest) {
  slurm_job_info_t j{};
  char nodes[] = "n3", alloc[] = "cpu=2,gres/gpu=1", per_node[] = "gres/gpu:2";
  j.job_id = 7;
  j.array_task_id = NO_VAL;
  j.job_state = JOB_RUNNING;
  j.nodes = nodes;
  j.tres_alloc_str = alloc;
  j.num_nodes = 2;
  JobNames names;
  Job job = ConvertJob(j, names);
  EXPECT_TRUE(job.ran);
  EXPECT_EQ(job.task_count, 1u);
  EXPECT_EQ(job.gpus, 1u);
  // gres/gpu not accounted: the per-node request times the nodes.
  j.tres_alloc_str = nullptr;
  j.tres_per_node = per_node;
  EXPECT_EQ(ConvertJob(j, names).gpus, 4u);
}

TEST(SlurmConvertTest, SchedulerStatistics) {
  stats_info_response_msg_t r{};
  uint16_t type_id[] = {1008};  // REQUEST_PING
  uint32_t type_cnt[] = {5}, user_id[] = {0}, user_cnt[] = {3};
  uint64_t type_time[] = {250}, user_time[] = {40};
  r.rpc_type_size = 1;
  r.rpc_type_id = type_id;
  r.rpc_type_cnt = type_cnt;
  r.rpc_type_time = type_time;
  r.rpc_user_size = 1;
  r.rpc_user_id = user_id;
  r.rpc_user_cnt = user_cnt;
  r.rpc_user_time = user_time;
  r.schedule_cycle_counter = 4;
  r.schedule_cycle_sum = 1000;
  r.jobs_submitted = 9;
  r.bf_active = 1;
#if SLURM_AT_LEAST(23, 11, 0)
  uint32_t sched_exit[] = {1, 2, 3, 4, 5, 6}, bf_exit[] = {10, 20, 30, 40, 50, 60};
  r.schedule_exit = sched_exit;
  r.schedule_exit_cnt = 6;
  r.bf_exit = bf_exit;
  r.bf_exit_cnt = 6;
#endif
  JobNames names;
  SchedulerStats s = slurm_convert::ConvertSchedulerStats(r, names);
  EXPECT_EQ(s.schedule_cycle_counter, 4u);
  EXPECT_EQ(s.schedule_cycle_sum_us, 1000u);
  EXPECT_EQ(s.jobs_submitted, 9u);
  EXPECT_TRUE(s.bf_active);
  ASSERT_EQ(s.rpc_by_type.size(), 1u);
#ifdef SLURM_HAVE_LIBSLURMFULL
  EXPECT_EQ(s.rpc_by_type[0].name, "REQUEST_PING");
#endif
  EXPECT_EQ(s.rpc_by_type[0].count, 5u);
  EXPECT_EQ(s.rpc_by_type[0].time_us, 250u);
  ASSERT_EQ(s.rpc_by_user.size(), 1u);
  EXPECT_EQ(s.rpc_by_user[0].name, "root");
#if SLURM_AT_LEAST(23, 11, 0)
  // schedule_exit_t and bf_exit_t order (src/slurmctld/slurmctld.h).
  using Exits = std::vector<std::pair<std::string, uint64_t>>;
  EXPECT_EQ(s.schedule_exit, (Exits{{"end_job_queue", 1},
                                    {"default_queue_depth", 2},
                                    {"max_job_start", 3},
                                    {"licenses", 4},
                                    {"max_rpc_cnt", 5},
                                    {"max_sched_time", 6}}));
  EXPECT_EQ(s.bf_exit, (Exits{{"end_job_queue", 10},
                              {"bf_max_job_start", 20},
                              {"bf_max_job_test", 30},
                              {"state_changed", 40},
                              {"bf_node_space_size", 50},
                              {"bf_max_time", 60}}));
#else
  // sdiag has no exit reasons before 23.11: none are made up.
  EXPECT_TRUE(s.schedule_exit.empty());
  EXPECT_TRUE(s.bf_exit.empty());
#endif
}

TEST(SlurmConvertTest, Reservation) {
  reserve_info_t r{};
  char name[] = "maint", nodes[] = "n[1-3],gpu7", partition[] = "normal";
  r.name = name;
  r.node_list = nodes;
  r.node_cnt = 4;
  r.partition = partition;
  r.start_time = 100;
  r.end_time = 200;
  r.flags = RESERVE_FLAG_MAINT | RESERVE_FLAG_IGN_JOBS;
  Reservation out = slurm_convert::ConvertReservation(r);
  EXPECT_EQ(out.name, "maint");
  EXPECT_EQ(out.nodes, (std::vector<std::string>{"n1", "n2", "n3", "gpu7"}));
  EXPECT_EQ(out.node_count, 4u);
  EXPECT_TRUE(out.maint);
  EXPECT_EQ(out.flags, "MAINT,IGNORE_JOBS");
  EXPECT_EQ(out.partition, "normal");
  EXPECT_EQ(out.start_time, 100);
  EXPECT_EQ(out.end_time, 200);
}

TEST(SlurmConvertTest, License) {
  slurm_license_info_t l{};
  char name[] = "matlab";
  l.name = name;
  l.total = 10;
  l.in_use = 3;
  l.reserved = 2;
  License out = slurm_convert::ConvertLicense(l);
  EXPECT_EQ(out.name, "matlab");
  EXPECT_EQ(out.total, 10u);
  EXPECT_EQ(out.in_use, 3u);
  EXPECT_EQ(out.reserved, 2u);
  EXPECT_FALSE(out.remote);
}

TEST(SlurmCompatTest, ReasonNamesComeFromTheLibrary) {
  EXPECT_STREQ(slurm_compat::JobReasonName(WAIT_PRIORITY), "Priority");
  EXPECT_STREQ(slurm_compat::JobReasonName(WAIT_HELD_USER), "JobHeldUser");
}

// libslurm's logger is redirected away from stderr: this checks the private log_options_t
// layout this build declares (a wrong one sends the line elsewhere or nowhere).
TEST(LibslurmLogTest, CapturesWhatLibslurmLogs) {
  LibslurmLog capture;
  ASSERT_TRUE(capture.Start("slurm_adapter_test").ok());
  slurm_error("Invalid Protocol Version %u from uid=%u", 10752u, 0u);
  std::vector<std::string> lines = capture.Take();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0], "error: Invalid Protocol Version 10752 from uid=0");
  EXPECT_TRUE(capture.Take().empty()) << "taken lines are gone";
  slurm_error("second");
  EXPECT_EQ(capture.Take(), std::vector<std::string>{"error: second"});
}

TEST(SlurmProtocolTest, ReleasesAndWindows) {
  using namespace slurm_protocol;
  EXPECT_EQ(ReleaseOfProtocol(10752), "24.11");
  EXPECT_EQ(ReleaseOfProtocol(38), "22.05");
  EXPECT_EQ(ReleaseOfProtocol(99), "");
  EXPECT_EQ(ProtocolOfRelease("26.05"), 45);
  EXPECT_EQ(ProtocolOfRelease("23.11.11"), 40);
  EXPECT_EQ(ProtocolOfRelease("21.08"), 0);
  // README "Slurm versions": before 24.11 a server accepts two releases back, from 24.11 three.
  EXPECT_EQ(AcceptedClients(40), "22.05 to 23.11");
  EXPECT_EQ(AcceptedClients(42), "23.02 to 24.11");
  EXPECT_EQ(AcceptedClients(45), "24.11 to 26.05");
  EXPECT_EQ(AcceptingServers(38), "22.05 to 23.11");
  EXPECT_EQ(AcceptingServers(39), "23.02 to 24.11");
  EXPECT_EQ(AcceptingServers(40), "23.11 to 25.05");
  EXPECT_EQ(AcceptingServers(41), "24.05 to 25.11");
  EXPECT_EQ(AcceptingServers(42), "24.11 to 26.05");
  EXPECT_EQ(AcceptingServers(43), "25.05 and later");
  EXPECT_EQ(AcceptingServers(45), "26.05 and later");
  // This build's own release is in the table.
  const std::string ours = std::to_string(SLURM_VERSION_MAJOR(SLURM_VERSION_NUMBER)) + "." +
                           (SLURM_VERSION_MINOR(SLURM_VERSION_NUMBER) < 10 ? "0" : "") +
                           std::to_string(SLURM_VERSION_MINOR(SLURM_VERSION_NUMBER));
  EXPECT_GT(ProtocolOfRelease(ours), 0) << ours;
}

TEST(SlurmProtocolTest, EvidenceInLibslurmLines) {
  using slurm_protocol::ScanLog;
  // What a 22.05 client logs against slurmctld 24.11 and slurmdbd 26.05 (seen on real ones).
  auto e = ScanLog(
      {"error: auth_g_unpack: authentication plugin unknown(1007) not found",
       "error: slurm_unpack_received_msg: [[localhost]:20000] Invalid Protocol Version 10752 "
       "from uid=4294967295: Incompatible versions of client and server code"});
  EXPECT_TRUE(e.mismatch);
  EXPECT_EQ(e.peer_protocol, 42);
  e = ScanLog({"error: Sending PersistInit msg: Incompatible versions of client and server code",
               "error: auth_g_pack: protocol_version 6500 not supported"});
  EXPECT_TRUE(e.mismatch);
  EXPECT_EQ(e.peer_protocol, 0) << "6500 is a message type, not a protocol version";
  e = ScanLog({"error: unpack_header: protocol_version 9728 not supported"});
  EXPECT_TRUE(e.mismatch);
  EXPECT_EQ(e.peer_protocol, 38);
  // slurmdbd 24.05 against a 22.05 client; and what a wrong munge key gives (no mismatch).
  e = ScanLog({"error: Sending PersistInit msg: Message receive failure"});
  EXPECT_TRUE(e.mismatch);
  e =
      ScanLog({"error: slurm_persist_conn_open: Something happened with the receiving/processing "
               "of the persistent connection init message to 127.0.0.1:22601: Failed to unpack "
               "SLURM_PERSIST_INIT message",
               "error: Sending PersistInit msg: Protocol authentication error",
               "error: DBD_GET_STATS failure: Protocol authentication error"});
  EXPECT_FALSE(e.mismatch);
  e = ScanLog({"error: Unable to contact slurm controller (connect failure)"});
  EXPECT_FALSE(e.mismatch);
  EXPECT_EQ(e.local_credential, "");
}

TEST(SlurmProtocolTest, OurOwnMungedGivingNoCredential) {
  // What libslurm logs when AuthInfo's socket is missing (a munge sidecar that does not share
  // its socket): the request never left this host, whatever slurmctld would have said.
  auto e = slurm_protocol::ScanLog(
      {"error: If munged is up, restart with --num-threads=10",
       "error: Munge encode failed: Failed to access \"/run/munge/munge.socket.2\": No such "
       "file or directory (Did you start munged?)",
       "error: slurm_send_node_msg: auth_g_create: REQUEST_PING has authentication error"});
  EXPECT_FALSE(e.mismatch);
  EXPECT_EQ(e.local_credential,
            "Failed to access \"/run/munge/munge.socket.2\": No such file or directory (Did you "
            "start munged?)");
}

}  // namespace
}  // namespace slurm_exporter
