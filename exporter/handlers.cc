#include "exporter/handlers.h"

#include <fmt/format.h>

#include "common/gzip.h"

namespace slurm_exporter {

void RegisterExporterHandlers(HttpServer& server, const Poller& poller,
                              const std::string& telemetry_path, const std::string& version,
                              const Auth& auth) {
  auto denied = []() {
    return HttpResponse{401,
                        "text/plain; charset=utf-8",
                        "unauthorized\n",
                        {{"WWW-Authenticate", "Basic realm=\"slurm_exporter\""}}};
  };
  server.Handle(telemetry_path, [&poller, auth, denied](const HttpRequest& req) {
    if (!auth.Check(req.authorization)) return denied();
    const bool gzip = AcceptsGzip(req.accept_encoding);
    Poller::Rendered r = poller.Render(gzip);
    HttpResponse resp{200, kExpositionContentType, std::move(r.tail), {}};
    resp.prefix = std::move(r.prefix);
    resp.headers.push_back({"Vary", "Accept-Encoding"});
    if (gzip) resp.headers.push_back({"Content-Encoding", "gzip"});
    return resp;
  });
  server.Handle("/-/healthy", [](const HttpRequest&) {
    return HttpResponse{200, "text/plain; charset=utf-8", "Healthy\n", {}};
  });
  server.Handle("/-/ready", [&poller](const HttpRequest&) {
    if (poller.Ready()) return HttpResponse{200, "text/plain; charset=utf-8", "Ready\n", {}};
    return HttpResponse{
        503, "text/plain; charset=utf-8", "Not ready: no poll has reached slurmctld yet\n", {}};
  });
  std::string page = fmt::format(
      "<!DOCTYPE html>\n<html><head><title>Slurm Exporter</title></head>\n<body>\n"
      "<h1>Slurm Exporter</h1>\n<p>Version {}</p>\n<ul>\n"
      "<li><a href=\"{}\">Metrics</a></li>\n"
      "<li><a href=\"/-/healthy\">Health</a></li>\n"
      "<li><a href=\"/-/ready\">Readiness</a></li>\n</ul>\n</body></html>\n",
      version, telemetry_path);
  server.Handle("/", [page, auth, denied](const HttpRequest& req) {
    if (!auth.Check(req.authorization)) return denied();
    return HttpResponse{200, "text/html; charset=utf-8", page, {}};
  });
}

}  // namespace slurm_exporter
