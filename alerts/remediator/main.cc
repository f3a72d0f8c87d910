// slurm_remediator: wiring only. Flags -> policy, audit log, libslurm adapter -> Remediator ->
// HTTP endpoints; waits for SIGINT/SIGTERM.
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "alerts/remediator/remediator.h"
#include "collectors/slurm/libslurm_client.h"
#include "common/auth.h"
#include "common/duration.h"
#include "common/http_server.h"
#include "common/log.h"
#include "common/signals.h"

namespace log = slurm_exporter::log;
using namespace slurm_remediator;

namespace {

constexpr char kUsage[] =
    "usage: slurm_remediator --policy.file=FILE --audit.log=FILE [flags]\n"
    "\n"
    "Receives Alertmanager webhooks and drains or resumes Slurm nodes through libslurm,\n"
    "within the limits of its policy (dry-run unless the policy says otherwise).\n"
    "\n"
    "Flags:\n"
    "  --policy.file=FILE                 remediation policy (JSON), validated at start\n"
    "  --audit.log=FILE                   append-only audit log and ledger (JSON lines)\n"
    "  --web.listen-address=[HOST]:PORT   default 127.0.0.1:9342\n"
    "  --web.auth-token-file=FILE         require 'Authorization: Bearer <token>' on the API\n"
    "  --web.basic-auth-file=FILE         or basic auth: 'user: bcrypt-hash' per line\n"
    "  --web.tls-cert-file=FILE           serve HTTPS with this PEM certificate (chain)\n"
    "  --web.tls-key-file=FILE            and this PEM private key\n"
    "  --web.tls-client-ca-file=FILE      require client certificates signed by these CAs\n"
    "                                     (counts as authentication)\n"
    "  --web.tls-min-version=VERSION      TLS12 (default) or TLS13\n"
    "  --web.allow-unauthenticated        allow a non-loopback address without a token\n"
    "  --slurm.conf=PATH                  default $SLURM_CONF, then /etc/slurm/slurm.conf\n"
    "  --reconcile-interval=DURATION      re-check resolved nodes (default 15s)\n"
    "  --log.level=LEVEL                  debug, info, warn, error\n"
    "  --version                          print the version and the Slurm release built for\n"
    "\n"
    "Endpoints: POST /api/v1/alerts (webhook), GET /api/v1/status, POST /api/v1/breaker/reset,\n"
    "GET /metrics, /-/healthy, /-/ready.\n";

int UsageError(const std::string& msg) {
  std::fprintf(stderr, "slurm_remediator: %s\n\n%s", msg.c_str(), kUsage);
  return 2;
}

bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream f(path);
  if (!f) return false;
  std::stringstream ss;
  ss << f.rdbuf();
  *out = ss.str();
  return true;
}

