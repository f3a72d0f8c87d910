// HttpServer over TLS on a real loopback socket, with an OpenSSL client: protocol versions,
// client certificates, and the start-up checks of certificate and key files.
#include "common/tls.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <string>

#include "common/http_server.h"
#include "test/loopback.h"

namespace slurm_exporter {
namespace {

const std::string kDir = FIXTURES_DIR "/tls/";

TlsOptions ServerTls() {
  TlsOptions t;
  t.cert_file = kDir + "server.pem";
  t.key_file = kDir + "server-key.pem";
  return t;
}

struct Client {
  int min_version = TLS1_2_VERSION;
  int max_version = 0;  // 0: the highest
  std::string cert, key;
};
Client Only(int version) { return Client{version, version, "", ""}; }

struct Reply {
  bool handshake = false;
  std::string version;  // "TLSv1.3"
  std::string response;
};

// One HTTPS GET with certificate verification against the test CA.
Reply Get(int port, const Client& c, const std::string& path = "/x") {
  Reply r;
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_client_method()),
                                                        &SSL_CTX_free);
  SSL_CTX_set_min_proto_version(ctx.get(), c.min_version);
  SSL_CTX_set_max_proto_version(ctx.get(), c.max_version);
  SSL_CTX_set_security_level(ctx.get(), 0);  // allow the client to offer old versions
  EXPECT_EQ(SSL_CTX_load_verify_locations(ctx.get(), (kDir + "ca.pem").c_str(), nullptr), 1);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  if (!c.cert.empty()) {
    EXPECT_EQ(SSL_CTX_use_certificate_file(ctx.get(), c.cert.c_str(), SSL_FILETYPE_PEM), 1);
    EXPECT_EQ(SSL_CTX_use_PrivateKey_file(ctx.get(), c.key.c_str(), SSL_FILETYPE_PEM), 1);
  }
  int fd = testing::ConnectLoopback(port);
  if (fd < 0) return r;
  std::unique_ptr<SSL, decltype(&SSL_free)> ssl(SSL_new(ctx.get()), &SSL_free);
  SSL_set_fd(ssl.get(), fd);
  SSL_set1_host(ssl.get(), "127.0.0.1");
  if (SSL_connect(ssl.get()) == 1) {
    r.handshake = true;
    r.version = SSL_get_version(ssl.get());
    std::string req = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    SSL_write(ssl.get(), req.data(), static_cast<int>(req.size()));
    char buf[4096];
    int n;
    while ((n = SSL_read(ssl.get(), buf, sizeof(buf))) > 0) r.response.append(buf, n);
  }
  ERR_clear_error();
  ::close(fd);
  return r;
}

class TlsServer {
 public:
  explicit TlsServer(TlsOptions tls) {
    HttpServer::Options o;
    o.listen_address = "127.0.0.1:0";
    o.tls = std::move(tls);
    server_ = std::make_unique<HttpServer>(o);
    server_->Handle("/x", [](const HttpRequest&) {
      return HttpResponse{200, "text/plain", "secret data\n", {}};
    });
    status_ = server_->Start();
  }
  const Status& status() const { return status_; }
  int port() const { return server_->Ports().at(0); }

 private:
  std::unique_ptr<HttpServer> server_;
  Status status_;
};

bool Served(const Reply& r) { return r.response.find("secret data") != std::string::npos; }

TEST(TlsTest, ServesTls12AndTls13) {
  TlsServer s(ServerTls());
  ASSERT_TRUE(s.status().ok()) << s.status().ToString();
  Reply r13 = Get(s.port(), {});
  EXPECT_TRUE(r13.handshake);
  EXPECT_EQ(r13.version, "TLSv1.3");
  EXPECT_TRUE(Served(r13)) << r13.response;
  Reply r12 = Get(s.port(), Only(TLS1_2_VERSION));
  EXPECT_EQ(r12.version, "TLSv1.2");
  EXPECT_TRUE(Served(r12)) << r12.response;
  // Many handshakes in a row (the server's TLS state is per connection).
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(Served(Get(s.port(), {})));
}

