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

// Identity of the data a memoized collector reads: each of its sources' data object (kept
// alive by the key, so that no new object can take its address) and status. Equal keys mean
// the same objects, hence the same text.
template <typename T>
void AppendSourceKey(std::vector<Poller::SourceIdentity>& key, const Source<T>& src) {
  key.push_back({src.data, src.attempted, src.status.ToString()});
}

std::vector<Poller::SourceIdentity> SourceKey(const Snapshot& s, uint32_t sources) {
  std::vector<Poller::SourceIdentity> key;
  if (sources & kSourceNodes) AppendSourceKey(key, s.nodes);
  if (sources & kSourcePing) AppendSourceKey(key, s.ping);
  if (sources & kSourceJobs) AppendSourceKey(key, s.jobs);
  if (sources & kSourceScheduler) AppendSourceKey(key, s.scheduler);
  if (sources & kSourceDbd) AppendSourceKey(key, s.dbd);
  if (sources & kSourceResources) AppendSourceKey(key, s.resources);
  if (sources & kSourceMunge) AppendSourceKey(key, s.munge);
  if (sources & kSourceDatabase) AppendSourceKey(key, s.database);
  return key;
}

template <typename T, typename LoadFn>
void LoadSource(Source<T>& out, const Source<T>* previous, const Clock& clock, double now,
                LoadFn load, SlurmClient* lib = nullptr) {
  out.attempted = true;
  if (previous) {
    out.data = previous->data;
    out.last_success_time = previous->last_success_time;
  }
  double t0 = clock.Monotonic();
  if (lib) lib->TakeLibrarySeconds();
  try {
    auto r = load();
    out.duration_seconds = clock.Monotonic() - t0;
    if (lib) out.library_seconds = lib->TakeLibrarySeconds();
    if (r.ok()) {
      out.data = std::move(r).value();
      out.status = Status::Ok();
      out.last_success_time = now;
    } else {
      out.status = r.status();
    }
  } catch (const std::exception& e) {
    out.duration_seconds = clock.Monotonic() - t0;
    out.status = Status::Error("load", e.what());
  }
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
      clock_(clock ? std::move(clock) : std::make_shared<Clock>()),
      started_at_(clock_->Now()) {}

Poller::~Poller() { Stop(); }

void Poller::PollOnce() {
  const Clock& clock = *clock_;
  const double mono0 = clock.Monotonic();
  poll_started_mono_.store(mono0 == 0 ? 1e-9 : mono0);
  const double now = clock.Now();

  uint32_t needed = kSourcePing;
  for (const Collector* c : collectors_) needed |= c->Sources();

  auto snap = std::make_shared<Snapshot>();
  snap->time = now;
  const Snapshot* prev = previous_.get();
  // Ping first: it is the cheapest call and tells whether slurmctld answers at all.
  LoadSource(
      snap->ping, prev ? &prev->ping : nullptr, clock, now,
      [&]() {
        auto r = client_.Ping();
        if (!r.ok()) return Result<std::shared_ptr<const ControllerPing>>(r.status());
        return Result<std::shared_ptr<const ControllerPing>>(
            std::make_shared<const ControllerPing>(r.value()));
      },
      &client_);
  if (snap->ping.status.ok() && snap->ping.data && !snap->ping.data->reachable) {
    snap->ping.status =
        Status::Error("slurm_ping", snap->ping.data->error, snap->ping.data->error_code);
  }
  const bool reachable = snap->ping.status.ok();
  const bool mismatch = snap->ping.status.code() == kProtocolMismatchCode;
  // Sources served by slurmctld: skipped (keeping the last data) while it does not answer, so
  // that no RPC queues up behind a dead controller; not even tried while it refuses our
  // protocol.
  auto ctld_source = [&](auto& dst, const auto* prev_src, uint32_t bit, const char* op, auto load) {
    if (!(needed & bit)) return;
    if (reachable || (!prev_src && !mismatch)) {
      LoadSource(dst, prev_src, clock, now, load, &client_);
    } else {
      if (prev_src) dst = *prev_src;
      dst.attempted = true;
      dst.duration_seconds = 0;
      dst.library_seconds = 0;
      dst.status = Status::Error(op, mismatch ? "skipped: slurmctld refuses this build's protocol"
                                              : "skipped: slurmctld unreachable");
    }
  };
  ctld_source(snap->nodes, prev ? &prev->nodes : nullptr, kSourceNodes, "slurm_load_node",
              [&]() { return client_.LoadNodes(); });
  ctld_source(snap->jobs, prev ? &prev->jobs : nullptr, kSourceJobs, "slurm_load_jobs",
              [&]() { return client_.LoadJobs(); });
  if (snap->jobs.data) {
    snap->wait_times = wait_times_.Update(snap->jobs.data);
    // Summarized once per job table; polls without job changes reuse it.
    snap->job_summary = prev && prev->job_summary && prev->jobs.data == snap->jobs.data
                            ? prev->job_summary
                            : std::make_shared<const JobSummary>(SummarizeJobs(*snap->jobs.data));
  }
  ctld_source(snap->scheduler, prev ? &prev->scheduler : nullptr, kSourceScheduler,
              "slurm_get_statistics", [&]() { return client_.LoadSchedulerStats(); });
  ctld_source(snap->resources, prev ? &prev->resources : nullptr, kSourceResources,
              "slurm_load_licenses", [&]() { return client_.LoadResources(); });
  // Not served by slurmctld: loaded whatever the controller does.
  if (needed & kSourceDbd) {
    LoadSource(
        snap->dbd, prev ? &prev->dbd : nullptr, clock, now,
        [&]() { return client_.LoadDbdStats(); }, &client_);
  }
  if ((needed & kSourceMunge) && probes_.munge) {
    LoadSource(snap->munge, prev ? &prev->munge : nullptr, clock, now, [&]() {
      return Result<std::shared_ptr<const MungeStatus>>(
          std::make_shared<const MungeStatus>(probes_.munge->Check()));
    });
  }
  if ((needed & kSourceDatabase) && probes_.database) {
    LoadSource(snap->database, prev ? &prev->database : nullptr, clock, now,
               [&]() { return probes_.database->Query(); });
  }
  // The probes' round trips (to munged, to the database server) are library time, as
  // libslurm's RPCs are: what the probe measures as latency is spent inside libmunge or the
  // MariaDB client.
  auto probe_library = [](auto& src) {
    if (src.attempted && src.status.ok() && src.data) {
      src.library_seconds = std::min(src.data->latency_seconds, src.duration_seconds);
    }
  };
  probe_library(snap->munge);
  probe_library(snap->database);

  struct SourceView {
    std::string_view name;
    bool attempted;
    const Status* status;
    double seconds;
    double library_seconds;
    double last_success;
  };
  auto view = [](std::string_view name, const auto& src) {
    return SourceView{name,
                      src.attempted,
                      &src.status,
                      src.duration_seconds,
                      src.library_seconds,
                      src.last_success_time};
  };
  const SourceView sources[] = {
      view("ping", snap->ping),           view("nodes", snap->nodes),
      view("jobs", snap->jobs),           view("scheduler", snap->scheduler),
      view("resources", snap->resources), view("dbd", snap->dbd),
      view("munge", snap->munge),         view("database", snap->database)};
  bool all_ok = true;
  for (const auto& s : sources) {
    if (s.attempted && !s.status->ok()) all_ok = false;
  }

  // Collectors: pure functions of the snapshot.
  MetricSink self;
  // The exposition is a list of parts: a memoized collector's text (reused while its source
  // data are the same objects) is one part, shared with the previous exposition; the text of
  // the other collectors between two such parts is gathered into one. The gzip body has one
  // gzip member per part; decoders read the members as one stream.
  SharedText body, gzipped;
  std::string pending;  // text of the current gathered part
  body.parts.reserve(2 * collectors_.size() + 2);
  gzipped.parts.reserve(2 * collectors_.size() + 2);
  struct Outcome {
    std::string_view name;
    double seconds;
    bool ok;
    Status status;
  };
  std::vector<Outcome> outcomes;
  double gzip_seconds = 0;
  auto timed_gzip = [&](const std::string& text) {
    const double g0 = clock.Monotonic();
    auto out = std::make_shared<const std::string>(Gzip(text, kGzipLevel));
    gzip_seconds += clock.Monotonic() - g0;
    return out;
  };
  auto flush_pending = [&]() {
    if (pending.empty()) return;
    auto text = std::make_shared<const std::string>(std::move(pending));
    pending = std::string();
    gzipped.Append(timed_gzip(*text));
    body.Append(std::move(text));
  };
  parts_.resize(collectors_.size());
  for (size_t i = 0; i < collectors_.size(); ++i) {
    const Collector* c = collectors_[i];
    Part& part = parts_[i];
    const double t0 = clock.Monotonic();
    const bool memo = c->DependsOnlyOnSourceData();
    std::vector<SourceIdentity> key;
    if (memo) key = SourceKey(*snap, c->Sources());
    Status st;
    if (memo && part.text && part.key == key) {
      st = part.status;  // same data, same text
    } else {
      MetricSink sink;
      sink.Reserve(part.text ? part.text->size() : 0);
      try {
        st = c->Collect(*snap, sink);
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
    outcomes.push_back({c->Name(), clock.Monotonic() - t0, st.ok(), st});
    if (memo) {
      if (!part.gzip) part.gzip = timed_gzip(*part.text);
      flush_pending();
      body.Append(part.text);
      gzipped.Append(part.gzip);
    }
  }

  flush_pending();

  self.Gauge("slurm_exporter_collector_duration_seconds",
             "Time the collector took to build its metrics from the last snapshot.");
  for (const auto& o : outcomes) self.Add(o.seconds, {{"collector", std::string(o.name)}});
  self.Gauge("slurm_exporter_collector_success",
             "1 when the collector's data were loaded fresh in the last poll and it succeeded.");
  for (const auto& o : outcomes) self.Add(o.ok ? 1 : 0, {{"collector", std::string(o.name)}});

  self.Gauge("slurm_exporter_source_duration_seconds",
             "Time to load the source in the last poll: library calls and conversion.");
  for (const auto& s : sources) {
    if (s.attempted) self.Add(s.seconds, {{"source", std::string(s.name)}});
  }
  self.Gauge("slurm_exporter_source_library_seconds",
             "Of slurm_exporter_source_duration_seconds, the time inside library calls (libslurm "
             "RPCs, the munge and database round trips); the rest is the exporter's own "
             "conversion.");
  for (const auto& s : sources) {
    if (s.attempted) self.Add(s.library_seconds, {{"source", std::string(s.name)}});
  }
  self.Gauge("slurm_exporter_source_success", "1 when the source loaded in the last poll.");
  for (const auto& s : sources) {
    if (s.attempted) self.Add(s.status->ok() ? 1 : 0, {{"source", std::string(s.name)}});
  }
  self.Gauge("slurm_exporter_source_last_success_timestamp_seconds",
             "Unix time of the last successful load of the source; 0 if never.");
  for (const auto& s : sources) {
    if (s.attempted) self.Add(s.last_success, {{"source", std::string(s.name)}});
  }
  for (const auto& s : sources) {
    if (s.attempted) LogOnChange("source", s.name, *s.status);
  }
  // The munge probe loads even when munged fails the round trip (slurm_munge_up 0): say that
  // too, once per change, naming the socket.
  if (snap->munge.fresh() && snap->munge.data) {
    const MungeStatus& m = *snap->munge.data;
    LogOnChange("munge", m.socket,
                m.ok ? Status::Ok()
                     : Status::Error("munge round trip",
                                     fmt::format("{}; check that munged runs and that this "
                                                 "process can reach its socket {}",
                                                 m.message, m.socket),
                                     m.error_code));
  }
  // A collector that fails because its source did is said once, by the source's line.
  for (const auto& o : outcomes) {
    const bool as_source = std::any_of(std::begin(sources), std::end(sources), [&](const auto& s) {
      return s.attempted && !o.status.ok() && s.status->ToString() == o.status.ToString();
    });
    LogOnChange("collector", o.name, as_source ? Status::Ok() : o.status);
  }
  // A daemon that refuses this build's protocol (or speaks one it cannot read): the exporter
  // sees nothing of it until it is built for the cluster's Slurm release.
  self.Gauge("slurm_exporter_protocol_mismatch",
             "1 when the Slurm daemon and this build of the exporter do not speak the same Slurm "
             "protocol: rebuild the exporter for the cluster's release (see the log).");
  self.Add(snap->ping.status.code() == kProtocolMismatchCode ? 1 : 0, {{"daemon", "slurmctld"}});
  if (snap->dbd.attempted) {
    self.Add(snap->dbd.status.code() == kProtocolMismatchCode ? 1 : 0, {{"daemon", "slurmdbd"}});
  }

  if (all_ok) {
    ++polls_ok_;
  } else {
    ++polls_failed_;
  }
  const double poll_seconds = clock.Monotonic() - mono0;
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
             gzip_seconds);
  self.Gauge("slurm_exporter_build_info",
             "Build information of slurm_exporter; the value is always 1.")
      .Add(1, {{"version", options_.version}, {"slurm_api", client_.ApiVersion()}});
  // The self-metrics are the last part; their few kilobytes are compressed outside the
  // durations they report.
  auto expo = std::make_shared<Exposition>();
  gzipped.Append(Gzip(self.text(), kGzipLevel));
  body.Append(self.TakeText());
  expo->body_gzip = std::move(gzipped);
  expo->body = std::move(body);
  expo->slurm_reachable = reachable;
  expo->finished_at = clock.Now();
  if (all_ok) last_success_at_ = expo->finished_at;
  expo->last_success_at = last_success_at_;
  expo->snapshot = snap;
  // Whether a large table was replaced (and the old one is freed below).
  const bool tables_replaced =
      !prev || prev->jobs.data != snap->jobs.data || prev->nodes.data != snap->nodes.data;
  previous_ = snap;
  {
    std::lock_guard<std::mutex> lock(mu_);
    latest_ = std::move(expo);
  }
  if (reachable) ready_.store(true);
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
  const std::string msg = fmt::format("{} {}", kind, recovered ? "recovered" : "failed");
  if (recovered) {
    log::Info(msg, {{kind, std::string(name)}});
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
