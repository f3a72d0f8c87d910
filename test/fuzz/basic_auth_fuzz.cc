// libFuzzer target: the basic-auth users file (operator-written) and the Authorization header
// (anyone on the network) must never crash; only the right credentials are accepted.
#include <crypt.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "common/auth.h"

namespace {

const slurm_exporter::Auth& Checker() {
  static const slurm_exporter::Auth* auth = [] {
    auto* a = new slurm_exporter::Auth();
    crypt_data data{};
    // bcrypt of "pw" at the lowest cost, so that fuzzing stays fast.
    char salt[CRYPT_GENSALT_OUTPUT_SIZE];
    crypt_gensalt_rn("$2b$", 4, nullptr, 0, salt, sizeof(salt));
    a->set_users({{"user", crypt_r("pw", salt, &data)}});
    a->set_token("t0ken");
    return a;
  }();
  return *auth;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto users = slurm_exporter::Auth::ParseBasicAuthUsers(text);
  if (users.ok()) {
    for (const auto& [user, hash] : users.value()) {
      if (hash.size() != 60 || hash.rfind("$2", 0) != 0) __builtin_trap();
    }
  }
  const auto& auth = Checker();
  const bool ok = auth.Check(text);
  // "dXNlcjpwdw==" is base64 of "user:pw"; padding and trailing whitespace are tolerated.
  if (ok && text != "Bearer t0ken" && text.rfind("Basic ", 0) != 0) __builtin_trap();
  return 0;
}