TEST(TlsTest, RefusesTls11) {
  TlsServer s(ServerTls());
  ASSERT_TRUE(s.status().ok());
  Reply r = Get(s.port(), Only(TLS1_1_VERSION));
  EXPECT_FALSE(r.handshake);
  EXPECT_FALSE(Served(r));
}

TEST(TlsTest, MinVersionTls13RefusesTls12) {
  TlsOptions t = ServerTls();
  t.min_version = "TLS13";
  TlsServer s(t);
  ASSERT_TRUE(s.status().ok());
  EXPECT_FALSE(Get(s.port(), Only(TLS1_2_VERSION)).handshake);
  EXPECT_TRUE(Served(Get(s.port(), {})));
}

TEST(TlsTest, PlainHttpOnTheTlsPortGetsNoPage) {
  TlsServer s(ServerTls());
  ASSERT_TRUE(s.status().ok());
  int fd = testing::ConnectLoopback(s.port());
  ASSERT_GE(fd, 0);
  std::string req = "GET /x HTTP/1.0\r\n\r\n";
  ASSERT_GT(::write(fd, req.data(), req.size()), 0);
  std::string out;
  char buf[1024];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
  ::close(fd);
  EXPECT_EQ(out.find("secret data"), std::string::npos);
}

TEST(TlsTest, ClientCertificateRequiredWhenClientCaSet) {
  TlsOptions t = ServerTls();
  t.client_ca_file = kDir + "client-ca.pem";
  TlsServer s(t);
  ASSERT_TRUE(s.status().ok()) << s.status().ToString();
  Client with{TLS1_2_VERSION, 0, kDir + "client.pem", kDir + "client-key.pem"};
  EXPECT_TRUE(Served(Get(s.port(), with)));
  Client with12 = with;
  with12.max_version = TLS1_2_VERSION;
  EXPECT_TRUE(Served(Get(s.port(), with12)));
  // No certificate: TLS 1.3 completes the client's side of the handshake before the server
  // rejects it, so what matters is that no page is served.
  EXPECT_FALSE(Served(Get(s.port(), {})));
  EXPECT_FALSE(Served(Get(s.port(), Only(TLS1_2_VERSION))));
  Client other{TLS1_2_VERSION, 0, kDir + "other-client.pem", kDir + "other-client-key.pem"};
  EXPECT_FALSE(Served(Get(s.port(), other)));
}

std::string WriteTemp(const std::string& text) {
  char path[] = "/tmp/tls_test_XXXXXX";
  int fd = ::mkstemp(path);
  EXPECT_GE(fd, 0);
  ::close(fd);
  std::ofstream(path) << text;
  return path;
}

TEST(TlsTest, BadFilesAreClearErrorsBeforeListening) {
  struct Case {
    std::string name, cert, key, ca, min, want;
  };
  const std::string garbage = WriteTemp("not a certificate\n");
  const std::vector<Case> cases = {
      {"missing cert", kDir + "nope.pem", kDir + "server-key.pem", "", "TLS12", "nope.pem"},
      {"garbage cert", garbage, kDir + "server-key.pem", "", "TLS12", garbage},
      {"missing key", kDir + "server.pem", kDir + "nope-key.pem", "", "TLS12", "nope-key.pem"},
      {"mismatched key", kDir + "server.pem", kDir + "other-key.pem", "", "TLS12",
       "does not match"},
      {"missing client CA", kDir + "server.pem", kDir + "server-key.pem", kDir + "nope-ca.pem",
       "TLS12", "nope-ca.pem"},
      {"bad min version", kDir + "server.pem", kDir + "server-key.pem", "", "TLS10",
       "TLS12 or TLS13"},
      {"no key", kDir + "server.pem", "", "", "TLS12", "go together"},
  };
  for (const auto& c : cases) {
    TlsOptions t{c.cert, c.key, c.ca, c.min};
    Status direct = CheckTls(t);
    EXPECT_FALSE(direct.ok()) << c.name;
    EXPECT_NE(direct.ToString().find(c.want), std::string::npos)
        << c.name << ": " << direct.ToString();
    TlsServer s(t);
    EXPECT_FALSE(s.status().ok()) << c.name;
  }
  std::remove(garbage.c_str());
  EXPECT_TRUE(CheckTls(ServerTls()).ok());
}

}  // namespace
}  // namespace slurm_exporter