bool IsLoopback(const std::string& listen) {
  auto colon = listen.rfind(':');
  std::string host = colon == std::string::npos ? listen : listen.substr(0, colon);
  return host == "127.0.0.1" || host == "localhost" || host == "[::1]" ||
         host.rfind("127.", 0) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string policy_file, audit_log, listen = "127.0.0.1:9342", token_file, slurm_conf;
  std::string basic_auth_file;
  slurm_exporter::TlsOptions tls;
  bool allow_unauth = false;
  double reconcile = 15;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (arg == "--version") {
      std::printf("slurm_remediator %s (Slurm %s)\n", SLURM_EXPORTER_VERSION,
                  slurm_exporter::LibSlurmClient::BuildSlurmVersion().c_str());
      return 0;
    }
    std::string name = arg, value;
    bool has_value = false;
    if (auto eq = arg.find('='); eq != std::string::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      has_value = true;
    }
    auto need = [&]() -> bool {
      if (has_value) return true;
      if (i + 1 < argc) {
        value = argv[++i];
        return true;
      }
      return false;
    };
    if (name == "--web.allow-unauthenticated" && !has_value) {
      allow_unauth = true;
      continue;
    }
    if (!need() || value.empty()) return UsageError(name + ": needs a value");
    if (name == "--policy.file") {
      policy_file = value;
    } else if (name == "--audit.log") {
      audit_log = value;
    } else if (name == "--web.listen-address") {
      if (slurm_exporter::Status st = slurm_exporter::CheckListenAddress(value); !st.ok()) {
        return UsageError("--web.listen-address: " + st.message());
      }
      listen = value;
    } else if (name == "--web.auth-token-file") {
      token_file = value;
    } else if (name == "--web.basic-auth-file") {
      basic_auth_file = value;
    } else if (name == "--web.tls-cert-file") {
      tls.cert_file = value;
    } else if (name == "--web.tls-key-file") {
      tls.key_file = value;
    } else if (name == "--web.tls-client-ca-file") {
      tls.client_ca_file = value;
    } else if (name == "--web.tls-min-version") {
      if (value != "TLS12" && value != "TLS13") return UsageError(name + ": TLS12 or TLS13");
      tls.min_version = value;
    } else if (name == "--slurm.conf") {
      slurm_conf = value;
    } else if (name == "--reconcile-interval") {
      if (!slurm_exporter::ParseDuration(value, &reconcile) || reconcile <= 0) {
        return UsageError(name + ": not a positive duration");
      }
    } else if (name == "--log.level") {
      log::Level l;
      if (!log::ParseLevel(value, &l)) return UsageError(name + ": debug, info, warn or error");
      log::SetLevel(l);
    } else {
      return UsageError(arg + ": unknown flag");
    }
  }
  if (policy_file.empty()) return UsageError("--policy.file is required");
  if (audit_log.empty()) return UsageError("--audit.log is required");
  if (auto s = slurm_exporter::ValidateTlsSettings(tls); !s.ok()) return UsageError(s.message());

  std::string policy_text;
  if (!ReadFile(policy_file, &policy_text)) {
    log::Error("cannot start", {{"err", "cannot read policy file " + policy_file}});
    return 1;
  }
  auto policy = ParsePolicy(policy_text);
  if (!policy.ok()) {
    log::Error("cannot start", {{"err", policy.status().message()}, {"file", policy_file}});
    return 1;
  }
  auto auth = slurm_exporter::Auth::Load(token_file, basic_auth_file);
  if (!auth.ok()) {
    log::Error("cannot start", {{"err", auth.status().ToString()}});
    return 1;
  }
  if (tls.enabled()) {
    if (auto s = slurm_exporter::CheckTls(tls); !s.ok()) {
      log::Error("cannot start", {{"err", s.ToString()}});
      return 1;
    }
  }
  // A verified client certificate authenticates the caller as well as a token does.
  const bool client_certs = !tls.client_ca_file.empty();
  if (!auth.value().enabled() && !client_certs && !IsLoopback(listen) && !allow_unauth) {
    log::Error("cannot start",
               {{"err", "refusing to listen on " + listen +
                            " without --web.auth-token-file, --web.basic-auth-file or "
                            "--web.tls-client-ca-file (or --web.allow-unauthenticated)"}});
    return 1;
  }

  const sigset_t sigs = slurm_exporter::BlockTerminationSignals();  // before any thread

  auto ledger = Ledger::Open(audit_log);
  if (!ledger.ok()) {
    log::Error("cannot start", {{"err", ledger.status().ToString()}});
    return 1;
  }
  log::Info("audit log replayed", {{"file", audit_log},
                                   {"entries", std::to_string(ledger.value()->replayed_lines())},
                                   {"skipped", std::to_string(ledger.value()->skipped_lines())},
                                   {"held", std::to_string(ledger.value()->state().held.size())}});
  auto client = slurm_exporter::LibSlurmClient::Create(slurm_conf);
  if (!client.ok()) {
    log::Error("cannot start", {{"err", client.status().ToString()}});
    return 1;
  }
  RemediatorOptions opts;
  opts.reconcile_interval_seconds = reconcile;
  const bool dry_run = policy.value().dry_run;
  Remediator remediator(*client.value(), *client.value(), std::move(policy).value(),
                        std::move(ledger).value(), opts);

  const slurm_exporter::Auth checker = auth.value();
  auto authorized = [checker](const HttpRequest& req) { return checker.Check(req.authorization); };
  auto denied = []() {
    return HttpResponse{401,
                        "text/plain; charset=utf-8",
                        "unauthorized\n",
                        {{"WWW-Authenticate", "Bearer, Basic realm=\"slurm_remediator\""}}};
  };
  slurm_exporter::HttpServer::Options web;
  web.listen_address = listen;
  web.tls = tls;
  slurm_exporter::HttpServer server(web);
  server.HandlePost("/api/v1/alerts", [&](const HttpRequest& req) {
    if (!authorized(req)) return denied();
    return remediator.HandleWebhook(req);
  });
  server.HandlePost("/api/v1/breaker/reset", [&](const HttpRequest& req) {
    if (!authorized(req)) return denied();
    return remediator.ResetBreaker(req);
  });
  server.Handle("/api/v1/status", [&](const HttpRequest& req) {
    if (!authorized(req)) return denied();
    return HttpResponse{200, "application/json", remediator.StatusJson(), {}};
  });
  server.Handle("/metrics", [&](const HttpRequest&) {
    return HttpResponse{
        200, "text/plain; version=0.0.4; charset=utf-8", remediator.RenderMetrics(), {}};
  });
  server.Handle("/-/healthy", [](const HttpRequest&) {
    return HttpResponse{200, "text/plain; charset=utf-8", "Healthy\n", {}};
  });
  server.Handle("/-/ready", [](const HttpRequest&) {
    return HttpResponse{200, "text/plain; charset=utf-8", "Ready\n", {}};
  });
  if (auto s = server.Start(); !s.ok()) {
    log::Error("cannot start", {{"err", s.ToString()}});
    return 1;
  }
  remediator.Start();
  log::Info("slurm_remediator started",
            {{"version", SLURM_EXPORTER_VERSION},
             {"slurm", slurm_exporter::LibSlurmClient::BuildSlurmVersion()},
             {"listen", listen},
             {"dry_run", dry_run ? "true" : "false"},
             {"tls", tls.enabled() ? "on" : "off"},
             {"client_certs", client_certs ? "required" : "no"},
             {"auth", auth.value().enabled() ? "on" : "none"}});
  const int sig = slurm_exporter::WaitForTermination(sigs);
  log::Info("shutting down", {{"signal", std::to_string(sig)}});
  server.Stop();
  remediator.Stop();
  return 0;
}
