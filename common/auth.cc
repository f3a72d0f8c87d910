#include "common/auth.h"

#include <crypt.h>
#include <fmt/format.h>

#include <cstdint>
#include <fstream>
#include <memory>
#include <sstream>

namespace slurm_exporter {
namespace {

bool ConstantTimeEqual(const std::string& a, const std::string& b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return diff == 0;
}

std::string Trim(std::string s) {
  while (!s.empty() &&
         (s.back() == '\n' || s.back() == '\r' || s.back() == ' ' || s.back() == '\t')) {
    s.pop_back();
  }
  size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  return s.substr(i);
}

bool Base64Decode(const std::string& in, std::string* out) {
  static const std::string kChars =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  out->clear();
  uint32_t val = 0;  // only the low 14 bits matter: at most 8 undecoded bits + 6 new ones
  int bits = -8;
  for (char c : in) {
    if (c == '=') break;
    auto pos = kChars.find(c);
    if (pos == std::string::npos) return false;
    val = ((val << 6) | static_cast<uint32_t>(pos)) & 0x3FFFu;
    bits += 6;
    if (bits >= 0) {
      out->push_back(static_cast<char>((val >> bits) & 0xFFu));
      bits -= 8;
    }
  }
  return true;
}

bool ReadAll(const std::string& path, std::string* out) {
  std::ifstream f(path);
  if (!f) return false;
  std::stringstream ss;
  ss << f.rdbuf();
  *out = ss.str();
  return true;
}

}  // namespace

Result<std::map<std::string, std::string>> Auth::ParseBasicAuthUsers(const std::string& text) {
  std::map<std::string, std::string> users;
  std::istringstream in(text);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    line = Trim(line);
    if (line.empty() || line[0] == '#') continue;
    auto colon = line.find(':');
    if (colon == std::string::npos || colon == 0) {
      return Status::Error("basic auth file", fmt::format("line {}: want 'user: bcrypt-hash'", n));
    }
    std::string user = Trim(line.substr(0, colon));
    std::string hash = Trim(line.substr(colon + 1));
    if (hash.size() >= 2 && (hash.front() == '"' || hash.front() == '\'') &&
        hash.back() == hash.front()) {
      hash = hash.substr(1, hash.size() - 2);
    }
    if (hash.rfind("$2", 0) != 0 || hash.size() != 60) {
      return Status::Error("basic auth file",
                           fmt::format("line {}: the hash of '{}' is not a bcrypt hash", n, user));
    }
    users[user] = hash;
  }
  if (users.empty()) return Status::Error("basic auth file", "no users");
  return users;
}

Result<Auth> Auth::Load(const std::string& token_file, const std::string& basic_auth_file) {
  Auth a;
  if (!token_file.empty()) {
    std::string t;
    if (!ReadAll(token_file, &t)) {
      return Status::Error("token file", "cannot read " + token_file);
    }
    t = Trim(t);
    if (t.empty()) return Status::Error("token file", token_file + " is empty");
    a.token_ = t;
  }
  if (!basic_auth_file.empty()) {
    std::string text;
    if (!ReadAll(basic_auth_file, &text)) {
      return Status::Error("basic auth file", "cannot read " + basic_auth_file);
    }
    auto users = ParseBasicAuthUsers(text);
    if (!users.ok()) return users.status();
    a.users_ = std::move(users).value();
  }
  return a;
}

bool Auth::Check(const std::string& authorization) const {
  if (!enabled()) return true;
  if (!token_.empty() && authorization.rfind("Bearer ", 0) == 0) {
    return ConstantTimeEqual(authorization.substr(7), token_);
  }
  if (!users_.empty() && authorization.rfind("Basic ", 0) == 0) {
    std::string decoded;
    if (!Base64Decode(Trim(authorization.substr(6)), &decoded)) return false;
    auto colon = decoded.find(':');
    if (colon == std::string::npos) return false;
    auto it = users_.find(decoded.substr(0, colon));
    if (it == users_.end()) return false;
    auto data = std::make_unique<crypt_data>();
    const char* h = crypt_r(decoded.substr(colon + 1).c_str(), it->second.c_str(), data.get());
    return h != nullptr && ConstantTimeEqual(h, it->second);
  }
  return false;
}

}  // namespace slurm_exporter
