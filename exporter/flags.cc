#include "exporter/flags.h"

#include <fmt/format.h>

#include <charconv>
#include <optional>

#include "common/duration.h"
#include "common/http_server.h"

namespace slurm_exporter {
namespace {

Status Bad(std::string_view flag, std::string_view why) {
  return Status::Error("flags", fmt::format("{}: {}", flag, why));
}

}  // namespace

Result<ExporterConfig> ParseFlags(const std::vector<std::string>& args,
                                  const std::vector<CollectorChoice>& collectors) {
  ExporterConfig cfg;
  bool disable_defaults = false;
  std::map<std::string, bool> overrides;
  auto known_collector = [&](std::string_view name) {
    for (const auto& c : collectors) {
      if (c.name == name) return true;
    }
    return false;
  };

  for (size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i];
    if (arg == "-h" || arg == "--help") {
      cfg.help = true;
      continue;
    }
    if (arg == "--version") {
      cfg.version = true;
      continue;
    }
    if (arg.rfind("--", 0) != 0) return Bad(arg, "unexpected argument");
    std::string name = arg.substr(2);
    std::optional<std::string> value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    // Boolean collector switches.
    if (name == "collector.disable-defaults") {
      if (value) return Bad(arg, "takes no value");
      disable_defaults = true;
      continue;
    }
    if (name.rfind("collector.", 0) == 0 || name.rfind("no-collector.", 0) == 0) {
      bool on = name[0] == 'c';
      std::string cname = name.substr(on ? 10 : 13);
      if (!known_collector(cname)) {
        std::string names;
        for (const auto& c : collectors) names += (names.empty() ? "" : ", ") + c.name;
        return Bad(arg, fmt::format("unknown collector '{}' (known: {})", cname, names));
      }
      if (value) return Bad(arg, "takes no value");
      overrides[cname] = on;
      continue;
    }
    auto take_value = [&]() -> std::optional<std::string> {
      if (value) return value;
      if (i + 1 < args.size()) return args[++i];
      return std::nullopt;
    };
    auto duration_flag = [&](double* out) -> Status {
      auto v = take_value();
      if (!v) return Bad(arg, "needs a value");
      double secs = 0;
      if (!ParseDuration(*v, &secs) || secs <= 0) {
        return Bad(arg, fmt::format("'{}' is not a positive duration (e.g. 500ms, 15s, 1m)", *v));
      }
      *out = secs;
      return Status::Ok();
    };
    if (name == "web.listen-address") {
      auto v = take_value();
      if (!v || v->empty()) return Bad(arg, "needs a value such as :9341 or 127.0.0.1:9341");
      if (v->find(':') == std::string::npos) return Bad(arg, "must be [HOST]:PORT");
      if (Status st = CheckListenAddress(*v); !st.ok()) return Bad(arg, st.message());
      cfg.listen_address = *v;
    } else if (name == "web.telemetry-path") {
      auto v = take_value();
      if (!v || v->empty() || (*v)[0] != '/') return Bad(arg, "needs a path starting with /");
      if (*v == "/" || v->rfind("/-/", 0) == 0) return Bad(arg, "path is reserved");
      cfg.telemetry_path = *v;
    } else if (name == "web.max-requests") {
      auto v = take_value();
      int n = 0;
      if (!v || std::from_chars(v->data(), v->data() + v->size(), n).ptr != v->data() + v->size() ||
          n < 1 || n > 1024) {
        return Bad(arg, "needs a number from 1 to 1024");
      }
      cfg.max_requests = n;
    } else if (name == "web.basic-auth-file" || name == "web.auth-token-file") {
      auto v = take_value();
      if (!v || v->empty()) return Bad(arg, "needs a path");
      (name == "web.basic-auth-file" ? cfg.basic_auth_file : cfg.auth_token_file) = *v;
    } else if (name == "web.tls-cert-file" || name == "web.tls-key-file" ||
               name == "web.tls-client-ca-file") {
      auto v = take_value();
      if (!v || v->empty()) return Bad(arg, "needs a path to a PEM file");
      (name == "web.tls-cert-file"  ? cfg.tls.cert_file
       : name == "web.tls-key-file" ? cfg.tls.key_file
                                    : cfg.tls.client_ca_file) = *v;
    } else if (name == "web.tls-min-version") {
      auto v = take_value();
      if (!v || (*v != "TLS12" && *v != "TLS13")) return Bad(arg, "needs TLS12 or TLS13");
      cfg.tls.min_version = *v;
    } else if (name == "slurm.conf") {
      auto v = take_value();
      if (!v || v->empty()) return Bad(arg, "needs a path");
      cfg.slurm_conf = *v;
    } else if (name == "accounting-db.my-cnf") {
      auto v = take_value();
      if (!v || v->empty()) return Bad(arg, "needs a path to a client option file");
      cfg.accounting_db_my_cnf = *v;
      overrides.emplace("accounting_db", true);  // an explicit --no-collector still wins
    } else if (name == "slurm.poll-interval") {
      if (Status s = duration_flag(&cfg.poll_interval_seconds); !s.ok()) return s;
    } else if (name == "job-efficiency.interval") {
      if (Status s = duration_flag(&cfg.job_efficiency_interval_seconds); !s.ok()) return s;
    } else if (name == "node-load.interval") {
      if (Status s = duration_flag(&cfg.node_load_interval_seconds); !s.ok()) return s;
    } else if (name == "fairshare.interval") {
      if (Status s = duration_flag(&cfg.fairshare_interval_seconds); !s.ok()) return s;
    } else if (name == "slurm.poll-timeout") {
      if (Status s = duration_flag(&cfg.poll_timeout_seconds); !s.ok()) return s;
    } else if (name == "log.level") {
      auto v = take_value();
      if (!v || !log::ParseLevel(*v, &cfg.log_level)) {
        return Bad(arg, "needs one of debug, info, warn, error");
      }
    } else {
      return Bad(arg, "unknown flag (see --help)");
    }
  }
  if (auto it = overrides.find("accounting_db"); it != overrides.end() && it->second &&
                                                 cfg.accounting_db_my_cnf.empty() &&
                                                 known_collector("accounting_db")) {
    return Bad("--collector.accounting_db", "needs --accounting-db.my-cnf=PATH (credentials)");
  }
  if (Status s = ValidateTlsSettings(cfg.tls); !s.ok()) return Status::Error("flags", s.message());
  for (const auto& c : collectors) {
    bool on = disable_defaults ? false : c.enabled_by_default;
    if (auto it = overrides.find(c.name); it != overrides.end()) on = it->second;
    if (on) cfg.enabled_collectors.push_back(c.name);
  }
  return cfg;
}

