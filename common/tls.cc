#include "common/tls.h"

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <memory>

namespace slurm_exporter {
namespace {

std::string OpenSslError() {
  unsigned long e = ERR_get_error();
  std::string out;
  while (e != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    if (!out.empty()) out += "; ";
    out += buf;
    e = ERR_get_error();
  }
  return out.empty() ? "unknown OpenSSL error" : out;
}

Status Fail(const std::string& what) {
  return Status::Error("tls", fmt::format("{}: {}", what, OpenSslError()));
}

}  // namespace

Status ValidateTlsSettings(const TlsOptions& tls) {
  if (tls.cert_file.empty() != tls.key_file.empty()) {
    return Status::Error("tls", "--web.tls-cert-file and --web.tls-key-file go together");
  }
  if (!tls.client_ca_file.empty() && tls.cert_file.empty()) {
    return Status::Error(
        "tls", "--web.tls-client-ca-file needs --web.tls-cert-file and --web.tls-key-file");
  }
  if (tls.min_version != "TLS12" && tls.min_version != "TLS13") {
    return Status::Error(
        "tls", fmt::format("minimum version '{}' is not TLS12 or TLS13", tls.min_version));
  }
  return Status::Ok();
}

Status ConfigureTlsContext(void* ssl_ctx, const TlsOptions& tls) {
  auto* ctx = static_cast<SSL_CTX*>(ssl_ctx);
  ERR_clear_error();
  if (Status s = ValidateTlsSettings(tls); !s.ok()) return s;
  if (tls.cert_file.empty()) return Status::Error("tls", "no certificate file");
  const int min_version = tls.min_version == "TLS13" ? TLS1_3_VERSION : TLS1_2_VERSION;
  if (SSL_CTX_set_min_proto_version(ctx, min_version) != 1) return Fail("minimum version");
  // Session tickets would need key rotation to keep forward secrecy; clients reconnect
  // rarely (a scrape keeps its connection), so none are issued.
  SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
  SSL_CTX_set_num_tickets(ctx, 0);
  if (SSL_CTX_use_certificate_chain_file(ctx, tls.cert_file.c_str()) != 1) {
    return Fail("certificate file " + tls.cert_file);
  }
  const bool key_loaded =
      SSL_CTX_use_PrivateKey_file(ctx, tls.key_file.c_str(), SSL_FILETYPE_PEM) == 1;
  if (!key_loaded && ERR_GET_REASON(ERR_peek_last_error()) != X509_R_KEY_VALUES_MISMATCH) {
    return Fail("key file " + tls.key_file);
  }
  if (!key_loaded || SSL_CTX_check_private_key(ctx) != 1) {
    ERR_clear_error();
    return Status::Error("tls", fmt::format("key file {} does not match certificate {}",
                                            tls.key_file, tls.cert_file));
  }
  if (!tls.client_ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(ctx, tls.client_ca_file.c_str(), nullptr) != 1) {
      return Fail("client CA file " + tls.client_ca_file);
    }
    // No list of acceptable CA names is sent in the certificate request: Go's TLS 1.3 client
    // (Prometheus) rejects the request when it carries one, and clients hold one certificate.
    SSL_CTX_set_client_CA_list(ctx, nullptr);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
    SSL_CTX_set_verify_depth(ctx, 8);
  } else {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  }
  return Status::Ok();
}

Status CheckTls(const TlsOptions& tls) {
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_server_method()),
                                                        &SSL_CTX_free);
  if (!ctx) return Fail("cannot create a TLS context");
  return ConfigureTlsContext(ctx.get(), tls);
}

}  // namespace slurm_exporter
