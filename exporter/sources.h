// The data sources the poller loads, as one table: each entry names a source, the snapshot
// member it fills, its loader, whether the loader builds on its previous data, and its own
// interval. The poller's loads, the memo keys of collectors and the per-source self-metrics
// (slurm_exporter_source_*) all iterate over this table, so a new source is one entry here
// (plus its SourceBit and its Snapshot member).
//
// Thread-safety: the table is built once and then only read; loaders run on the poll thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "collectors/collector.h"
#include "collectors/probes.h"
#include "collectors/slurm/client.h"

namespace slurm_exporter {

// Who serves a source. The kControllerPing source is loaded first and tells whether slurmctld
// answers; kController sources are then not asked while it does not (no RPC queues up behind
// a dead controller), nor while it refuses this build's protocol.
enum class Server : uint8_t { kControllerPing, kController, kOther };

// How a load's library time is known: from the client's own RPC timer, or as the round trip
// that a probe reports (munge, database).
enum class LibraryTime : uint8_t { kClientRpcs, kProbeLatency };

struct SourceEntry {
  std::string_view name;  // the `source` label of the self-metrics
  std::string_view call;  // the library call, named in errors ("slurm_load_node")
  uint32_t bit = 0;       // SourceBit: loaded when an enabled collector asks for it
  Server server = Server::kOther;
  // An incremental loader gets its previous data and builds on them (e.g. a read of what
  // changed since); the others get null and read everything again.
  bool incremental = false;
  // Seconds between loads; 0: every poll. Between loads the snapshot carries the last load's
  // data and state. A source whose last load failed is tried again on the next poll.
  double interval_seconds = 0;
  // The source's state in a snapshot, and its data as an identity for memoized collectors.
  std::function<SourceState&(Snapshot&)> state;
  std::function<const SourceState&(const Snapshot&)> view;
  std::function<std::shared_ptr<const void>(const Snapshot&)> data;
  // Copies the source (state and data) from one snapshot to another.
  std::function<void(Snapshot& to, const Snapshot& from)> carry;
  // Loads into `snap` (data and status; the poller times it), where the poller has carried the
  // previous load's data (kept when this load fails). Errors are values: the loader sets the
  // status, never throws on purpose.
  std::function<void(Snapshot& snap)> load;
  LibraryTime library = LibraryTime::kClientRpcs;
  // For kProbeLatency: the round trip the loaded data report.
  std::function<double(const Snapshot&)> probe_latency;
};

template <typename T>
using Loader = std::function<Result<std::shared_ptr<const T>>()>;
template <typename T>
using IncrementalLoader =
    std::function<Result<std::shared_ptr<const T>>(const std::shared_ptr<const T>& previous)>;
// Turns loaded data that report a failure into an error status (the data are kept).
template <typename T>
using Check = std::function<Status(const T&)>;

// An entry whose loader builds on its previous data (null on the first load): it reads only
// what changed since, and returns the whole new data.
template <typename T>
SourceEntry MakeIncrementalSource(std::string_view name, std::string_view call, uint32_t bit,
                                  Source<T> Snapshot::*member, Server server,
                                  IncrementalLoader<T> load, Check<T> check = nullptr,
                                  bool incremental = true) {
  SourceEntry e;
  e.name = name;
  e.call = call;
  e.bit = bit;
  e.server = server;
  e.incremental = incremental;
  e.state = [member](Snapshot& s) -> SourceState& { return s.*member; };
  e.view = [member](const Snapshot& s) -> const SourceState& { return s.*member; };
  e.data = [member](const Snapshot& s) -> std::shared_ptr<const void> { return (s.*member).data; };
  e.carry = [member](Snapshot& to, const Snapshot& from) { to.*member = from.*member; };
  e.load = [member, load = std::move(load), check = std::move(check)](Snapshot& snap) {
    Source<T>& out = snap.*member;  // holds the previous load, carried by the poller
    auto r = load(out.data);
    if (!r.ok()) {
      out.status = r.status();
      return;
    }
    out.data = std::move(r).value();
    out.status = check && out.data ? check(*out.data) : Status::Ok();
  };
  return e;
}

// An entry for Snapshot member `member` whose loader reads the source whole each time.
template <typename T>
SourceEntry MakeSource(std::string_view name, std::string_view call, uint32_t bit,
                       Source<T> Snapshot::*member, Server server, Loader<T> load,
                       Check<T> check = nullptr) {
  return MakeIncrementalSource<T>(
      name, call, bit, member, server,
      [load = std::move(load)](const std::shared_ptr<const T>&) { return load(); },
      std::move(check), /*incremental=*/false);
}

// Optional probes of services outside libslurm; null ones are not polled.
struct Probes {
  MungeProbe* munge = nullptr;
  DatabaseProbe* database = nullptr;
};

// Intervals of the sources that have their own (by name); the others load every poll.
struct SourceIntervals {
  double poll_seconds = 15;  // the main poll
  double fairshare_seconds = 300;
  // Load and free memory change with every round of slurmd pings on every node: refreshing
  // them once a minute keeps a poll where only they changed within the processing target at
  // 10,000 nodes (docs/performance.md).
  double node_load_seconds = 60;
  double job_efficiency_seconds = 0;  // 0: every poll
};

// The exporter's sources, in load order: ping first (the cheapest call, and it tells whether
// slurmctld answers at all), then slurmctld's, then the others. Probes that are null are left
// out. The client and probes must outlive the table.
std::vector<SourceEntry> SourceTable(SlurmClient& client, Probes probes,
                                     const SourceIntervals& intervals = {});

}  // namespace slurm_exporter
