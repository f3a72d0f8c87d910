// Reads of finished jobs through the adapter, as the job_efficiency source makes them, timed:
// the first read of a window holding many jobs, then an incremental read (from the end of the
// first less the margin for late records), with the peak RSS after each and the slurmdbd RPCs
// each read cost (from slurmdbd's own statistics, read before and after).
// usage: efficiency_read FROM_UNIX_SECONDS
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <map>
#include <string>

#include "collectors/job_efficiency.h"
#include "collectors/slurm/libslurm_client.h"

namespace {

using slurm_exporter::DbdStats;
using slurm_exporter::LibSlurmClient;

double Seconds(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

long PeakRssKib() {
  rusage r{};
  getrusage(RUSAGE_SELF, &r);
  return r.ru_maxrss;
}

std::map<std::string, uint64_t> Rpcs(LibSlurmClient& c) {
  std::map<std::string, uint64_t> out;
  auto s = c.LoadDbdStats();
  if (s.ok()) {
    for (const auto& r : s.value()->rpc_by_type) out[r.name] = r.count;
  }
  return out;
}

void Read(LibSlurmClient& c, slurm_exporter::JobEfficiencyTracker& tracker, const char* what,
          int64_t from, int64_t to) {
  const auto before = Rpcs(c);
  c.TakeLibrarySeconds();
  const auto t0 = std::chrono::steady_clock::now();
  auto r = c.LoadFinishedJobs(from, to);
  const double load = Seconds(t0);
  const double lib = c.TakeLibrarySeconds();
  if (!r.ok()) {
    std::printf("%s: %s\n", what, r.status().ToString().c_str());
    std::exit(1);
  }
  const auto t1 = std::chrono::steady_clock::now();
  auto totals = tracker.Update(r.value());
  const double count = Seconds(t1);
  const auto after = Rpcs(c);
  std::string rpcs;
  for (const auto& [name, n] : after) {
    const uint64_t d = n - (before.count(name) ? before.at(name) : 0);
    // The statistics request itself (DBD_GET_STATS) is the bench's, not the read's.
    if (d && name != "DBD_GET_STATS") rpcs += " " + name + "=" + std::to_string(d);
  }
  std::printf(
      "%s [%lld, %lld]: %zu jobs in %.3f s (library %.3f s, conversion %.3f s), counted in "
      "%.3f s (%llu counted so far); peak RSS %ld KiB; slurmdbd RPCs:%s\n",
      what, static_cast<long long>(from), static_cast<long long>(to), r.value()->jobs.size(), load,
      lib, load - lib, count, static_cast<unsigned long long>(totals->jobs), PeakRssKib(),
      rpcs.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: efficiency_read FROM_UNIX_SECONDS\n");
    return 2;
  }
  const int64_t from = std::atoll(argv[1]);
  auto client = LibSlurmClient::Create("");
  if (!client.ok()) {
    std::fprintf(stderr, "%s\n", client.status().ToString().c_str());
    return 1;
  }
  LibSlurmClient& c = *client.value();
  slurm_exporter::JobEfficiencyTracker tracker;
  std::printf("peak RSS before the first read: %ld KiB\n", PeakRssKib());
  const int64_t to = std::time(nullptr);
  Read(c, tracker, "first read", from, to);
  const int64_t later = std::time(nullptr);
  Read(c, tracker, "incremental read", std::max(from, to - slurm_exporter::kLateRecordSeconds),
       later);
  Read(c, tracker, "incremental read, no margin", later, std::time(nullptr));
  return 0;
}
