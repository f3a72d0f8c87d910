#include "exporter/poller.h"

#include <fmt/format.h>
#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <exception>

#include "collectors/jobs.h"
#include "common/gzip.h"
#include "common/log.h"

namespace slurm_exporter {
namespace {

// gzip level of the exposition: on 4 MB of exposition text level 1 takes half the time of
// level 6 for 7% more bytes (test/bench/poll_bench.cc).
constexpr int kGzipLevel = 1;

SourceIntervals WithPoll(const PollerOptions& o) {
  SourceIntervals i = o.intervals;
  i.poll_seconds = o.interval_seconds;
  return i;
}

uint32_t NeededSources(const std::vector<const Collector*>& collectors) {
  uint32_t needed = kSourcePing;
  for (const Collector* c : collectors) needed |= c->Sources();
  return needed;
}

}  // namespace

double Clock::Now() const {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}
double Clock::Monotonic() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

Poller::Poller(SlurmClient& client, std::vector<const Collector*> collectors, PollerOptions options,
               std::shared_ptr<const Clock> clock, Probes probes)
    : client_(client),
      probes_(probes),
      collectors_(std::move(collectors)),
      options_(std::move(options)),
      sources_(SourceTable(client_, probes_, WithPoll(options_))),
      needed_(NeededSources(collectors_)),
      clock_(clock ? std::move(clock) : std::make_shared<Clock>()),
      started_at_(clock_->Now()),
      loaded_at_(sources_.size(), 0) {}

Poller::~Poller() { Stop(); }

void Poller::PollOnce() {
  const double mono0 = clock_->Monotonic();
  poll_started_mono_.store(mono0 == 0 ? 1e-9 : mono0);
  auto snap = std::make_shared<Snapshot>();
  snap->time = clock_->Now();
  const Snapshot* prev = previous_.get();

  const bool reachable = LoadSources(*snap, prev);
  Derive(*snap, prev);
  Built built = RunCollectors(*snap);
  LogChanges(*snap, built);
  const bool all_ok = AllSourcesOk(*snap);
  ++(all_ok ? polls_ok_ : polls_failed_);
  MetricSink self;
  WriteSelfMetrics(*snap, built, clock_->Monotonic() - mono0, self);
  Publish(std::move(snap), std::move(built), std::move(self), reachable, all_ok);
}

bool Poller::LoadSources(Snapshot& snap, const Snapshot* prev) {
  bool reachable = false, mismatch = false;
  for (size_t i = 0; i < sources_.size(); ++i) {
    const SourceEntry& e = sources_[i];
    if (!(needed_ & e.bit)) continue;
    // A slurmctld source is skipped (keeping its last data) while slurmctld does not answer,
    // so that no RPC queues up behind a dead controller; not even tried while it refuses our
    // protocol.
    if (e.server == Server::kController && !reachable && (prev || mismatch)) {
      SkipOne(i, snap, prev, mismatch);
    } else if (Due(i, prev)) {
      LoadOne(i, snap, prev);
    } else {
      e.carry(snap, *prev);
    }
    if (e.server == Server::kControllerPing) {
      const Status& st = e.state(snap).status;
      reachable = st.ok();
      mismatch = st.code() == kProtocolMismatchCode;
    }
  }
  return reachable;
}

bool Poller::Due(size_t i, const Snapshot* prev) const {
  const SourceEntry& e = sources_[i];
  if (e.interval_seconds <= 0 || !prev || loaded_at_[i] == 0) return true;
  const SourceState& last = e.view(*prev);
  if (!last.attempted || !last.status.ok()) return true;  // failed: try again next poll
  return clock_->Monotonic() - loaded_at_[i] >= e.interval_seconds;
}

void Poller::LoadOne(size_t i, Snapshot& snap, const Snapshot* prev) {
  const SourceEntry& e = sources_[i];
  SourceState& out = e.state(snap);
  if (prev) e.carry(snap, *prev);  // the last good data and success time, if this load fails
  out.attempted = true;
  out.library_seconds = 0;
  const double t0 = clock_->Monotonic();
  loaded_at_[i] = t0 == 0 ? 1e-9 : t0;
  if (e.library == LibraryTime::kClientRpcs) client_.TakeLibrarySeconds();
  try {
    e.load(snap);
  } catch (const std::exception& ex) {
    out.status = Status::Error("load", ex.what());
  }
  out.duration_seconds = clock_->Monotonic() - t0;
  if (e.library == LibraryTime::kClientRpcs) {
    out.library_seconds = client_.TakeLibrarySeconds();
  } else if (out.status.ok() && e.data(snap)) {
    // The probe's round trip (to munged, to the database server) is spent inside libmunge or
    // the MariaDB client, as libslurm's RPCs are.
    out.library_seconds = std::min(e.probe_latency(snap), out.duration_seconds);
  }
  if (out.status.ok()) out.last_success_time = snap.time;
}

void Poller::SkipOne(size_t i, Snapshot& snap, const Snapshot* prev, bool mismatch) const {
  const SourceEntry& e = sources_[i];
  if (prev) e.carry(snap, *prev);
  SourceState& out = e.state(snap);
  out.attempted = true;
  out.duration_seconds = 0;
  out.library_seconds = 0;
  out.status = Status::Error(std::string(e.call),
                             mismatch ? "skipped: slurmctld refuses this build's protocol"
                                      : "skipped: slurmctld unreachable");
}

void Poller::Derive(Snapshot& snap, const Snapshot* prev) {
  // Each new read of finished jobs is counted once; a carried read adds nothing.
  snap.job_efficiency = job_efficiency_.Update(snap.finished_jobs.data);
  if (!snap.jobs.data) return;
  snap.wait_times = wait_times_.Update(snap.jobs.data);
  // Summarized once per job table; polls without job changes reuse it.
  snap.job_summary = prev && prev->job_summary && prev->jobs.data == snap.jobs.data
                         ? prev->job_summary
                         : std::make_shared<const JobSummary>(SummarizeJobs(*snap.jobs.data));
}

// Identity of the data a memoized collector reads: each of its sources' data object (kept
// alive by the key, so that no new object can take its address) and status. Equal keys mean
// the same objects, hence the same text.
std::vector<Poller::SourceIdentity> Poller::SourceKey(const Snapshot& s, uint32_t sources) const {
  std::vector<SourceIdentity> key;
  for (const SourceEntry& e : sources_) {
    if (!(sources & e.bit)) continue;
    const SourceState& st = e.view(s);
    key.push_back({e.data(s), st.attempted, st.status.ToString()});
  }
  return key;
}

std::shared_ptr<const std::string> Poller::TimedGzip(const std::string& text, Built& built) const {
  const double g0 = clock_->Monotonic();
  auto out = std::make_shared<const std::string>(Gzip(text, kGzipLevel));
  built.gzip_seconds += clock_->Monotonic() - g0;
  return out;
}

// The exposition is a list of parts: a memoized collector's text (reused while its source
// data are the same objects) is one part, shared with the previous exposition; the text of
// the other collectors between two such parts is gathered into one. The gzip body has one
// gzip member per part; decoders read the members as one stream.
Poller::Built Poller::RunCollectors(const Snapshot& snap) {
  Built built;
  std::string pending;  // text of the current gathered part
  built.body.parts.reserve(2 * collectors_.size() + 2);
  built.gzipped.parts.reserve(2 * collectors_.size() + 2);
  auto flush_pending = [&]() {
    if (pending.empty()) return;
    auto text = std::make_shared<const std::string>(std::move(pending));
    pending = std::string();
    built.gzipped.Append(TimedGzip(*text, built));
    built.body.Append(std::move(text));
  };
  parts_.resize(collectors_.size());
  for (size_t i = 0; i < collectors_.size(); ++i) {
    const Collector* c = collectors_[i];
    Part& part = parts_[i];
    const double t0 = clock_->Monotonic();
    const bool memo = c->DependsOnlyOnSourceData();
    std::vector<SourceIdentity> key;
    if (memo) key = SourceKey(snap, c->Sources());
    Status st;
    if (memo && part.text && part.key == key) {
      st = part.status;  // same data, same text
    } else {
      MetricSink sink;
      sink.Reserve(part.text ? part.text->size() : 0);
      try {
        st = c->Collect(snap, sink);
      } catch (const std::exception& e) {
        st = Status::Error("collect", e.what());
        sink = MetricSink();  // drop a half-built result
      }
      if (memo) {
        part.text = std::make_shared<const std::string>(sink.TakeText());
        part.gzip = nullptr;
        part.key = std::move(key);
        part.status = st;
      } else {
        part = Part();
        pending += sink.text();
      }
    }
    built.outcomes.push_back({c->Name(), clock_->Monotonic() - t0, st});
    if (memo) {
      if (!part.gzip) part.gzip = TimedGzip(*part.text, built);
      flush_pending();
      built.body.Append(part.text);
      built.gzipped.Append(part.gzip);
    }
  }
  flush_pending();
  return built;
}

bool Poller::AllSourcesOk(const Snapshot& snap) const {
  for (const SourceEntry& e : sources_) {
    const SourceState& st = e.view(snap);
    if (st.attempted && !st.status.ok()) return false;
  }
  return true;
}

void Poller::WriteSourceMetrics(const Snapshot& snap, MetricSink& self) const {
  struct Family {
    const char* name;
    const char* help;
    double (*value)(const SourceState&);
  };
  static constexpr Family kFamilies[] = {
      {"slurm_exporter_source_duration_seconds",
       "Time to load the source in the last poll: library calls and conversion.",
       [](const SourceState& s) { return s.duration_seconds; }},
      {"slurm_exporter_source_library_seconds",
       "Of slurm_exporter_source_duration_seconds, the time inside library calls (libslurm "
       "RPCs, the munge and database round trips); the rest is the exporter's own "
       "conversion.",
       [](const SourceState& s) { return s.library_seconds; }},
      {"slurm_exporter_source_success", "1 when the source loaded in the last poll.",
       [](const SourceState& s) { return s.status.ok() ? 1.0 : 0.0; }},
      {"slurm_exporter_source_last_success_timestamp_seconds",
       "Unix time of the last successful load of the source; 0 if never.",
       [](const SourceState& s) { return s.last_success_time; }},
  };
  for (const Family& f : kFamilies) {
    self.Gauge(f.name, f.help);
    for (const SourceEntry& e : sources_) {
      const SourceState& st = e.view(snap);
      if (st.attempted) self.Add(f.value(st), {{"source", std::string(e.name)}});
    }
  }
}

void Poller::WriteSelfMetrics(const Snapshot& snap, const Built& built, double poll_seconds,
                              MetricSink& self) const {
  self.Gauge("slurm_exporter_collector_duration_seconds",
             "Time the collector took to build its metrics from the last snapshot.");
  for (const auto& o : built.outcomes) self.Add(o.seconds, {{"collector", std::string(o.name)}});
  self.Gauge("slurm_exporter_collector_success",
             "1 when the collector's data were loaded fresh in the last poll and it succeeded.");
  for (const auto& o : built.outcomes) {
    self.Add(CollectorSucceeded(o.status) ? 1 : 0, {{"collector", std::string(o.name)}});
  }
  WriteSourceMetrics(snap, self);
  // A daemon that refuses this build's protocol (or speaks one it cannot read): the exporter
  // sees nothing of it until it is built for the cluster's Slurm release.
  self.Gauge("slurm_exporter_protocol_mismatch",
             "1 when the Slurm daemon and this build of the exporter do not speak the same Slurm "
             "protocol: rebuild the exporter for the cluster's release (see the log).");
  self.Add(snap.ping.status.code() == kProtocolMismatchCode ? 1 : 0, {{"daemon", "slurmctld"}});
  if (snap.dbd.attempted) {
    self.Add(snap.dbd.status.code() == kProtocolMismatchCode ? 1 : 0, {{"daemon", "slurmdbd"}});
  }
  self.Counter("slurm_exporter_polls_total", "Polls of Slurm by result.")
      .Add(static_cast<double>(polls_ok_), {{"result", "success"}})
      .Add(static_cast<double>(polls_failed_), {{"result", "failure"}});
  self.Gauge("slurm_exporter_poll_duration_seconds",
             "Duration of the last poll: library calls, conversion, collectors and the gzip of "
             "their text (all but these self-metrics).",
             poll_seconds);
  self.Gauge("slurm_exporter_gzip_duration_seconds",
             "Of slurm_exporter_poll_duration_seconds, the time to gzip the exposition text "
             "(once per poll, served to every scraper that asks for gzip; memoized parts are "
             "not compressed again).",
             built.gzip_seconds);
  self.Gauge("slurm_exporter_build_info",
             "Build information of slurm_exporter; the value is always 1.")
      .Add(1, {{"version", options_.version}, {"slurm_api", client_.ApiVersion()}});
}

void Poller::LogChanges(const Snapshot& snap, const Built& built) {
  for (const SourceEntry& e : sources_) {
    const SourceState& st = e.view(snap);
    if (st.attempted) LogOnChange("source", e.name, st.status);
  }
  // The munge probe loads even when munged fails the round trip (slurm_munge_up 0): say that
  // too, once per change, naming the socket.
  if (snap.munge.fresh() && snap.munge.data) {
    const MungeStatus& m = *snap.munge.data;
    LogOnChange("munge", m.socket,
                m.ok ? Status::Ok()
                     : Status::Error("munge round trip",
                                     fmt::format("{}; check that munged runs and that this "
                                                 "process can reach its socket {}",
                                                 m.message, m.socket),
                                     m.error_code));
  }
  // A collector that fails because its source did is said once, by the source's line.
  for (const auto& o : built.outcomes) {
    const bool as_source =
        !o.status.ok() && std::any_of(sources_.begin(), sources_.end(), [&](const auto& e) {
          const SourceState& st = e.view(snap);
          return st.attempted && st.status.ToString() == o.status.ToString();
        });
    LogOnChange("collector", o.name, as_source ? Status::Ok() : o.status);
  }
}

void Poller::Publish(std::shared_ptr<const Snapshot> snap, Built built, MetricSink self,
                     bool reachable, bool all_ok) {
  // The self-metrics are the last part; their few kilobytes are compressed outside the
  // durations they report.
  auto expo = std::make_shared<Exposition>();
  built.gzipped.Append(Gzip(self.text(), kGzipLevel));
  built.body.Append(self.TakeText());
  expo->body_gzip = std::move(built.gzipped);
  expo->body = std::move(built.body);
  expo->slurm_reachable = reachable;
  expo->finished_at = clock_->Now();
  if (all_ok) last_success_at_ = expo->finished_at;
  expo->last_success_at = last_success_at_;
  expo->snapshot = snap;
  // Whether a large table was replaced (and the old one is freed below).
  const Snapshot* prev = previous_.get();
  const bool tables_replaced =
      !prev || prev->jobs.data != snap->jobs.data || prev->nodes.data != snap->nodes.data;
  previous_ = std::move(snap);
  {
    std::lock_guard<std::mutex> lock(mu_);
    latest_ = std::move(expo);
  }
  if (reachable) ready_.store(true);
  const double poll_seconds = clock_->Monotonic() - poll_started_mono_.load();
  poll_started_mono_.store(0);
  // Give the memory of this poll's transient structures (libslurm replies, the replaced
  // tables) back to the system, so that the steady RSS stays near the size of what is kept.
  // Only after polls that replaced a table: the others allocate little, and scrapes share the
  // exposition's parts instead of copying them; the walk over the heap would only hold the
  // allocator's locks while scrapes are being served.
  if (tables_replaced) malloc_trim(0);
  log::Debug("poll done",
             {{"seconds", fmt::format("{:.6f}", poll_seconds)}, {"ok", all_ok ? "true" : "false"}});
}

void Poller::LogOnChange(std::string_view kind, std::string_view name, const Status& status) {
  std::string err = status.ok() ? std::string() : status.ToString();
  std::string& last = logged_errors_[fmt::format("{}/{}", kind, name)];
  if (last == err) return;
  const bool recovered = err.empty();
  last = std::move(err);
  const bool nothing = status.code() == kNothingToExposeCode;
  const std::string msg = fmt::format("{} {}", kind,
                                      recovered ? "recovered"
                                      : nothing ? "has nothing to expose"
                                                : "failed");
  if (recovered) {
    log::Info(msg, {{kind, std::string(name)}});
  } else if (nothing) {
    log::Info(msg, {{kind, std::string(name)}, {"why", status.message()}});
  } else if (status.code() == kProtocolMismatchCode) {
    log::Error(msg, {{kind, std::string(name)}, {"err", last}});
  } else {
    log::Warn(msg, {{kind, std::string(name)}, {"err", last}});
  }
}

std::shared_ptr<const Exposition> Poller::Latest() const {
  std::lock_guard<std::mutex> lock(mu_);
  return latest_;
}

bool Poller::SlurmUp() const {
  auto latest = Latest();
  if (!latest || !latest->slurm_reachable) return false;
  double started = poll_started_mono_.load();
  if (started > 0 && clock_->Monotonic() - started > options_.timeout_seconds) return false;
  return true;
}

std::string Poller::RenderDynamic() const {
  auto latest = Latest();
  const double now = clock_->Now();
  const double since =
      (latest && latest->last_success_at > 0) ? latest->last_success_at : started_at_;
  double started = poll_started_mono_.load();
  double running = started > 0 ? clock_->Monotonic() - started : 0;
  MetricSink m;
  m.Gauge("slurm_up", "1 when the last poll reached slurmctld and no poll is overdue.",
          SlurmUp() ? 1 : 0);
  m.Gauge("slurm_exporter_snapshot_age_seconds",
          "Seconds since the end of the last poll in which every source loaded (since start "
          "if none did yet).",
          now - since);
  m.Gauge("slurm_exporter_poll_in_progress_seconds",
          "How long the poll now running has been running; 0 when none is.", running);
  return m.TakeText();
}

std::string Poller::RenderAll() const {
  auto latest = Latest();
  std::string out = latest ? latest->body.Joined() : std::string();
  out += RenderDynamic();
  return out;
}

Poller::Rendered Poller::Render(bool gzip) const {
  auto latest = Latest();
  Rendered r;
  if (gzip) {
    if (latest) r.prefix = latest->body_gzip;
    // Stored, not compressed: a few hundred bytes more on the wire, and a scrape costs 1.5 us
    // instead of 10 (test/bench/poll_bench.cc, BM_Render).
    r.tail = Gzip(RenderDynamic(), 0);
  } else {
    if (latest) r.prefix = latest->body;
    r.tail = RenderDynamic();
  }
  return r;
}

void Poller::Start() {
  {
    std::lock_guard<std::mutex> lock(stop_mu_);
    stop_ = false;
  }
  thread_ = std::thread([this] { Loop(); });
}

void Poller::Stop() {
  {
    std::lock_guard<std::mutex> lock(stop_mu_);
    stop_ = true;
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Poller::Loop() {
  using namespace std::chrono;
  for (;;) {
    auto t0 = steady_clock::now();
    try {
      PollOnce();
    } catch (const std::exception& e) {  // last line of defence: never end the thread
      poll_started_mono_.store(0);
      log::Error("poll failed", {{"err", e.what()}});
    }
    auto next =
        t0 + duration_cast<steady_clock::duration>(duration<double>(options_.interval_seconds));
    std::unique_lock<std::mutex> lock(stop_mu_);
    if (stop_cv_.wait_until(lock, next, [this] { return stop_; })) return;
  }
}

}  // namespace slurm_exporter
