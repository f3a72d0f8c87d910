// HttpServer on a real loopback socket: routing, methods, errors, content types.
#include "common/http_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "exporter/handlers.h"
#include "test/fake_slurm_client.h"
#include "test/gunzip.h"
#include "test/loopback.h"

namespace slurm_exporter {
namespace {

HttpServer::Options Opts(const std::string& listen, int threads, int timeout_ms) {
  HttpServer::Options o;
  o.listen_address = listen;
  o.max_requests = threads;
  o.request_timeout_ms = timeout_ms;
  return o;
}

// Sends one HTTP/1.0 request and returns the whole response.
std::string Request(int port, const std::string& method, const std::string& path,
                    const std::string& extra_headers = "") {
  int fd = testing::ConnectLoopback(port);
  if (fd < 0) return "connect failed";
  std::string req = method + " " + path + " HTTP/1.0\r\nHost: x\r\n" + extra_headers + "\r\n";
  (void)!::write(fd, req.data(), req.size());
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return out;
}

TEST(ToCivetListenTest, Table) {
  EXPECT_EQ(ToCivetListen(":9341").value(), "9341");
  EXPECT_EQ(ToCivetListen("127.0.0.1:9341").value(), "127.0.0.1:9341");
  EXPECT_EQ(ToCivetListen("localhost:80").value(), "127.0.0.1:80");
  EXPECT_EQ(ToCivetListen("[::1]:9341").value(), "+[::1]:9341");
  EXPECT_FALSE(ToCivetListen("9341").ok());
  EXPECT_FALSE(ToCivetListen(":99999").ok());
  EXPECT_FALSE(ToCivetListen(":x").ok());
  EXPECT_FALSE(ToCivetListen("[::1:9341").ok());
}

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.Handle("/ok", [](const HttpRequest& r) {
      return HttpResponse{200, "text/plain", "hello " + r.method + " " + r.query, {}};
    });
    server_.Handle("/throws",
                   [](const HttpRequest&) -> HttpResponse { throw std::runtime_error("kaboom"); });
    ASSERT_TRUE(server_.Start().ok());
    ASSERT_FALSE(server_.Ports().empty());
    port_ = server_.Ports()[0];
    ASSERT_GT(port_, 0);
  }
  HttpServer server_{Opts("127.0.0.1:0", 2, 5000)};
  int port_ = 0;
};

TEST_F(HttpServerTest, RoutesExactPaths) {
  std::string r = Request(port_, "GET", "/ok?a=1");
  EXPECT_EQ(r.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << r;
  EXPECT_NE(r.find("Content-Type: text/plain\r\n"), std::string::npos);
  EXPECT_NE(r.find("\r\n\r\nhello GET a=1"), std::string::npos) << r;
  EXPECT_EQ(Request(port_, "GET", "/ok/more").rfind("HTTP/1.1 404", 0), 0u);
  EXPECT_EQ(Request(port_, "GET", "/nothing").rfind("HTTP/1.1 404", 0), 0u);
}

TEST_F(HttpServerTest, HeadHasNoBodyAndPostIsRefused) {
  std::string head = Request(port_, "HEAD", "/ok");
  EXPECT_EQ(head.rfind("HTTP/1.1 200", 0), 0u);
  EXPECT_EQ(head.find("hello"), std::string::npos);
  std::string post = Request(port_, "POST", "/ok");
  EXPECT_EQ(post.rfind("HTTP/1.1 405", 0), 0u) << post;
  EXPECT_NE(post.find("Allow: GET, HEAD"), std::string::npos);
}

// A body in shared parts, small ones (sent with the head) and large ones (sent as they are),
// arrives whole and in order, with the right Content-Length; HEAD sends none of it.
TEST(HttpServerPartsTest, SharedPartsArriveInOrder) {
  HttpServer server(Opts("127.0.0.1:0", 2, 5000));
  std::string want;
  SharedText parts;
  for (size_t size : {10, 70000, 3, 16383, 16384, 200000, 1}) {
    std::string part;
    for (size_t i = 0; i < size; ++i) part += static_cast<char>('a' + (want.size() + i) % 26);
    want += part;
    parts.Append(std::move(part));
  }
  want += "tail\n";
  server.Handle("/parts", [&parts](const HttpRequest&) {
    HttpResponse r{200, "text/plain", "tail\n", {}};
    r.prefix = parts;
    return r;
  });
  ASSERT_TRUE(server.Start().ok());
  const int port = server.Ports()[0];
  std::string r = Request(port, "GET", "/parts");
  const size_t body_at = r.find("\r\n\r\n");
  ASSERT_NE(body_at, std::string::npos) << r.substr(0, 200);
  EXPECT_NE(r.find("Content-Length: " + std::to_string(want.size()) + "\r\n"), std::string::npos);
  EXPECT_TRUE(r.substr(body_at + 4) == want) << "body of " << r.size() - body_at - 4 << " bytes";
  std::string head = Request(port, "HEAD", "/parts");
  EXPECT_EQ(head.rfind("HTTP/1.1 200", 0), 0u);
  EXPECT_EQ(head.size(), head.find("\r\n\r\n") + 4) << "no body after the head";
}

TEST_F(HttpServerTest, ThrowingHandlerGives500AndServerKeepsServing) {
  EXPECT_EQ(Request(port_, "GET", "/throws").rfind("HTTP/1.1 500", 0), 0u);
  EXPECT_EQ(Request(port_, "GET", "/ok").rfind("HTTP/1.1 200", 0), 0u);
}

TEST(HttpServerLimitTest, RequestsOverTheLimitGet503) {
  std::mutex mu;
  std::condition_variable cv;
  bool entered = false, release = false;
  HttpServer server(Opts("127.0.0.1:0", 1, 5000));
  server.Handle("/slow", [&](const HttpRequest&) {
    std::unique_lock<std::mutex> lock(mu);
    entered = true;
    cv.notify_all();
    cv.wait(lock, [&] { return release; });
    return HttpResponse{200, "text/plain", "slow\n"};
  });
  server.Handle("/fast", [](const HttpRequest&) { return HttpResponse{200, "text/plain", "ok"}; });
  ASSERT_TRUE(server.Start().ok());
  int port = server.Ports()[0];
  std::string slow;
  std::thread t([&] { slow = Request(port, "GET", "/slow"); });
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return entered; });
  }
  std::string over = Request(port, "GET", "/fast");
  EXPECT_EQ(over.rfind("HTTP/1.1 503", 0), 0u) << over;
  EXPECT_NE(over.find("Retry-After: 1"), std::string::npos);
  {
    std::lock_guard<std::mutex> lock(mu);
    release = true;
  }
  cv.notify_all();
  t.join();
  EXPECT_EQ(slow.rfind("HTTP/1.1 200", 0), 0u);
  EXPECT_EQ(Request(port, "GET", "/fast").rfind("HTTP/1.1 200", 0), 0u) << "served again";
}

