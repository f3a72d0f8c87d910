// slurm_exporter: wiring only. Flags -> libslurm adapter -> poller -> HTTP server; waits for
// SIGINT/SIGTERM and shuts down in reverse order.
#include <cstdio>
#include <string>
#include <vector>

#include "collectors/all_collectors.h"
#include "collectors/probes.h"
#include "collectors/slurm/libslurm_client.h"
#include "common/auth.h"
#include "common/http_server.h"
#include "common/log.h"
#include "common/signals.h"
#include "exporter/flags.h"
#include "exporter/handlers.h"
#include "exporter/poller.h"

using namespace slurm_exporter;

int main(int argc, char** argv) {
  auto all = AllCollectors();
  std::vector<CollectorChoice> choices;
  for (const auto& c : all) {
    choices.push_back(
        {std::string(c->Name()), std::string(c->Description()), c->EnabledByDefault()});
  }
  auto parsed = ParseFlags(std::vector<std::string>(argv + 1, argv + argc), choices);
  if (!parsed.ok()) {
    std::fprintf(stderr, "slurm_exporter: %s\n\n%s", parsed.status().message().c_str(),
                 Usage(choices).c_str());
    return 2;
  }
  const ExporterConfig& cfg = parsed.value();
  if (cfg.help) {
    std::fputs(Usage(choices).c_str(), stdout);
    return 0;
  }
  if (cfg.version) {
    std::printf("slurm_exporter %s (Slurm %s)\n", SLURM_EXPORTER_VERSION,
                LibSlurmClient::BuildSlurmVersion().c_str());
    return 0;
  }
  log::SetLevel(cfg.log_level);
  // Web settings first: they are the quickest to check and need no Slurm.
  auto auth = Auth::Load(cfg.auth_token_file, cfg.basic_auth_file);
  if (!auth.ok()) {
    log::Error("cannot start", {{"err", auth.status().ToString()}});
    return 1;
  }
  if (cfg.tls.enabled()) {
    if (Status s = CheckTls(cfg.tls); !s.ok()) {
      log::Error("cannot start", {{"err", s.ToString()}});
      return 1;
    }
  }

  const sigset_t sigs = slurm_exporter::BlockTerminationSignals();  // before any thread

  auto client = LibSlurmClient::Create(cfg.slurm_conf);
  if (!client.ok()) {
    log::Error("cannot start", {{"err", client.status().ToString()}});
    return 1;
  }
  std::vector<const Collector*> enabled;
  std::string names;
  for (const auto& c : all) {
    for (const auto& n : cfg.enabled_collectors) {
      if (c->Name() == n) {
        enabled.push_back(c.get());
        names += (names.empty() ? "" : ",") + n;
      }
    }
  }
  Probes probes;
  std::unique_ptr<MungeProbe> munge = NewLibMungeProbe(client.value()->MungeSocket());
  probes.munge = munge.get();
  std::unique_ptr<DatabaseProbe> database;
  if (!cfg.accounting_db_my_cnf.empty()) {
    auto db = NewMysqlProbe(cfg.accounting_db_my_cnf);
    if (!db.ok()) {
      log::Error("cannot start", {{"err", db.status().ToString()}});
      return 1;
    }
    database = std::move(db).value();
    probes.database = database.get();
  }
  PollerOptions popts;
  popts.interval_seconds = cfg.poll_interval_seconds;
  popts.timeout_seconds = cfg.poll_timeout_seconds;
  popts.intervals.fairshare_seconds = cfg.fairshare_interval_seconds;
  popts.intervals.node_load_seconds = cfg.node_load_interval_seconds;
  popts.intervals.job_efficiency_seconds = cfg.job_efficiency_interval_seconds;
  popts.version = SLURM_EXPORTER_VERSION;
  Poller poller(*client.value(), enabled, popts, nullptr, probes);

  HttpServer::Options web;
  web.listen_address = cfg.listen_address;
  web.max_requests = cfg.max_requests;
  web.tls = cfg.tls;
  HttpServer server(web);
  RegisterExporterHandlers(server, poller, cfg.telemetry_path, SLURM_EXPORTER_VERSION,
                           auth.value());
  if (Status s = server.Start(); !s.ok()) {
    log::Error("cannot start", {{"err", s.ToString()}});
    return 1;
  }
  poller.Start();
  log::Info("slurm_exporter started", {{"version", SLURM_EXPORTER_VERSION},
                                       {"slurm", LibSlurmClient::BuildSlurmVersion()},
                                       {"listen", cfg.listen_address},
                                       {"tls", cfg.tls.enabled() ? "on" : "off"},
                                       {"slurm_conf", client.value()->conf_path()},
                                       {"collectors", names}});

  const int sig = slurm_exporter::WaitForTermination(sigs);
  log::Info("shutting down", {{"signal", std::to_string(sig)}});
  server.Stop();
  poller.Stop();
  return 0;
}
