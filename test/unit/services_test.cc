// Controller, scheduler, slurmdbd, accounting database, munge, licenses, reservations.
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "collectors/controller.h"
#include "collectors/fairshare.h"
#include "test/exposition_parse.h"
#include "test/fake_slurm_client.h"
#include "test/fixtures/demo_cluster.h"

namespace slurm_exporter {
namespace {

std::map<std::string, double> Emit(const Collector& c, const Snapshot& s, Status* st = nullptr) {
  MetricSink sink;
  Status r = c.Collect(s, sink);
  if (st) *st = r;
  std::map<std::string, double> out;
  for (const auto& f : testing::ParseExposition(sink.text())) {
    for (const auto& m : f.samples) {
      std::string key = m.name;
      for (const auto& l : m.labels) key += "," + l.first + "=" + l.second;
      out[key] = m.value;
    }
  }
  return out;
}

template <typename T>
void Set(Source<T>& src, T value, Status status = Status::Ok()) {
  src.attempted = true;
  src.status = status;
  src.data = std::make_shared<const T>(std::move(value));
}

TEST(MungeCollectorTest, RoundTripAndControllerVerdict) {
  Snapshot s;
  Set(s.munge, MungeStatus{true, 0, "", 0.001, "/s"});
  Set(s.ping, testing::DefaultPing());
  auto m = Emit(MungeCollector(), s);
  EXPECT_EQ(m["slurm_munge_up"], 1);
  EXPECT_EQ(m["slurm_munge_error_code"], 0);

  ControllerPing rejected = testing::DefaultPing();
  rejected.reachable = false;
  rejected.auth_rejected = true;
  Set(s.ping, rejected, Status::Error("slurm_ping", "receive failure"));
  m = Emit(MungeCollector(), s);
  EXPECT_EQ(m["slurm_munge_up"], 0) << "a key slurmctld rejects is a munge failure";
  EXPECT_EQ(m["slurm_munge_error_code"], 14);

  Set(s.munge, MungeStatus{false, 6, "Failed to connect", 0.001, "/s"});
  m = Emit(MungeCollector(), s);
  EXPECT_EQ(m["slurm_munge_up"], 0);
  EXPECT_EQ(m["slurm_munge_error_code"], 6) << "the local error wins";
}

TEST(DbdCollectorTest, DownIsAValueNotAFailure) {
  Snapshot s;
  s.dbd.attempted = true;
  s.dbd.status = Status::Error("slurmdb_get_stats", "Connection refused");
  Status st;
  auto m = Emit(DbdCollector(), s, &st);
  EXPECT_TRUE(st.ok());
  EXPECT_EQ(m["slurm_dbd_up"], 0);
  EXPECT_EQ(m.count("slurm_dbd_latency_seconds"), 0u);

  DbdStats refused;
  refused.stats_error = "Access/permission denied";
  Set(s.dbd, refused);
  m = Emit(DbdCollector(), s);
  EXPECT_EQ(m["slurm_dbd_up"], 1) << "slurmdbd answered, even if it refused the statistics";
  EXPECT_EQ(m["slurm_dbd_stats_available"], 0);

  s.time = 1700000000;
  Set(s.dbd, testing::DemoDbdStats(1700000000));
  m = Emit(DbdCollector(), s);
  EXPECT_EQ(m["slurm_dbd_rollup_lag_seconds,period=hour"], 1800);
  EXPECT_EQ(m["slurm_dbd_rollup_lag_seconds,period=month"], 0) << "never rolled up";
  EXPECT_EQ(m["slurm_dbd_rpc_requests_total,type=DBD_STEP_START"], 50);
  EXPECT_DOUBLE_EQ(m["slurm_dbd_rpc_time_seconds_total,type=DBD_STEP_START"], 0.0025);
}

TEST(AccountingDbCollectorTest, ConnectionsAndMax) {
  Snapshot s;
  Set(s.database, DatabaseStatus{81, 100, 0.001});
  auto m = Emit(AccountingDbCollector(), s);
  EXPECT_EQ(m["slurm_dbd_connections"], 81);
  EXPECT_EQ(m["slurm_dbd_max_connections"], 100);
  EXPECT_EQ(m["slurm_dbd_database_up"], 1);
  s.database.status = Status::Error("mysql_real_connect", "Can't connect", 2002);
  s.database.data = nullptr;
  m = Emit(AccountingDbCollector(), s);
  EXPECT_EQ(m["slurm_dbd_database_up"], 0);
  EXPECT_EQ(m.count("slurm_dbd_connections"), 0u) << "no stale connection count";
}

TEST(SchedulerCollectorTest, CountersGaugesAndUnits) {
  Snapshot s;
  Set(s.scheduler, testing::DemoSchedulerStats(1700000000));
  auto m = Emit(SchedulerCollector(), s);
  EXPECT_EQ(m["slurm_scheduler_threads"], 3);
  EXPECT_EQ(m["slurm_scheduler_dbd_agent_queue_size"], 5);
  EXPECT_DOUBLE_EQ(m["slurm_scheduler_cycle_max_seconds"], 0.25);
  EXPECT_DOUBLE_EQ(m["slurm_scheduler_cycle_mean_seconds"], 0.0015);
  EXPECT_EQ(m["slurm_scheduler_jobs_total,event=submitted"], 30);
  EXPECT_EQ(m["slurm_scheduler_cycle_exits_total,reason=max_sched_time"], 2);
  EXPECT_EQ(m["slurm_rpc_requests_total,type=REQUEST_JOB_INFO"], 60);
  EXPECT_DOUBLE_EQ(m["slurm_rpc_time_seconds_total,type=REQUEST_JOB_INFO"], 0.09);
  EXPECT_EQ(m["slurm_rpc_pending,type=REQUEST_PING"], 2);
  EXPECT_EQ(m.count("slurm_rpc_user_requests_total,user=root"), 0u) << "per user is opt-in";
  auto u = Emit(RpcUsersCollector(), s);
  EXPECT_EQ(u["slurm_rpc_user_requests_total,user=root"], 170);
}

TEST(ResourcesCollectorTest, LicensesAndMaintenanceNodes) {
  Snapshot s;
  s.time = 1700000000;
  Set(s.resources, testing::DemoResources(1700000000));
  auto l = Emit(LicensesCollector(), s);
  EXPECT_EQ(l["slurm_license_configured,license=matlab"], 10);
  EXPECT_EQ(l["slurm_license_free,license=matlab"], 5);
  auto r = Emit(ReservationsCollector(), s);
  EXPECT_EQ(r["slurm_node_in_maintenance,node=n4,reservation=maint_window"], 1);
  EXPECT_EQ(r.count("slurm_node_in_maintenance,node=n1,reservation=training"), 0u)
      << "not MAINT, and not active yet";
  EXPECT_EQ(r["slurm_reservation_active,reservation=training"], 0);
  EXPECT_EQ(r["slurm_reservation_active,reservation=maint_window"], 1);
  // The window closed: nodes leave maintenance.
  s.time = 1700000000 + 4000;
  r = Emit(ReservationsCollector(), s);
  EXPECT_EQ(r.count("slurm_node_in_maintenance,node=n4,reservation=maint_window"), 0u);
}

TEST(ResourcesCollectorTest, ReservationNodesByStateAndCores) {
  Snapshot s;
  s.time = 1700000000;
  Set(s.resources, testing::DemoResources(1700000000));
  // Without a node table, the reservation's nodes count as unknown: the sum stays NodeCnt.
  auto r = Emit(ReservationsCollector(), s);
  EXPECT_EQ(r["slurm_reservation_nodes,reservation=maint_window,state=unknown"], 2);
  EXPECT_EQ(r["slurm_reservation_nodes,reservation=maint_window,state=drained"], 0);
  EXPECT_EQ(r["slurm_reservation_cores,reservation=training"], 2);
  // With it: n4 idle+DRAIN is drained, n5 mixed+DRAIN is draining; n1 idle.
  Set(s.nodes, testing::DemoCluster());
  r = Emit(ReservationsCollector(), s);
  EXPECT_EQ(r["slurm_reservation_nodes,reservation=maint_window,state=drained"], 1);
  EXPECT_EQ(r["slurm_reservation_nodes,reservation=maint_window,state=draining"], 1);
  EXPECT_EQ(r["slurm_reservation_nodes,reservation=maint_window,state=unknown"], 0);
  EXPECT_EQ(r["slurm_reservation_nodes,reservation=training,state=idle"], 1);
  EXPECT_EQ(r["slurm_reservation_cores,reservation=maint_window"], 8);
  // A node the table does not have (removed since) counts as unknown.
  auto res = testing::DemoResources(1700000000);
  res.reservations[1].nodes = {"n1", "gone"};
  res.reservations[1].node_count = 2;
  Set(s.resources, res);
  r = Emit(ReservationsCollector(), s);
  EXPECT_EQ(r["slurm_reservation_nodes,reservation=training,state=idle"], 1);
  EXPECT_EQ(r["slurm_reservation_nodes,reservation=training,state=unknown"], 1);
}

TEST(ControllerCollectorTest, PerHost) {
  Snapshot s;
  ControllerPing p = testing::DefaultPing();
  p.hosts.push_back({"ctl2", "backup1", false, 0.5, 1800});
  Set(s.ping, p);
  auto m = Emit(ControllerCollector(), s);
  EXPECT_EQ(m["slurm_controller_up,controller=ctl1,role=primary"], 1);
  EXPECT_EQ(m["slurm_controller_up,controller=ctl2,role=backup1"], 0);
  EXPECT_EQ(m["slurm_controller_info,cluster=fakecluster,version=22.05.8"], 1);
}

// sshare's definitions: RawShares absent for root and Fairshare=parent, LevelFS absent with
// Fairshare=parent and +Inf for an unused association, GrpTRES only where a limit is set,
// FairShare only for user associations (sshare prints none for accounts).
TEST(FairshareCollectorTest, AccountsAsSshareDefinesThem) {
  Snapshot s;
  Set(s.fairshare, testing::DemoFairshare());
  Status st;
  auto m = Emit(FairshareCollector(false), s, &st);
  EXPECT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(m["slurm_account_fairshare_shares,account=physics"], 60);
  EXPECT_EQ(m.count("slurm_account_fairshare_shares,account=root"), 0u);
  EXPECT_EQ(m.count("slurm_account_fairshare_shares,account=chem"), 0u);
  EXPECT_EQ(m["slurm_account_fairshare_shares_normalized,account=chem"], 0.4);
  EXPECT_EQ(m["slurm_account_fairshare_level,account=physics"], 0.6);
  EXPECT_EQ(m.count("slurm_account_fairshare_level,account=chem"), 0u);
  EXPECT_EQ(m["slurm_account_grp_tres_limit,account=physics,tres=cpu"], 8);
  EXPECT_EQ(m["slurm_account_grp_tres_used,account=physics,tres=cpu"], 2);
  EXPECT_EQ(m.count("slurm_account_grp_tres_limit,account=physics,tres=mem"), 0u);
  EXPECT_EQ(m["slurm_account_usage_tres_seconds,account=physics,tres=gres/gpu"], 900);
  EXPECT_EQ(m["slurm_account_grp_jobs_limit,account=physics"], 4);
  EXPECT_EQ(m.count("slurm_account_grp_jobs_limit,account=chem"), 0u);
  for (const auto& [k, v] : m) EXPECT_EQ(k.find("user="), std::string::npos) << k;
  auto u = Emit(FairshareCollector(true), s, &st);
  EXPECT_EQ(u["slurm_user_fairshare_factor,account=physics,user=alice,partition="], 0.5);
  EXPECT_TRUE(std::isinf(u["slurm_user_fairshare_level,account=chem,user=bob,partition="]));
  for (const auto& [k, v] : u) EXPECT_EQ(k.find("slurm_account_"), std::string::npos) << k;
}

// Without priority/multifactor Slurm keeps no usage: nothing is exposed, and the status says
// why.
TEST(FairshareCollectorTest, NoMultifactorExposesNothingAndSaysWhy) {
  Snapshot s;
  Fairshare basic;
  basic.priority_type = "priority/basic";
  Set(s.fairshare, basic);
  for (bool users : {false, true}) {
    Status st;
    auto m = Emit(FairshareCollector(users), s, &st);
    EXPECT_TRUE(m.empty());
    EXPECT_EQ(st.code(), kNothingToExposeCode);  // not a failure: no alert for it
    EXPECT_TRUE(CollectorSucceeded(st));
    EXPECT_NE(st.ToString().find("priority/basic"), std::string::npos) << st.ToString();
  }
}

}  // namespace
}  // namespace slurm_exporter