TEST(HttpServerStartTest, PortInUseIsAClearError) {
  HttpServer a(Opts("127.0.0.1:0", 1, 1000));
  ASSERT_TRUE(a.Start().ok());
  int port = a.Ports()[0];
  HttpServer b(Opts("127.0.0.1:" + std::to_string(port), 1, 1000));
  Status s = b.Start();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("cannot listen on 127.0.0.1:" + std::to_string(port)),
            std::string::npos)
      << s.ToString();
}

TEST(ExporterHandlersTest, EndpointsServeFromThePoller) {
  testing::FakeSlurmClient client;
  PollerOptions opts;
  opts.version = "1.2.3";
  Poller poller(client, {}, opts);
  HttpServer server(Opts("127.0.0.1:0", 2, 5000));
  RegisterExporterHandlers(server, poller, "/metrics", "1.2.3");
  ASSERT_TRUE(server.Start().ok());
  int port = server.Ports()[0];

  EXPECT_EQ(Request(port, "GET", "/-/ready").rfind("HTTP/1.1 503", 0), 0u);
  EXPECT_EQ(Request(port, "GET", "/-/healthy").rfind("HTTP/1.1 200", 0), 0u);
  poller.PollOnce();
  EXPECT_EQ(Request(port, "GET", "/-/ready").rfind("HTTP/1.1 200", 0), 0u);
  std::string m = Request(port, "GET", "/metrics");
  EXPECT_NE(m.find("Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"), std::string::npos)
      << m;
  EXPECT_NE(m.find("\nslurm_up 1\n"), std::string::npos);
  EXPECT_NE(m.find("slurm_exporter_build_info{version=\"1.2.3\",slurm_api=\"fake\"} 1"),
            std::string::npos);
  // gzip when asked: the body is two gzip members that decompress to the plain exposition.
  std::string z = Request(port, "GET", "/metrics", "Accept-Encoding: gzip\r\n");
  ASSERT_NE(z.find("Content-Encoding: gzip\r\n"), std::string::npos) << z.substr(0, 300);
  std::string plain = m.substr(m.find("\r\n\r\n") + 4);
  std::string unzipped = testing::Gunzip(z.substr(z.find("\r\n\r\n") + 4));
  EXPECT_EQ(unzipped.substr(0, unzipped.find("slurm_exporter_snapshot_age_seconds")),
            plain.substr(0, plain.find("slurm_exporter_snapshot_age_seconds")));
  EXPECT_NE(unzipped.find("\nslurm_up 1\n"), std::string::npos);
  std::string landing = Request(port, "GET", "/");
  EXPECT_NE(landing.find("text/html"), std::string::npos);
  EXPECT_NE(landing.find("<a href=\"/metrics\">"), std::string::npos);
}

}  // namespace
}  // namespace slurm_exporter
