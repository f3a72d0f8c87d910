// HttpServer: a small C++ front for CivetWeb (the embedded server prometheus-cpp's pull library
// is built on). Handlers are plain functions from a request to a response; exact paths only.
// Nothing thrown by a handler escapes to CivetWeb: it becomes a 500.
//
// Thread-safety: register handlers before Start(); handlers then run concurrently on CivetWeb's
// worker threads (max_requests of them) and must be thread-safe themselves.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/shared_text.h"
#include "common/status.h"
#include "common/tls.h"

struct mg_context;
struct mg_connection;

namespace slurm_exporter {

struct HttpRequest {
  std::string method;
  std::string path;
  std::string query;
  std::string accept_encoding;
  std::string authorization;
  std::string content_type;
  std::string remote_addr;
  std::string body;  // for POST; at most Options::max_body_bytes
};

struct HttpResponse {
  HttpResponse() = default;
  HttpResponse(int status_code, std::string type, std::string text,
               std::vector<std::pair<std::string, std::string>> extra_headers = {})
      : status(status_code),
        content_type(std::move(type)),
        body(std::move(text)),
        headers(std::move(extra_headers)) {}
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // Sent before `body` without being copied (large parts shared by many responses).
  SharedText prefix;
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

// Converts "[HOST]:PORT" ("":9341", "127.0.0.1:9341", "[::1]:9341") into CivetWeb's
// listening_ports syntax. HOST is empty (all addresses), "localhost", an IPv4 address or a
// bracketed IPv6 one; PORT 0 to 65535 (0: any free port). Returns an error for anything else.
Result<std::string> ToCivetListen(const std::string& listen_address);
// The same check of a --web.listen-address flag, where port 0 is refused too: an error that
// says what is wrong with the value, or OK.
Status CheckListenAddress(const std::string& listen_address);

class HttpServer {
 public:
  struct Options {
    std::string listen_address = ":9341";
    int max_requests = 8;  // served at once; more get 503 (two spare threads answer them)
    int request_timeout_ms = 10000;
    size_t max_body_bytes = 1 << 20;
    TlsOptions tls;  // HTTPS when tls.cert_file is set
  };
  explicit HttpServer(Options options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // GET and HEAD on `path`.
  void Handle(const std::string& path, HttpHandler handler);
  // POST on `path` (the body is read first; larger than max_body_bytes gives 413).
  void HandlePost(const std::string& path, HttpHandler handler);
  Status Start();
  void Stop();
  // Ports actually listened on (useful with port 0).
  std::vector<int> Ports() const;

  // Dispatches one request (used by the CivetWeb callback; public for tests).
  HttpResponse Dispatch(const HttpRequest& req) const;

 private:
  static int OnRequest(mg_connection* conn, void* self);
  static int OnInitTls(void* ssl_ctx, void* self);
  Options options_;
  std::map<std::string, HttpHandler> handlers_;
  std::map<std::string, HttpHandler> post_handlers_;
  std::atomic<int> in_flight_{0};
  mg_context* ctx_ = nullptr;
};

}  // namespace slurm_exporter
