#include "common/http_server.h"

#include <arpa/inet.h>
#include <civetweb.h>
#include <fmt/format.h>
#include <netinet/in.h>

#include <charconv>
#include <cstring>
#include <exception>

#include "common/log.h"

namespace slurm_exporter {
namespace {

bool ValidPort(std::string_view p) {
  int n = -1;
  auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), n);
  return ec == std::errc() && ptr == p.data() + p.size() && n >= 0 && n <= 65535;
}

const char* StatusText(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 413:
      return "Payload Too Large";
    case 202:
      return "Accepted";
    case 403:
      return "Forbidden";
    case 409:
      return "Conflict";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

}  // namespace

Result<std::string> ToCivetListen(const std::string& listen_address) {
  auto colon = listen_address.rfind(':');
  if (colon == std::string::npos) {
    return Status::Error("listen address", fmt::format("'{}' is not [HOST]:PORT", listen_address));
  }
  std::string host = listen_address.substr(0, colon);
  std::string port = listen_address.substr(colon + 1);
  if (!ValidPort(port)) {
    return Status::Error("listen address", fmt::format("bad port in '{}'", listen_address));
  }
  if (host.empty()) return port;
  if (host.front() == '[') {
    in6_addr a6{};
    if (host.back() != ']' ||
        ::inet_pton(AF_INET6, host.substr(1, host.size() - 2).c_str(), &a6) != 1) {
      return Status::Error("listen address", fmt::format("bad IPv6 host in '{}'", listen_address));
    }
    return "+" + host + ":" + port;
  }
  if (host == "localhost") host = "127.0.0.1";
  in_addr a4{};  // four decimal octets of 0 to 255: "999.1.1.1" must not wrap around
  if (::inet_pton(AF_INET, host.c_str(), &a4) != 1) {
    return Status::Error("listen address",
                         fmt::format("'{}' in '{}' is not an IPv4 address, [IPv6] address or "
                                     "localhost",
                                     host, listen_address));
  }
  return host + ":" + port;
}

Status CheckListenAddress(const std::string& listen_address) {
  auto civet = ToCivetListen(listen_address);
  if (!civet.ok()) return civet.status();
  if (listen_address.substr(listen_address.rfind(':') + 1) == "0") {
    return Status::Error(
        "listen address",
        fmt::format("port 0 in '{}': give a port from 1 to 65535", listen_address));
  }
  return Status::Ok();
}

HttpServer::HttpServer(Options options) : options_(std::move(options)) {}
HttpServer::~HttpServer() { Stop(); }

void HttpServer::Handle(const std::string& path, HttpHandler handler) {
  handlers_[path] = std::move(handler);
}
void HttpServer::HandlePost(const std::string& path, HttpHandler handler) {
  post_handlers_[path] = std::move(handler);
}

HttpResponse HttpServer::Dispatch(const HttpRequest& req) const {
  const bool is_post = req.method == "POST";
  const auto& table = is_post ? post_handlers_ : handlers_;
  auto it = table.find(req.path);
  if (it == table.end() || (!is_post && req.method != "GET" && req.method != "HEAD")) {
    const bool get_known = handlers_.count(req.path) > 0;
    const bool post_known = post_handlers_.count(req.path) > 0;
    if (!get_known && !post_known) {
      return HttpResponse{404, "text/plain; charset=utf-8", "404 page not found\n", {}};
    }
    std::string allow = get_known ? (post_known ? "GET, HEAD, POST" : "GET, HEAD") : "POST";
    return HttpResponse{
        405, "text/plain; charset=utf-8", "method not allowed\n", {{"Allow", allow}}};
  }
  try {
    return it->second(req);
  } catch (const std::exception& e) {
    log::Error("handler failed", {{"path", req.path}, {"err", e.what()}});
  } catch (...) {
    log::Error("handler failed", {{"path", req.path}});
  }
  return HttpResponse{500, "text/plain; charset=utf-8", "internal error\n", {}};
}

