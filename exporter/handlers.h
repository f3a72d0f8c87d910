// The exporter's HTTP endpoints: landing page, metrics, health and readiness. Each handler reads
// only the poller's latest exposition: no handler calls Slurm.
#pragma once

#include <string>

#include "common/auth.h"
#include "common/http_server.h"
#include "exporter/poller.h"

namespace slurm_exporter {

inline constexpr char kExpositionContentType[] = "text/plain; version=0.0.4; charset=utf-8";

// `auth` guards the landing page and the metrics; /-/healthy and /-/ready stay open for
// liveness and readiness probes.
void RegisterExporterHandlers(HttpServer& server, const Poller& poller,
                              const std::string& telemetry_path, const std::string& version,
                              const Auth& auth = Auth());

}  // namespace slurm_exporter
