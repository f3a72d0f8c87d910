// What each slurmdbd RPC of an incremental finished-job read costs, apart: the rollback that
// ends the connection's read transaction (DBD_FINI, commit 0) and the job query
// (DBD_GET_JOBS_COND, made as the adapter makes it) over [FROM, TO], each timed N times on one
// kept connection by bare libslurm calls, with the median and mean printed. With "nodelay",
// TCP_NODELAY is set on the connection first, as the adapter does before Slurm 24.05.
// usage: bench_dbd_round_trip FROM_UNIX_SECONDS TO_UNIX_SECONDS [N] [nodelay]
#include <slurm/slurm.h>
#include <slurm/slurm_errno.h>
#include <slurm/slurmdb.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <string>
#include <vector>

#include "common/tcp_nodelay.h"

extern "C" {
extern slurm_conf_t slurm_conf;  // the local configuration parsed by slurm_init()
}

namespace {

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

void Report(const char* what, std::vector<double> s) {
  std::sort(s.begin(), s.end());
  const double mean = std::accumulate(s.begin(), s.end(), 0.0) / static_cast<double>(s.size());
  std::printf("%s: median %.2f ms, mean %.2f ms, min %.2f ms, max %.2f ms (%zu calls)\n", what,
              s[s.size() / 2] * 1e3, mean * 1e3, s.front() * 1e3, s.back() * 1e3, s.size());
}

struct xlist* TextList(const std::vector<std::string>& items) {
  struct xlist* l = slurm_list_create(free);
  for (const auto& i : items) slurm_list_append(l, strdup(i.c_str()));
  return l;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: bench_dbd_round_trip FROM TO [N] [nodelay]\n");
    return 2;
  }
  const int n = argc > 3 ? std::atoi(argv[3]) : 50;
  const bool nodelay = argc > 4 && std::strcmp(argv[4], "nodelay") == 0;
  if (n < 1) return 2;
  slurm_init(nullptr);
  uint16_t flags = 0;
  void* conn = slurmdb_connection_get(&flags);
  if (conn == nullptr) {
    slurm_perror("slurmdb_connection_get");
    return 1;
  }
  if (nodelay) {
    std::printf("TCP_NODELAY set on %d socket(s)\n",
                slurm_exporter::SetNoDelayOnSocketsTo(slurm_conf.accounting_storage_port));
  }
  // The end states, as the adapter asks for them (numbers as text, as sacct sends them).
  std::vector<std::string> states;
  for (unsigned s : {JOB_COMPLETE, JOB_CANCELLED, JOB_FAILED, JOB_TIMEOUT, JOB_NODE_FAIL,
                     JOB_PREEMPTED, JOB_BOOT_FAIL, JOB_DEADLINE, JOB_OOM}) {
    states.push_back(std::to_string(s));
  }
  slurmdb_job_cond_t cond{};
  cond.cluster_list = TextList({std::string(slurm_conf.cluster_name)});
  cond.state_list = TextList(states);
  cond.usage_start = static_cast<time_t>(std::atoll(argv[1]));
  cond.usage_end = static_cast<time_t>(std::atoll(argv[2]));
  cond.flags = JOBCOND_FLAG_NO_TRUNC;
  cond.db_flags = SLURMDB_JOB_FLAG_NOTSET;
  std::vector<double> fini, query;
  int jobs = 0;
  for (int i = 0; i < n; ++i) {
    const double t0 = Now();
    if (slurmdb_connection_commit(conn, false) != SLURM_SUCCESS) {
      slurm_perror("slurmdb_connection_commit");
      return 1;
    }
    const double t1 = Now();
    struct xlist* got = slurmdb_jobs_get(conn, &cond);
    const double t2 = Now();
    if (got == nullptr) {
      slurm_perror("slurmdb_jobs_get");
      return 1;
    }
    jobs = slurm_list_count(got);
    slurm_list_destroy(got);
    fini.push_back(t1 - t0);
    query.push_back(t2 - t1);
  }
  std::printf("window [%s, %s]: %d jobs per query\n", argv[1], argv[2], jobs);
  Report("rollback (DBD_FINI)", fini);
  Report("job query (DBD_GET_JOBS_COND)", query);
  slurm_list_destroy(cond.cluster_list);
  slurm_list_destroy(cond.state_list);
  slurmdb_connection_close(&conn);
  slurm_fini();
  return 0;
}
