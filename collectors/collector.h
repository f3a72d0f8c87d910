// The collector contract: a collector is a pure function from a Snapshot to metric families.
// It names the data sources it needs; the poller loads only the sources that some enabled
// collector needs, and calls Collect on the poller thread after every poll.
//
// Collect must not call Slurm or block. It returns a non-OK Status when its inputs are missing
// or failed (its families may then be empty or built from the last good, stale data); the
// poller reports that as slurm_exporter_collector_success{collector} 0. A collector never
// throws out of Collect (the poller also catches, as a last line of defence).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "collectors/snapshot.h"
#include "common/metric_sink.h"
#include "common/status.h"

namespace slurm_exporter {

enum SourceBit : uint32_t {
  kSourceNodes = 1u << 0,          // nodes + partitions (slurm_load_node, slurm_load_partitions)
  kSourcePing = 1u << 1,           // controller ping
  kSourceJobs = 1u << 2,           // slurm_load_jobs
  kSourceScheduler = 1u << 3,      // slurm_get_statistics (sdiag)
  kSourceDbd = 1u << 4,            // slurmdb_get_stats over a persistent slurmdbd connection
  kSourceResources = 1u << 5,      // slurm_load_licenses, slurm_load_reservations
  kSourceMunge = 1u << 6,          // libmunge encode+decode round trip
  kSourceDatabase = 1u << 7,       // accounting database server (MariaDB/MySQL)
  kSourceFairshare = 1u << 8,      // slurm_load_assoc_mgr_info (associations and their usage)
  kSourceNodeLoads = 1u << 9,      // load and free memory from the node table of kSourceNodes
  kSourceFinishedJobs = 1u << 10,  // slurmdb_jobs_get: jobs that ended since the last read
};

class Collector {
 public:
  virtual ~Collector() = default;
  virtual std::string_view Name() const = 0;
  virtual std::string_view Description() const = 0;
  virtual bool EnabledByDefault() const { return true; }
  virtual uint32_t Sources() const = 0;  // SourceBit set
  virtual Status Collect(const Snapshot& snapshot, MetricSink& out) const = 0;
  // True when Collect reads nothing of the snapshot but the data and status of its sources
  // (no clock, no other state): the poller then reuses its last text (and gzip) while those
  // are the same objects, which spares the per-node families on polls where slurmctld
  // reports no node change.
  virtual bool DependsOnlyOnSourceData() const { return false; }
};

// The Status code of a collector that works but has nothing to expose on this cluster (for
// example fairshare without priority/multifactor): the poller reports it as a success and says
// why once in the log, so that no alert fires for a feature the site does not use.
inline constexpr int kNothingToExposeCode = -2;
inline Status NothingToExpose(std::string why) {
  return Status::Error("nothing to expose", std::move(why), kNothingToExposeCode);
}
inline bool CollectorSucceeded(const Status& s) {
  return s.ok() || s.code() == kNothingToExposeCode;
}

// Status of a source for a collector: OK when fresh; the load error otherwise.
template <typename T>
Status SourceStatus(const Source<T>& s, std::string_view name) {
  if (!s.attempted) return Status::Error(std::string(name), "source not loaded");
  return s.status;
}

}  // namespace slurm_exporter