int HttpServer::OnRequest(mg_connection* conn, void* self) {
  const mg_request_info* info = mg_get_request_info(conn);
  HttpRequest req;
  req.method = info->request_method ? info->request_method : "";
  req.path = info->local_uri ? info->local_uri : "";
  req.query = info->query_string ? info->query_string : "";
  req.remote_addr = info->remote_addr;
  if (const char* ae = mg_get_header(conn, "Accept-Encoding")) req.accept_encoding = ae;
  if (const char* a = mg_get_header(conn, "Authorization")) req.authorization = a;
  if (const char* ct = mg_get_header(conn, "Content-Type")) req.content_type = ct;
  auto* server = static_cast<HttpServer*>(self);
  struct InFlight {
    std::atomic<int>& n;
    int now;
    explicit InFlight(std::atomic<int>& c) : n(c), now(++c) {}
    ~InFlight() { --n; }
  } in_flight(server->in_flight_);
  if (in_flight.now > server->options_.max_requests) {
    static constexpr char k503[] =
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Retry-After: 1\r\nContent-Length: 18\r\n\r\ntoo many requests\n";
    mg_write(conn, k503, sizeof(k503) - 1);
    return 503;
  }
  HttpResponse resp;
  bool too_large = false;
  if (req.method == "POST") {
    const size_t limit = server->options_.max_body_bytes;
    if (info->content_length > static_cast<long long>(limit)) {
      too_large = true;
    } else {
      char buf[8192];
      int n;
      while ((n = mg_read(conn, buf, sizeof(buf))) > 0) {
        if (req.body.size() + static_cast<size_t>(n) > limit) {
          too_large = true;
          break;
        }
        req.body.append(buf, static_cast<size_t>(n));
      }
    }
  }
  try {
    resp = too_large
               ? HttpResponse{413, "text/plain; charset=utf-8", "request body too large\n", {}}
               : server->Dispatch(req);
  } catch (...) {
    resp = HttpResponse{500, "text/plain; charset=utf-8", "internal error\n", {}};
  }
  const size_t prefix_size = resp.prefix.size();
  std::string head =
      fmt::format("HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n", resp.status,
                  StatusText(resp.status), resp.content_type, prefix_size + resp.body.size());
  for (const auto& [k, v] : resp.headers) head += fmt::format("{}: {}\r\n", k, v);
  head += "\r\n";
  // Few writes: small parts travel in one buffer with the head; large shared parts are written
  // from where they are, without a copy. A write fails once the client has gone away.
  constexpr size_t kCopyBelow = 16 * 1024;
  std::string out = std::move(head);
  bool sent = true;
  auto flush = [&]() {
    if (sent && !out.empty()) sent = mg_write(conn, out.data(), out.size()) > 0;
    out.clear();
  };
  if (req.method != "HEAD") {
    for (const auto& part : resp.prefix.parts) {
      if (part->size() < kCopyBelow) {
        out += *part;
        continue;
      }
      flush();
      if (sent) sent = mg_write(conn, part->data(), part->size()) > 0;
    }
    out += resp.body;
  }
  flush();
  return static_cast<int>(resp.status);
}

Status HttpServer::Start() {
  auto listen = ToCivetListen(options_.listen_address);
  if (!listen.ok()) return listen.status();
  // Two threads beyond the limit, so that requests over it get a quick 503 instead of waiting
  // in CivetWeb's queue.
  std::string threads = std::to_string(options_.max_requests + 2);
  std::string timeout = std::to_string(options_.request_timeout_ms);
  std::string ports = listen.value();
  if (options_.tls.enabled()) {
    if (Status s = CheckTls(options_.tls); !s.ok()) return s;
    ports += "s";
  }
  std::vector<const char*> opts = {
      "listening_ports", nullptr, "num_threads", threads.c_str(), "request_timeout_ms",
      timeout.c_str(), "enable_keep_alive", "yes",
      // Without it, a response written in two parts (head, then body) on a kept-alive
      // connection waits for the client's delayed ACK (Nagle): ~40 ms per scrape.
      "tcp_nodelay", "1"};
  opts[1] = ports.c_str();
  opts.push_back(nullptr);
  mg_callbacks callbacks{};
  callbacks.log_message = [](const mg_connection*, const char* message) {
    log::Debug("http", {{"civetweb", message}});
    return 1;
  };
  callbacks.init_ssl = &HttpServer::OnInitTls;
  mg_init_data init{};
  init.callbacks = &callbacks;
  init.user_data = this;
  init.configuration_options = opts.data();
  char err_text[256] = {0};
  unsigned err_code = 0;
  mg_error_data err{};
  err.code = &err_code;
  err.text = err_text;
  err.text_buffer_size = sizeof(err_text);
  mg_init_library(0);
  ctx_ = mg_start2(&init, &err);
  if (ctx_ == nullptr) {
    return Status::Error("listen",
                         fmt::format("cannot listen on {}: {}", options_.listen_address,
                                     err_text[0] ? err_text : "unknown error"),
                         static_cast<int>(err_code));
  }
  mg_set_request_handler(ctx_, "**", &HttpServer::OnRequest, this);
  return Status::Ok();
}

int HttpServer::OnInitTls(void* ssl_ctx, void* self) {
  const auto* server = static_cast<const HttpServer*>(self);
  Status s = ConfigureTlsContext(ssl_ctx, server->options_.tls);
  if (!s.ok()) {
    log::Error("tls", {{"err", s.ToString()}});
    return -1;
  }
  return 1;  // CivetWeb loads no certificate of its own
}

void HttpServer::Stop() {
  if (ctx_ != nullptr) {
    mg_stop(ctx_);
    ctx_ = nullptr;
  }
}

std::vector<int> HttpServer::Ports() const {
  std::vector<int> out;
  if (ctx_ == nullptr) return out;
  mg_server_port ports[8];
  int n = mg_get_server_ports(ctx_, 8, ports);
  for (int i = 0; i < n; ++i) out.push_back(ports[i].port);
  return out;
}

}  // namespace slurm_exporter
