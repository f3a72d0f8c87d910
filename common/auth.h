// Request authentication shared by slurm_exporter and slurm_remediator: a bearer token and/or
// HTTP basic auth against bcrypt hashes (like the Prometheus exporter-toolkit's web config:
// one "user: $2y$..." line per user). Secrets never appear in logs or errors.
//
// Thread-safety: Check (const) may be called from any thread once the Auth is set up; the
// setters are for setting it up (Load and tests) and must not race with Check.
#pragma once

#include <map>
#include <string>

#include "common/status.h"

namespace slurm_exporter {

class Auth {
 public:
  Auth() = default;
  // Reads a token file (one line) and/or a basic-auth file ("user: bcrypt-hash" or
  // "user:bcrypt-hash" per line, '#' comments). Empty paths mean not configured.
  static Result<Auth> Load(const std::string& token_file, const std::string& basic_auth_file);
  static Result<std::map<std::string, std::string>> ParseBasicAuthUsers(const std::string& text);

  bool enabled() const { return !token_.empty() || !users_.empty(); }
  // True when auth is disabled or the Authorization header carries valid credentials.
  bool Check(const std::string& authorization) const;

  void set_token(std::string token) { token_ = std::move(token); }
  void set_users(std::map<std::string, std::string> users) { users_ = std::move(users); }

 private:
  std::string token_;
  std::map<std::string, std::string> users_;  // user -> bcrypt hash
};

}  // namespace slurm_exporter
