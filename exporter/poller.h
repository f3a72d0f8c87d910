// Poller: owns every Slurm call. Once per interval it loads the data sources that the enabled
// collectors need, builds an immutable Snapshot, runs the collectors on it, serializes their
// families once, and swaps the result (an Exposition) in. Scrapes read only the latest
// Exposition, so they never call Slurm, and any number of scrapers cost slurmctld the same.
//
// Failure model: a source that fails keeps its last good data (marked stale through
// slurm_exporter_source_success 0 and slurm_exporter_snapshot_age_seconds); a poll that runs
// longer than the poll timeout (e.g. a frozen slurmctld) makes slurm_up read 0 at scrape time
// while the poll thread is still waiting on libslurm. Nothing a collector does can escape a poll.
//
// Thread-safety: Start/Stop from one thread; Latest/RenderDynamic/Ready from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "collectors/collector.h"
#include "collectors/job_efficiency.h"
#include "collectors/probes.h"
#include "collectors/slurm/client.h"
#include "collectors/wait_time.h"
#include "common/metric_sink.h"
#include "common/shared_text.h"
#include "exporter/sources.h"

namespace slurm_exporter {

// Time source, injectable so that golden tests are deterministic.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual double Now() const;        // wall clock, unix seconds
  virtual double Monotonic() const;  // seconds, for durations
};

struct PollerOptions {
  double interval_seconds = 15;
  double timeout_seconds = 60;
  std::string version = "dev";
  SourceIntervals intervals;
};

// What one poll produced: the serialized families of all collectors and of the poll's own
// self-metrics. Immutable once published.
struct Exposition {
  // Text of every family, serialized once; in parts, so that a memoized collector's text is
  // shared with the previous exposition instead of copied.
  SharedText body;
  SharedText body_gzip;  // the same, gzip-compressed once: one gzip member per part
  bool slurm_reachable = false;
  double finished_at = 0;      // wall clock
  double last_success_at = 0;  // end of the last poll in which every source succeeded
  std::shared_ptr<const Snapshot> snapshot;
};

class Poller {
 public:
  Poller(SlurmClient& client, std::vector<const Collector*> collectors, PollerOptions options,
         std::shared_ptr<const Clock> clock = nullptr, Probes probes = {});
  ~Poller();
  Poller(const Poller&) = delete;
  Poller& operator=(const Poller&) = delete;

  // Runs one poll on the calling thread and publishes its result: loads the sources, derives
  // what is computed from them, builds the exposition, publishes it.
  void PollOnce();
  // Starts the background thread (first poll immediately) / stops and joins it.
  void Start();
  void Stop();

  std::shared_ptr<const Exposition> Latest() const;

  // One source as a memoized collector saw it (see Collector::DependsOnlyOnSourceData).
  struct SourceIdentity {
    std::shared_ptr<const void> data;
    bool attempted = false;
    std::string status;
    bool operator==(const SourceIdentity&) const = default;
  };
  // Metrics computed at scrape time: slurm_up, snapshot age, poll in progress.
  std::string RenderDynamic() const;
  // The full exposition a scrape returns: Latest()->body followed by RenderDynamic().
  std::string RenderAll() const;
  // The same as an HTTP response body without copying the shared parts; gzip-compressed (gzip
  // members) when `gzip` is true.
  struct Rendered {
    SharedText prefix;
    std::string tail;
  };
  Rendered Render(bool gzip) const;
  // True once a poll has reached slurmctld.
  bool Ready() const { return ready_.load(); }
  // True when the latest poll reached slurmctld and no poll is overdue.
  bool SlurmUp() const;

 private:
  // The exposition text of one poll: the collectors' parts and how each collector did.
  struct Outcome {
    std::string_view name;
    double seconds;
    Status status;
  };
  struct Built {
    SharedText body, gzipped;
    std::vector<Outcome> outcomes;
    double gzip_seconds = 0;
  };

  void Loop();
  // Loads every needed source that is due into `snap` (the others carry their last load);
  // returns whether slurmctld answered.
  bool LoadSources(Snapshot& snap, const Snapshot* prev);
  void LoadOne(size_t i, Snapshot& snap, const Snapshot* prev);
  void SkipOne(size_t i, Snapshot& snap, const Snapshot* prev, bool mismatch) const;
  bool Due(size_t i, const Snapshot* prev) const;
  // Data computed from the loaded sources (wait times, the job summary).
  void Derive(Snapshot& snap, const Snapshot* prev);
  // Runs the collectors on the snapshot; memoized collectors' parts are reused.
  Built RunCollectors(const Snapshot& snap);
  std::shared_ptr<const std::string> TimedGzip(const std::string& text, Built& built) const;
  // The self-metrics of the poll (sources, collectors, polls, build info).
  void WriteSelfMetrics(const Snapshot& snap, const Built& built, double poll_seconds,
                        MetricSink& self) const;
  void WriteSourceMetrics(const Snapshot& snap, MetricSink& self) const;
  // One log line per change of a source's, a collector's or munged's state.
  void LogChanges(const Snapshot& snap, const Built& built);
  std::vector<SourceIdentity> SourceKey(const Snapshot& s, uint32_t sources) const;
  bool AllSourcesOk(const Snapshot& snap) const;
  void Publish(std::shared_ptr<const Snapshot> snap, Built built, MetricSink self, bool reachable,
               bool all_ok);
  // Logs a source's or collector's failure when it starts or its error changes, and its
  // recovery: one line per change, not one per poll.
  void LogOnChange(std::string_view kind, std::string_view name, const Status& status);

  SlurmClient& client_;
  const Probes probes_;
  const std::vector<const Collector*> collectors_;
  const PollerOptions options_;
  const std::vector<SourceEntry> sources_;
  const uint32_t needed_;  // SourceBits some enabled collector needs (and ping)
  const std::shared_ptr<const Clock> clock_;
  const double started_at_;

  // Only touched by the polling thread.
  std::shared_ptr<const Snapshot> previous_;
  std::vector<double> loaded_at_;  // per source: monotonic time of its last load, 0 if never
  WaitTimeTracker wait_times_;
  JobEfficiencyTracker job_efficiency_;
  uint64_t polls_ok_ = 0;
  uint64_t polls_failed_ = 0;
  double last_success_at_ = 0;
  // Per collector: the last text of a memoized collector (DependsOnlyOnSourceData), its gzip
  // member, and the key of the data it was made from.
  struct Part {
    std::vector<SourceIdentity> key;
    Status status;
    std::shared_ptr<const std::string> text, gzip;
  };
  std::vector<Part> parts_;
  std::map<std::string, std::string> logged_errors_;  // "source/nodes" -> error last logged

  mutable std::mutex mu_;
  std::shared_ptr<const Exposition> latest_;  // guarded by mu_
  std::atomic<double> poll_started_mono_{0};  // 0 when no poll is running
  std::atomic<bool> ready_{false};

  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stop_ = false;  // guarded by stop_mu_
  std::thread thread_;
};

}  // namespace slurm_exporter
