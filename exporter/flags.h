// Command-line flags of slurm_exporter, in the style of Prometheus exporters:
//   --web.listen-address=:9341 --web.telemetry-path=/metrics --slurm.conf=PATH
//   --slurm.poll-interval=15s --slurm.poll-timeout=60s --log.level=info
//   --collector.NAME / --no-collector.NAME / --collector.disable-defaults
// Both "--flag=value" and "--flag value" are accepted. Parsing is pure (no side effects).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/log.h"
#include "common/status.h"
#include "common/tls.h"

namespace slurm_exporter {

struct CollectorChoice {
  std::string name;
  std::string description;
  bool enabled_by_default = true;
};

struct ExporterConfig {
  std::string listen_address = ":9341";
  std::string telemetry_path = "/metrics";
  int max_requests = 8;         // HTTP worker threads: requests served at once
  std::string basic_auth_file;  // "user: bcrypt-hash" lines
  std::string auth_token_file;  // bearer token
  TlsOptions tls;               // HTTPS when tls.cert_file is set
  std::string slurm_conf;
  std::string accounting_db_my_cnf;  // enables the accounting_db collector
  double poll_interval_seconds = 15;
  double poll_timeout_seconds = 60;
  double fairshare_interval_seconds = 300;     // loads of the association manager
  double job_efficiency_interval_seconds = 0;  // reads of finished jobs; 0: every poll
  double node_load_interval_seconds = 60;      // refreshes of per-node load and free memory
  log::Level log_level = log::Level::kInfo;
  std::vector<std::string> enabled_collectors;  // resolved, in the order given by the choices
  bool help = false;
  bool version = false;
};

// Parses argv[1..]; returns an error naming the offending flag on unknown flags, unknown
// collectors, missing or malformed values.
Result<ExporterConfig> ParseFlags(const std::vector<std::string>& args,
                                  const std::vector<CollectorChoice>& collectors);
std::string Usage(const std::vector<CollectorChoice>& collectors);

}  // namespace slurm_exporter
