// The only translation unit that includes Slurm's headers.
#include "collectors/slurm/libslurm_client.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <type_traits>

#include "collectors/slurm/compat.h"
#include "collectors/slurm/convert.h"
#include "collectors/slurm/libslurm_log.h"
#include "collectors/slurm/protocol.h"
#include "collectors/slurm/text.h"
#include "common/log.h"
#include "common/tcp_nodelay.h"

namespace slurm_exporter {
namespace {

static_assert(kProtocolMismatchCode == SLURM_PROTOCOL_VERSION_ERROR);

struct NodeMsgFree {
  void operator()(node_info_msg_t* m) const { slurm_free_node_info_msg(m); }
};
struct JobMsgFree {
  void operator()(job_info_msg_t* m) const { slurm_free_job_info_msg(m); }
};
using JobMsg = std::unique_ptr<job_info_msg_t, JobMsgFree>;
struct PartMsgFree {
  void operator()(partition_info_msg_t* m) const { slurm_free_partition_info_msg(m); }
};
using NodeMsg = std::unique_ptr<node_info_msg_t, NodeMsgFree>;
using PartMsg = std::unique_ptr<partition_info_msg_t, PartMsgFree>;

Status SlurmErrorCode(std::string op, int err) {
  const char* text = slurm_strerror(err);
  return Status::Error(std::move(op), text ? text : "unknown error", err);
}

std::string Str(const char* s) { return s ? std::string(s) : std::string(); }

double SecondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

struct StatsFree {
  void operator()(stats_info_response_msg_t* m) const { slurm_free_stats_response_msg(m); }
};
struct CtlConfFree {
  void operator()(slurm_conf_t* m) const { slurm_compat::FreeConf(m); }
};
struct LicFree {
  void operator()(license_info_msg_t* m) const { slurm_free_license_info_msg(m); }
};
struct ResvFree {
  void operator()(reserve_info_msg_t* m) const { slurm_free_reservation_info_msg(m); }
};
struct AssocMgrFree {
  void operator()(assoc_mgr_info_msg_t* m) const { slurm_free_assoc_mgr_info_msg(m); }
};
struct DbdStatsFree {
  void operator()(slurmdb_stats_rec_t* m) const { slurmdb_destroy_stats_rec(m); }
};

// The release series this build speaks ("22.05") and its protocol number.
std::string OurSeries() {
  return fmt::format("{:02}.{:02}", SLURM_VERSION_MAJOR(SLURM_VERSION_NUMBER),
                     SLURM_VERSION_MINOR(SLURM_VERSION_NUMBER));
}
std::string OurVersion() {
  return fmt::format("{}.{}", OurSeries(), SLURM_VERSION_MICRO(SLURM_VERSION_NUMBER));
}

// What to tell an admin when `daemon` and this build do not speak the same protocol.
std::string MismatchMessage(std::string_view daemon, int peer_protocol, std::string_view why) {
  const int ours = slurm_protocol::ProtocolOfRelease(OurSeries());
  std::string peer = peer_protocol > 0
                         ? fmt::format("{} runs Slurm {} (accepts clients of {})", daemon,
                                       slurm_protocol::ReleaseOfProtocol(peer_protocol),
                                       slurm_protocol::AcceptedClients(peer_protocol))
                         : fmt::format("{} runs a Slurm release that {}", daemon, why);
  return fmt::format(
      "Slurm protocol mismatch: this exporter is built against libslurm {} (accepted by {} {}) "
      "and {}. Use a build of slurm_exporter for the cluster's Slurm release (README, Slurm "
      "versions)",
      OurVersion(), daemon, slurm_protocol::AcceptingServers(ours), peer);
}

// The munge socket a connection authenticates through: `spec` is AuthInfo or
// AccountingStoragePass ("socket=/run/munge/munge.socket.2" or a bare path); "" for the
// default socket.
std::string SocketOf(const char* spec) {
  if (spec == nullptr || *spec == '\0') return {};
  if (std::strchr(spec, '=') == nullptr) return spec;
  return ParseAuthInfoSocket(spec);
}

// slurmctld refused our credential. It says so only in its own log ("Protocol authentication
// error") and closes the connection without a reply, so a receive failure that comes back at
// once (a frozen controller times out after MessageTimeout instead) counts as a rejection too.
// (From 24.05 on slurmctld answers a rejected credential with SLURM_PROTOCOL_AUTHENTICATION_ERROR,
// and closes the connection without a reply on a protocol it does not accept.)
bool IsAuthRejection(int code, double latency_seconds) {
  if (code == SLURM_PROTOCOL_AUTHENTICATION_ERROR ||
      (code >= ESLURM_AUTH_CRED_INVALID && code <= ESLURM_AUTH_UNPACK)) {
    return true;
  }
  // (A 23.02 libslurm reads what a 26.05 slurmctld does to its request as an unexpected
  // message: no answer either.)
  const bool no_reply = code == SLURMCTLD_COMMUNICATIONS_RECEIVE_ERROR ||
                        code == SLURM_COMMUNICATIONS_RECEIVE_ERROR ||
                        code == SLURM_PROTOCOL_SOCKET_ZERO_BYTES_SENT ||
                        code == SLURM_UNEXPECTED_MSG_ERROR;
  return no_reply && latency_seconds < 1.0;
}

}  // namespace

// Runs a library call and adds its duration to `acc`.
template <typename F>
auto Timed(double& acc, F&& f) {
  auto t0 = std::chrono::steady_clock::now();
  if constexpr (std::is_void_v<decltype(f())>) {
    f();
    acc += SecondsSince(t0);
  } else {
    auto r = f();
    acc += SecondsSince(t0);
    return r;
  }
}

struct LibSlurmClient::State {
  double library_seconds = 0;
  int err = 0;                   // Slurm error of the last call, taken right after it
  double last_call_seconds = 0;  // and how long it took
  // libslurm's own log, away from stderr: the lines of the current operation, re-logged once.
  LibslurmLog libslurm_log;
  RepeatFilter relog{3600};
  std::vector<std::string> lines;