std::string Usage(const std::vector<CollectorChoice>& collectors) {
  std::string u =
      "usage: slurm_exporter [flags]\n"
      "\n"
      "Prometheus exporter for Slurm: reads slurmctld state through libslurm in a background\n"
      "poller and serves /metrics from the latest snapshot.\n"
      "\n"
      "Flags:\n"
      "  --web.listen-address=[HOST]:PORT  address to listen on (default :9341)\n"
      "  --web.telemetry-path=PATH         path of the metrics (default /metrics)\n"
      "  --web.max-requests=N              requests served at once (default 8)\n"
      "  --web.basic-auth-file=FILE        basic auth: 'user: bcrypt-hash' per line\n"
      "  --web.auth-token-file=FILE        or a bearer token (health endpoints stay open)\n"
      "  --web.tls-cert-file=FILE          serve HTTPS with this PEM certificate (chain)\n"
      "  --web.tls-key-file=FILE           and this PEM private key\n"
      "  --web.tls-client-ca-file=FILE     require client certificates signed by these CAs\n"
      "  --web.tls-min-version=VERSION     TLS12 (default) or TLS13\n"
      "  --slurm.conf=PATH                 slurm.conf to use (default $SLURM_CONF, then\n"
      "                                    /etc/slurm/slurm.conf)\n"
      "  --slurm.poll-interval=DURATION    time between polls of slurmctld (default 15s)\n"
      "  --accounting-db.my-cnf=PATH       client option file ([client] user, password, host,\n"
      "                                    port) of a read-only account on the accounting\n"
      "                                    database; enables the accounting_db collector\n"
      "  --slurm.poll-timeout=DURATION     a poll running longer marks slurm_up 0 (default 60s)\n"
      "  --fairshare.interval=DURATION     time between loads of the association manager for\n"
      "                                    the fairshare collectors (default 5m; Slurm\n"
      "                                    recomputes usage every PriorityCalcPeriod)\n"
      "  --node-load.interval=DURATION     time between refreshes of per-node CPU load and free\n"
      "                                    memory for node_load (default 1m)\n"
      "  --job-efficiency.interval=DURATION time between reads of finished jobs from slurmdbd\n"
      "                                    for job_efficiency (default: every poll)\n"
      "  --log.level=LEVEL                 debug, info, warn or error (default info)\n"
      "  --collector.NAME                  enable a collector\n"
      "  --no-collector.NAME               disable a collector\n"
      "  --collector.disable-defaults      disable every collector not enabled explicitly\n"
      "  --version                         print the version and exit\n"
      "  -h, --help                        print this help and exit\n"
      "\n"
      "Collectors:\n";
  for (const auto& c : collectors) {
    u += fmt::format("  {:<12} [{}] {}\n", c.name, c.enabled_by_default ? "on " : "off",
                     c.description);
  }
  return u;
}

}  // namespace slurm_exporter
