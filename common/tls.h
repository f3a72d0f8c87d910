// TLS settings of the daemons' HTTP servers (CivetWeb with OpenSSL 3).
//
// CivetWeb owns the listening sockets and the TLS connections; the SSL_CTX it creates is
// configured here: certificate chain and key (PEM), minimum protocol version, and optionally
// required client certificates verified against a CA bundle.
#pragma once

#include <string>

#include "common/status.h"

namespace slurm_exporter {

struct TlsOptions {
  std::string cert_file;              // PEM: the server certificate, then any intermediates
  std::string key_file;               // PEM: its private key
  std::string client_ca_file;         // PEM CA bundle; non-empty = client certificates required
  std::string min_version = "TLS12";  // TLS12 or TLS13

  bool enabled() const { return !cert_file.empty(); }
};

// Checks the settings alone (no file is read): certificate and key given together, a client
// CA only with them, a known minimum version. The flag parsers of both daemons use it.
Status ValidateTlsSettings(const TlsOptions& tls);

// Checks the settings and the files (readable, parseable, key matching the certificate)
// before anything listens; the error names the file and what is wrong with it.
Status CheckTls(const TlsOptions& tls);

// Configures an OpenSSL SSL_CTX (passed as void* by CivetWeb's init_ssl callback).
Status ConfigureTlsContext(void* ssl_ctx, const TlsOptions& tls);

}  // namespace slurm_exporter