  NodeMsg nodes;
  PartMsg parts;
  std::shared_ptr<const ClusterNodes> converted;
  std::shared_ptr<const NodeLoads> loads;
  time_t jobs_update = 0;
  std::shared_ptr<const Jobs> jobs;
  slurm_convert::JobNames names;

  // controller
  time_t conf_update = 0;
  std::string cluster_name, version, priority_type;
  int64_t boot_time = 0;
  // slurmdbd, and what it made of our last request: whether it speaks our protocol and
  // accepts our credential.
  void* db_conn = nullptr;
  enum class Peer { kUnknown, kAccepts, kMismatch, kRejectsCredential };
  Peer dbd_peer = Peer::kUnknown;
  std::optional<uint32_t> gpu_tres_id;  // of gres/gpu in slurmdbd's TRES table
  // licenses and reservations
  time_t lic_update = 0, resv_update = 0;
  std::shared_ptr<const LicensesAndReservations> resources;
  std::vector<License> licenses;
  std::vector<Reservation> reservations;

  // Runs a libslurm call: adds its time to library_seconds, keeps its error, and takes the
  // lines it logged.
  template <typename F>
  auto Call(F&& f) {
    const double before = library_seconds;
    if constexpr (std::is_void_v<decltype(f())>) {
      Timed(library_seconds, f);
      err = slurm_compat::LastError();
      last_call_seconds = library_seconds - before;
      TakeLines();
    } else {
      auto r = Timed(library_seconds, f);
      err = slurm_compat::LastError();
      last_call_seconds = library_seconds - before;
      TakeLines();
      return r;
    }
  }
  void TakeLines() {
    std::vector<std::string> taken = libslurm_log.Take();
    if (taken.empty()) return;
    const double now =
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    RelogLibslurmLines(taken, relog, now);
    lines.insert(lines.end(), std::make_move_iterator(taken.begin()),
                 std::make_move_iterator(taken.end()));
  }

  void CloseDbd() {
    if (db_conn) Call([&] { slurmdb_connection_close(&db_conn); });
    db_conn = nullptr;
  }

  // A failed call of the current operation as an error value. A protocol mismatch (the error
  // code, or what libslurm logged) gets kProtocolMismatchCode and a message that says what to
  // do.
  Status Failure(std::string op, int code, std::string_view daemon) const {
    const slurm_protocol::Evidence ev = slurm_protocol::ScanLog(lines);
    if (!ev.local_credential.empty()) {
      return Status::Error(
          std::move(op),
          fmt::format("{}: our munged gave no credential, so the request never "
                      "reached {}: {}; check that munged runs and that this "
                      "process can reach AuthInfo's socket",
                      SlurmErrorCode("", code).message(), daemon, ev.local_credential),
          code);
    }
    if (code == SLURM_PROTOCOL_VERSION_ERROR || ev.mismatch) {
      return Status::Error(
          std::move(op),
          MismatchMessage(daemon, ev.peer_protocol, "does not accept this build's protocol"),
          kProtocolMismatchCode);
    }
    return SlurmErrorCode(std::move(op), code);
  }

  // Whether slurmdbd authenticates our requests through the same munged as slurmctld does:
  // AccountingStoragePass names the munge socket of the slurmdbd connection, AuthInfo that of
  // every other.
  static bool DbdSharesMunge() {
    const char* type = slurm_conf.accounting_storage_type;
    return type != nullptr && std::strstr(type, "slurmdbd") != nullptr &&
           SocketOf(slurm_conf.accounting_storage_pass) == SocketOf(slurm_conf.authinfo);
  }
};

LibSlurmClient::LibSlurmClient(std::string conf_path)
    : conf_path_(std::move(conf_path)), state_(std::make_unique<State>()) {}

LibSlurmClient::~LibSlurmClient() {
  state_->CloseDbd();
  state_.reset();
  slurm_fini();
}

Result<std::unique_ptr<LibSlurmClient>> LibSlurmClient::Create(const std::string& conf_path) {
  std::string path = conf_path;
  std::string from = "--slurm.conf";
  if (path.empty()) {
    const char* env = std::getenv("SLURM_CONF");
    if (env && *env) {
      path = env;
      from = "SLURM_CONF";
    } else {
      path = SLURM_CONF_DEFAULT_PATH;
      from = "default path";
    }
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return Status::Error("slurm.conf",
                         fmt::format("cannot read {} (from {}): {}; set --slurm.conf or SLURM_CONF",
                                     path, from, std::strerror(errno)));
  }
  if (!S_ISREG(st.st_mode) || ::access(path.c_str(), R_OK) != 0) {
    return Status::Error("slurm.conf",
                         fmt::format("{} (from {}) is not a readable file", path, from));
  }
  ::setenv("SLURM_CONF", path.c_str(), 1);

  // slurm_init() ends the process on a bad configuration: try it in a child first.
  pid_t pid = ::fork();
  if (pid < 0) return Status::Error("fork", std::strerror(errno), errno);
  if (pid == 0) {
    slurm_init(path.c_str());
    ::_exit(0);
  }
  int wstatus = 0;
  while (::waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
    return Status::Error(
        "slurm_init",
        fmt::format("libslurm could not load its configuration from {} (child {} with status {}); "
                    "see the messages above",
                    path, WIFEXITED(wstatus) ? "exited" : "was killed",
                    WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : WTERMSIG(wstatus)));
  }
  slurm_init(path.c_str());
  std::unique_ptr<LibSlurmClient> client(new LibSlurmClient(path));
  if (Status s = client->state_->libslurm_log.Start("slurm_exporter"); !s.ok()) {
    log::Warn("libslurm's messages stay on stderr", {{"err", s.ToString()}});
  }
  return client;
}

double LibSlurmClient::TakeLibrarySeconds() {
  double s = state_->library_seconds;
  state_->library_seconds = 0;
  return s;
}

std::string LibSlurmClient::BuildSlurmVersion() { return OurVersion(); }

Result<ControllerPing> LibSlurmClient::Ping() {
  State& st = *state_;
  ControllerPing p;
  const uint32_t n = slurm_conf.control_cnt > 0 ? slurm_conf.control_cnt : 1;
  for (uint32_t i = 0; i < n; ++i) {
    ControllerHost h;
    h.host = (slurm_conf.control_machine && slurm_conf.control_machine[i])
                 ? slurm_conf.control_machine[i]
                 : "unknown";
    h.role = i == 0 ? "primary" : fmt::format("backup{}", i);
    st.lines.clear();
    auto t0 = std::chrono::steady_clock::now();
    int rc = st.Call([&] { return slurm_ping(static_cast<int>(i)); });
    h.latency_seconds = SecondsSince(t0);
    if (rc == SLURM_SUCCESS) {
      h.up = true;
      p.reachable = true;
    } else {
      h.error_code = rc == SLURM_ERROR ? st.err : rc;
      Status why = CtldFailure("slurm_ping", h.error_code, h.latency_seconds);
      if (why.code() != kProtocolMismatchCode && IsAuthRejection(h.error_code, h.latency_seconds)) {
        p.auth_rejected = true;
      }
      if (why.code() == kProtocolMismatchCode) {
        p.protocol_mismatch = true;
        h.error_code = kProtocolMismatchCode;
      }
      if (p.error.empty()) {
        p.error = fmt::format("{}: {}", h.host, why.message());
        p.error_code = why.code();
      }
    }
    if (i == 0) p.latency_seconds = h.latency_seconds;
    p.hosts.push_back(std::move(h));
  }
  if (p.reachable) {
    slurm_conf_t* conf = nullptr;
    if (st.Call([&] { return slurm_load_ctl_conf(st.conf_update, &conf); }) == SLURM_SUCCESS) {
      std::unique_ptr<slurm_conf_t, CtlConfFree> owned(conf);
      st.conf_update = conf->last_update;
      st.cluster_name = Str(conf->cluster_name);
      st.version = Str(conf->version);
      st.boot_time = static_cast<int64_t>(conf->boot_time);
      st.priority_type = Str(conf->priority_type);
    }
  }
  p.cluster_name = st.cluster_name;
  p.version = st.version;
  p.boot_time = st.boot_time;
  return p;
}

Status LibSlurmClient::CtldFailure(std::string op, int code, double seconds) {
  Status why = state_->Failure(std::move(op), code, "slurmctld");
  if (why.code() == kProtocolMismatchCode || !IsAuthRejection(code, seconds)) return why;
  // Our own munged gave no credential: slurmctld never saw the request.
  if (!slurm_protocol::ScanLog(state_->lines).local_credential.empty()) return why;
  // slurmctld refused us without saying why (IsAuthRejection). When slurmdbd authenticates our
  // requests through the same munged and accepts them, the munge key is not the reason:
  // slurmctld does not accept this build's protocol (a build newer than slurmctld, say).
  return CredentialOrProtocol(std::move(why));
}

Status LibSlurmClient::CredentialOrProtocol(Status rejection) {
  State& st = *state_;
  State::Peer dbd = State::Peer::kUnknown;  // slurmdbd's answer tells only through one munged
  if (State::DbdSharesMunge()) {
    if (st.dbd_peer == State::Peer::kUnknown) {
      std::vector<std::string> kept = std::move(st.lines);
      LoadDbdStats();  // learns st.dbd_peer
      st.lines = std::move(kept);
    }
    dbd = st.dbd_peer;
  }
  switch (dbd) {
    case State::Peer::kAccepts:
      return Status::Error(
          rejection.op(),
          MismatchMessage("slurmctld", 0,
                          "rejects our requests while slurmdbd, through the same munged, accepts "
                          "them: most likely a release that does not accept this build's "
                          "protocol"),
          kProtocolMismatchCode);
    case State::Peer::kMismatch:
      return Status::Error(rejection.op(),
                           MismatchMessage("slurmctld", 0,
                                           "rejects our requests, as slurmdbd rejects this "
                                           "build's protocol"),
                           kProtocolMismatchCode);
    default:
      // Nothing tells the two apart (slurmctld up to 23.11 closes the connection on either,
      // and slurmdbd 22.05 answers both as a credential failure): say both.
      return Status::Error(
          rejection.op(),
          fmt::format(
              "{}: slurmctld closed the connection without an answer: it rejected our "
              "munge credential (a key that differs from the cluster's), or its Slurm "
              "release does not accept this build's protocol (libslurm {}, accepted by "
              "slurmctld {})",
              rejection.message(), OurVersion(),
              slurm_protocol::AcceptingServers(slurm_protocol::ProtocolOfRelease(OurSeries()))),
          rejection.code());
  }
}

Status LibSlurmClient::UpdateNode(const std::string& node, NodeUpdate what,
                                  const std::string& reason) {
  update_node_msg_t msg;
  slurm_init_update_node_msg(&msg);
  std::string names = node;
  std::string why = reason;
  msg.node_names = names.data();
  if (what == NodeUpdate::kDrain) {
    msg.node_state = NODE_STATE_DRAIN;
    msg.reason = why.data();
    slurm_compat::SetReasonUid(msg, static_cast<uint32_t>(getuid()));
  } else {
    msg.node_state = NODE_RESUME;
  }
  State& st = *state_;
  st.lines.clear();
  if (st.Call([&] { return slurm_update_node(&msg); }) != SLURM_SUCCESS) {
    return CtldFailure(what == NodeUpdate::kDrain ? "slurm_update_node(drain " + node + ")"
                                                  : "slurm_update_node(resume " + node + ")",
                       st.err, st.last_call_seconds);
  }
  return Status::Ok();
}

std::string LibSlurmClient::MungeSocket() const {
  return slurm_conf.authinfo ? ParseAuthInfoSocket(slurm_conf.authinfo) : std::string();
}

Result<std::shared_ptr<const SchedulerStats>> LibSlurmClient::LoadSchedulerStats() {
  stats_info_request_msg_t req{};
  req.command_id = STAT_COMMAND_GET;
  stats_info_response_msg_t* raw = nullptr;
  State& st = *state_;
  st.lines.clear();
  if (st.Call([&] { return slurm_get_statistics(&raw, &req); }) != SLURM_SUCCESS ||
      raw == nullptr) {
    return CtldFailure("slurm_get_statistics", st.err, st.last_call_seconds);
  }
  std::unique_ptr<stats_info_response_msg_t, StatsFree> r(raw);
  auto out =
      std::make_shared<const SchedulerStats>(slurm_convert::ConvertSchedulerStats(*r, st.names));
  return std::shared_ptr<const SchedulerStats>(std::move(out));
}

Status LibSlurmClient::DbdFailed(Status status) {
  State& st = *state_;
  st.CloseDbd();  // re-open on the next poll
  if (status.code() == kProtocolMismatchCode) {
    st.dbd_peer = State::Peer::kMismatch;
  } else if (IsAuthRejection(status.code(), 0)) {
    st.dbd_peer = State::Peer::kRejectsCredential;
  } else {
    st.dbd_peer = State::Peer::kUnknown;
  }
  return status;
}

Status LibSlurmClient::OpenDbd() {
  State& st = *state_;
  if (st.db_conn == nullptr) {
    uint16_t flags = 0;
    st.db_conn = st.Call([&] { return slurmdb_connection_get(&flags); });
    if (st.db_conn == nullptr) {
      if (st.err == 0 && st.lines.empty()) {
        return DbdFailed(Status::Error("slurmdb_connection_get",
                                       "no slurmdbd connection (is AccountingStorageType "
                                       "accounting_storage/slurmdbd?)"));
      }
      return DbdFailed(st.Failure("slurmdb_connection_get", st.err, "slurmdbd"));
    }
  }
#if !SLURM_AT_LEAST(24, 5, 0)
  // Slurm before 24.05 writes a message's length and its body in two writes. On a kept
  // connection Nagle's algorithm then holds each request's body until slurmdbd's delayed ACK
  // (about 44 ms on Linux; its reply waits as long for ours, on slurmdbd's socket): 88 ms per
  // RPC with 22.05 and 23.11 against 0.4 ms with 26.05 (test/bench/dbd_round_trip.cc).
  // libslurm does not hand out the socket, so set TCP_NODELAY on ours to slurmdbd's port,
  // which halves that. Before each use, not once: libslurm reopens the connection by itself
  // (after slurmdbd restarts, say). 24.05 sends both parts in one writev.
  if (const int set = SetNoDelayOnSocketsTo(slurm_conf.accounting_storage_port); set > 0) {
    log::Debug("TCP_NODELAY set on the slurmdbd connection", {{"sockets", std::to_string(set)}});
  }
#endif
  return Status::Ok();
}

Result<std::shared_ptr<const DbdStats>> LibSlurmClient::LoadDbdStats() {
  State& st = *state_;
  st.lines.clear();
  auto failed = [&](Status status) { return DbdFailed(std::move(status)); };
  if (Status s = OpenDbd(); !s.ok()) return s;
  auto out = std::make_shared<DbdStats>();
  slurmdb_stats_rec_t* raw = nullptr;
  auto t0 = std::chrono::steady_clock::now();
  int rc = st.Call([&] { return slurmdb_get_stats(st.db_conn, &raw); });
  out->latency_seconds = SecondsSince(t0);
  std::unique_ptr<slurmdb_stats_rec_t, DbdStatsFree> rec(raw);
  if (rc != SLURM_SUCCESS) {
    int err = rc == SLURM_ERROR ? st.err : rc;
    if (err == ESLURM_ACCESS_DENIED || err == ESLURM_USER_ID_MISSING) {
      // slurmdbd answered: it is up, but these statistics need AdminLevel=Admin.
      st.dbd_peer = State::Peer::kAccepts;
      out->stats_error = slurm_strerror(err);
      return std::shared_ptr<const DbdStats>(std::move(out));
    }
    return failed(st.Failure("slurmdb_get_stats", err, "slurmdbd"));
  }
  if (!rec) return failed(Status::Error("slurmdb_get_stats", "no statistics returned"));
  st.dbd_peer = State::Peer::kAccepts;
  out->stats_available = true;
  out->time_start = static_cast<int64_t>(rec->time_start);
  auto read_rpcs = [](struct xlist* list, auto name_of, std::vector<RpcStat>& dst) {
    if (list == nullptr) return;
    struct listIterator* it = slurm_list_iterator_create(list);
    while (auto* obj = static_cast<slurmdb_rpc_obj_t*>(slurm_list_next(it))) {
      dst.push_back({name_of(obj->id), obj->cnt, obj->time});
    }
    slurm_list_iterator_destroy(it);
  };
  read_rpcs(
      rec->rpc_list,
      [](uint32_t id) { return slurm_convert::DbdRpcName(static_cast<uint16_t>(id)); },
      out->rpc_by_type);
  read_rpcs(
      rec->user_list, [&](uint32_t id) { return std::string(st.names.User(id)); },
      out->rpc_by_user);
  if (const slurmdb_rollup_stats_t* r = rec->dbd_rollup_stats) {
    static constexpr const char* kPeriods[] = {"hour", "day", "month"};
    for (int i = 0; i < DBD_ROLLUP_COUNT && i < 3; ++i) {
      DbdRollup roll;
      roll.period = kPeriods[i];
      roll.count = r->count[i];
      roll.last_timestamp = static_cast<int64_t>(r->timestamp[i]);
      roll.last_seconds = static_cast<double>(r->time_last[i]) / 1e6;
      roll.max_seconds = static_cast<double>(r->time_max[i]) / 1e6;
      roll.total_seconds = static_cast<double>(r->time_total[i]) / 1e6;
      out->rollups.push_back(roll);
    }
  }
  return std::shared_ptr<const DbdStats>(std::move(out));
}

Result<std::shared_ptr<const LicensesAndReservations>> LibSlurmClient::LoadResources() {
  State& st = *state_;
  st.lines.clear();
  bool changed = false;
  license_info_msg_t* lic = nullptr;
  if (st.Call([&] {
        return slurm_load_licenses(st.resources ? st.lic_update : 0, &lic, SHOW_ALL);
      }) == SLURM_SUCCESS) {
    std::unique_ptr<license_info_msg_t, LicFree> owned(lic);
    st.lic_update = lic->last_update;
    st.licenses.clear();
    for (uint32_t i = 0; i < lic->num_lic; ++i) {
      st.licenses.push_back(slurm_convert::ConvertLicense(lic->lic_array[i]));
    }
    changed = true;
  } else if (st.err != SLURM_NO_CHANGE_IN_DATA || !st.resources) {
    return CtldFailure("slurm_load_licenses", st.err, st.last_call_seconds);
  }
  reserve_info_msg_t* resv = nullptr;
  if (st.Call([&] { return slurm_load_reservations(st.resources ? st.resv_update : 0, &resv); }) ==
      SLURM_SUCCESS) {
    std::unique_ptr<reserve_info_msg_t, ResvFree> owned(resv);
    st.resv_update = resv->last_update;
    st.reservations.clear();
    for (uint32_t i = 0; i < resv->record_count; ++i) {
      st.reservations.push_back(slurm_convert::ConvertReservation(resv->reservation_array[i]));
    }
    changed = true;
  } else if (st.err != SLURM_NO_CHANGE_IN_DATA || !st.resources) {
    return CtldFailure("slurm_load_reservations", st.err, st.last_call_seconds);
  }
  if (changed || !st.resources) {
    auto out = std::make_shared<LicensesAndReservations>();
    out->licenses = st.licenses;
    out->reservations = st.reservations;
    st.resources = std::move(out);
  }
  return st.resources;
}

Result<std::shared_ptr<const Fairshare>> LibSlurmClient::LoadFairshare() {
  State& st = *state_;
  st.lines.clear();
  if (st.priority_type.empty()) {
    return Status::Error("slurm_load_ctl_conf", "PriorityType unknown: no configuration read yet");
  }
  auto out = std::make_shared<Fairshare>();
  out->priority_type = st.priority_type;  // from the configuration the ping read
  out->multifactor = st.priority_type == "priority/multifactor";
  if (!out->multifactor) return std::shared_ptr<const Fairshare>(std::move(out));
  assoc_mgr_info_request_msg_t req{};
  req.flags = ASSOC_MGR_INFO_FLAG_ASSOC;  // every association, no users or QOS
  assoc_mgr_info_msg_t* raw = nullptr;
  if (st.Call([&] { return slurm_load_assoc_mgr_info(&req, &raw); }) != SLURM_SUCCESS) {
    return CtldFailure("slurm_load_assoc_mgr_info", st.err, st.last_call_seconds);
  }
  std::unique_ptr<assoc_mgr_info_msg_t, AssocMgrFree> msg(raw);
  for (uint32_t i = 0; i < msg->tres_cnt; ++i) {
    out->tres_names.push_back(Str(msg->tres_names ? msg->tres_names[i] : nullptr));
  }
  if (msg->assoc_list) {
    struct listIterator* it = slurm_list_iterator_create(msg->assoc_list);
    while (auto* a = static_cast<slurmdb_assoc_rec_t*>(slurm_list_next(it))) {
      if (a->usage) {
        out->associations.push_back(slurm_convert::ConvertAssociation(*a, msg->tres_cnt));
      }
    }
    slurm_list_iterator_destroy(it);
  }
  st.Call([&] { msg.reset(); });
  return std::shared_ptr<const Fairshare>(std::move(out));
}

Result<std::shared_ptr<const NodeLoads>> LibSlurmClient::LoadNodeLoads() {
  if (!state_->loads) return Status::Error("slurm_load_node", "no node table read yet");
  return state_->loads;
}

namespace {

struct SlurmListFree {
  void operator()(struct xlist* l) const { slurm_list_destroy(l); }
};
using SlurmList = std::unique_ptr<struct xlist, SlurmListFree>;

// A list of strings for a slurmdb condition (the strings are freed with the list).
SlurmList StringList(const std::vector<std::string>& items) {
  SlurmList l(slurm_list_create(free));
  for (const auto& s : items) slurm_list_append(l.get(), strdup(s.c_str()));
  return l;
}

// The states a job can end in, as slurmdbd's state condition takes them (numbers as text).
std::vector<std::string> EndStates() {
  std::vector<std::string> out;
  for (uint32_t s : {JOB_COMPLETE, JOB_CANCELLED, JOB_FAILED, JOB_TIMEOUT, JOB_NODE_FAIL,
                     JOB_PREEMPTED, JOB_BOOT_FAIL, JOB_DEADLINE, JOB_OOM}) {
    out.push_back(std::to_string(s));
  }
  return out;
}

}  // namespace

uint32_t LibSlurmClient::GpuTresId() {
  State& st = *state_;
  if (st.gpu_tres_id) return *st.gpu_tres_id;
  slurmdb_tres_cond_t cond{};
  SlurmList tres(st.Call([&] { return slurmdb_tres_get(st.db_conn, &cond); }));
  if (!tres) return 0;  // asked again on the next load
  uint32_t id = 0;
  struct listIterator* it = slurm_list_iterator_create(tres.get());
  while (auto* t = static_cast<slurmdb_tres_rec_t*>(slurm_list_next(it))) {
    if (t->type && t->name && std::string_view(t->type) == "gres" &&
        std::string_view(t->name) == "gpu") {
      id = t->id;
    }
  }
  slurm_list_iterator_destroy(it);
  st.gpu_tres_id = id;
  return id;
}

Result<std::shared_ptr<const FinishedJobs>> LibSlurmClient::LoadFinishedJobs(int64_t from,
                                                                             int64_t to) {
  State& st = *state_;
  st.lines.clear();
  if (Status s = OpenDbd(); !s.ok()) return s;
  const uint32_t gpu_id = GpuTresId();
  // As `sacct -S from -E to -s <end states>` (with steps, not -X): the jobs that ended in
  // [from, to], their times untruncated (sacct's default without -T).
  SlurmList clusters = StringList({Str(slurm_conf.cluster_name)});
  SlurmList states = StringList(EndStates());
  slurmdb_job_cond_t cond{};
  cond.cluster_list = clusters.get();
  cond.state_list = states.get();
  cond.usage_start = static_cast<time_t>(from);
  cond.usage_end = static_cast<time_t>(to);
  cond.flags = JOBCOND_FLAG_NO_TRUNC;
  cond.db_flags = SLURMDB_JOB_FLAG_NOTSET;  // as sacct: 0 would keep only jobs without flags
  // slurmdbd answers a connection's queries inside one database transaction until it is
  // committed or rolled back: on a connection kept open, jobs recorded after its first query
  // stay invisible. Ending the (read-only) transaction first makes the read see them.
  if (st.Call([&] { return slurmdb_connection_commit(st.db_conn, false); }) != SLURM_SUCCESS) {
    return DbdFailed(st.Failure("slurmdb_connection_commit", st.err, "slurmdbd"));
  }
  SlurmList jobs(st.Call([&] { return slurmdb_jobs_get(st.db_conn, &cond); }));
  if (!jobs) return DbdFailed(st.Failure("slurmdb_jobs_get", st.err, "slurmdbd"));
  auto out = std::make_shared<FinishedJobs>();
  out->from = from;
  out->to = to;
  out->jobs.reserve(static_cast<size_t>(slurm_list_count(jobs.get())));
  struct listIterator* it = slurm_list_iterator_create(jobs.get());
  while (auto* j = static_cast<slurmdb_job_rec_t*>(slurm_list_next(it))) {
    out->jobs.push_back(slurm_convert::ConvertFinishedJob(*j, gpu_id, st.names));
  }
  slurm_list_iterator_destroy(it);
  st.Call([&] { jobs.reset(); });
  log::Debug("finished jobs read", {{"from", std::to_string(from)},
                                    {"to", std::to_string(to)},
                                    {"jobs", std::to_string(out->jobs.size())}});
  return std::shared_ptr<const FinishedJobs>(std::move(out));
}

Result<std::shared_ptr<const Jobs>> LibSlurmClient::LoadJobs() {
  State& st = *state_;
  st.lines.clear();
  job_info_msg_t* raw = nullptr;
  if (st.Call([&] { return slurm_load_jobs(st.jobs ? st.jobs_update : 0, &raw, SHOW_ALL); }) !=
      SLURM_SUCCESS) {
    if (st.err == SLURM_NO_CHANGE_IN_DATA && st.jobs) return st.jobs;
    return CtldFailure("slurm_load_jobs", st.err, st.last_call_seconds);
  }
  JobMsg msg(raw);
  auto out = std::make_shared<Jobs>();
  out->jobs.reserve(msg->record_count);
  for (uint32_t i = 0; i < msg->record_count; ++i) {
    out->jobs.push_back(slurm_convert::ConvertJob(msg->job_array[i], st.names));
  }
  st.jobs_update = msg->last_update;
  // Free libslurm's reply before publishing ours; freeing it is library time (a bare client
  // pays it as well).
  st.Call([&] { msg.reset(); });
  st.jobs = std::move(out);
  return st.jobs;
}

Result<std::shared_ptr<const ClusterNodes>> LibSlurmClient::LoadNodes() {
  State& st = *state_;
  st.lines.clear();
  bool changed = false;

  partition_info_msg_t* parts = nullptr;
  time_t parts_since = st.parts ? st.parts->last_update : 0;
  if (st.Call([&] { return slurm_load_partitions(parts_since, &parts, SHOW_ALL); }) ==
      SLURM_SUCCESS) {
    st.Call([&] { st.parts.reset(parts); });  // frees the previous reply
    changed = true;
  } else if (st.err != SLURM_NO_CHANGE_IN_DATA || !st.parts) {
    return CtldFailure("slurm_load_partitions", st.err, st.last_call_seconds);
  }

  node_info_msg_t* nodes = nullptr;
  time_t nodes_since = st.nodes ? st.nodes->last_update : 0;
  // SHOW_DETAIL: gres_used (allocated GPUs) is only sent with it.
  if (st.Call([&] {
        return slurm_load_node(nodes_since, &nodes,
                               SHOW_ALL | SHOW_MIXED | SHOW_FUTURE | SHOW_DETAIL);
      }) == SLURM_SUCCESS) {
    st.Call([&] { st.nodes.reset(nodes); });  // frees the previous reply
    changed = true;
  } else if (st.err != SLURM_NO_CHANGE_IN_DATA || !st.nodes) {
    return CtldFailure("slurm_load_node", st.err, st.last_call_seconds);
  }

  if (!changed && st.converted) return st.converted;

  // Hidden records (no name) keep slurmctld's node indices aligned; skip them but map indices.
  std::vector<int64_t> index_map(st.nodes->record_count, -1);
  std::vector<node_info_t*> named;
  named.reserve(st.nodes->record_count);
  for (uint32_t i = 0; i < st.nodes->record_count; ++i) {
    node_info_t& n = st.nodes->node_array[i];
    if (n.name == nullptr) continue;
    index_map[i] = static_cast<int64_t>(named.size());
    named.push_back(&n);
  }
  auto loads = std::make_shared<NodeLoads>(slurm_convert::ConvertNodeLoads(named));
  if (!st.loads || !(*loads == *st.loads)) st.loads = std::move(loads);
  // slurmctld resends the whole node table whenever any record changes, mostly in fields no
  // collector exposes (and load and free memory, kept apart). First compare the records with the
  // nodes we have, through one reused Node, without building a table; equal data keep the previous
  // object (and so the collectors' text built from it).
  bool same_nodes = st.converted != nullptr && st.converted->nodes.size() == named.size();
  if (same_nodes) {
    Node scratch;
    for (size_t k = 0; k < named.size() && same_nodes; ++k) {
      slurm_convert::ConvertNodeInto(*named[k], scratch);
      same_nodes = scratch == st.converted->nodes[k];
    }
  }
  std::vector<Node> converted;
  if (!same_nodes) {
    converted.resize(named.size());
    for (size_t k = 0; k < named.size(); ++k) {
      slurm_convert::ConvertNodeInto(*named[k], converted[k]);
    }
  }
  std::vector<Partition> partitions;
  partitions.reserve(st.parts->record_count);
  for (uint32_t i = 0; i < st.parts->record_count; ++i) {
    partitions.push_back(slurm_convert::ConvertPartition(st.parts->partition_array[i], index_map));
  }
  if (same_nodes && partitions == st.converted->partitions) return st.converted;
  auto out = std::make_shared<ClusterNodes>();
  out->nodes = same_nodes ? st.converted->nodes : std::move(converted);
  out->partitions = std::move(partitions);
  st.converted = std::move(out);
  return st.converted;
}

}  // namespace slurm_exporter
