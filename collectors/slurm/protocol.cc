#include "collectors/slurm/protocol.h"

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <utility>

namespace slurm_exporter::slurm_protocol {
namespace {

// SLURM_<release>_PROTOCOL_VERSION >> 8, from src/common/slurm_protocol_common.h.
constexpr std::array<std::pair<int, std::string_view>, 8> kReleases = {{
    {38, "22.05"},
    {39, "23.02"},
    {40, "23.11"},
    {41, "24.05"},
    {42, "24.11"},
    {43, "25.05"},
    {44, "25.11"},
    {45, "26.05"},
}};
constexpr int kFirstThreeBack = 42;  // 24.11 accepts three releases back; before, two

int Normalize(int protocol) { return protocol >= 256 ? protocol >> 8 : protocol; }

// The number after `key` in `line`, or -1.
int NumberAfter(std::string_view line, std::string_view key) {
  auto at = line.find(key);
  if (at == std::string_view::npos) return -1;
  std::string_view rest = line.substr(at + key.size());
  int n = -1;
  auto [p, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), n);
  return ec == std::errc() && p != rest.data() ? n : -1;
}

}  // namespace

std::string_view ReleaseOfProtocol(int protocol) {
  const int n = Normalize(protocol);
  for (const auto& [p, name] : kReleases) {
    if (p == n) return name;
  }
  return {};
}

int ProtocolOfRelease(std::string_view series) {
  for (const auto& [p, name] : kReleases) {
    if (series.substr(0, name.size()) == name) return p;
  }
  return 0;
}

std::string AcceptedClients(int protocol) {
  const int n = Normalize(protocol);
  const std::string_view newest = ReleaseOfProtocol(n);
  const std::string_view oldest = ReleaseOfProtocol(n - (n >= kFirstThreeBack ? 3 : 2));
  if (newest.empty()) return {};
  if (oldest.empty()) return fmt::format("{} and a few before", newest);
  return fmt::format("{} to {}", oldest, newest);
}

std::string AcceptingServers(int protocol) {
  const int n = Normalize(protocol);
  if (ReleaseOfProtocol(n).empty()) return {};
  int last = n;
  for (int s = n + 1; !ReleaseOfProtocol(s).empty(); ++s) {
    if (s - (s >= kFirstThreeBack ? 3 : 2) <= n) last = s;
  }
  // Releases newer than this table accept three back as well.
  const bool open = kReleases.back().first + 1 - 3 <= n;
  return open ? fmt::format("{} and later", ReleaseOfProtocol(n))
              : fmt::format("{} to {}", ReleaseOfProtocol(n), ReleaseOfProtocol(last));
}

Evidence ScanLog(const std::vector<std::string>& lines) {
  Evidence e;
  // A wire value: (N << 8) with a plausible release number N ("protocol_version 6500" in
  // auth_g_pack's complaint is a message type, not a version).
  auto plausible = [](int v) { return v >= (20 << 8) && v < (100 << 8) && (v & 0xff) == 0; };
  for (const std::string& line : lines) {
    int n = NumberAfter(line, "Invalid Protocol Version ");
    if (n < 0 && line.find("not supported") != std::string::npos) {
      n = NumberAfter(line, "protocol_version ");
    }
    if (plausible(n)) {
      e.mismatch = true;
      e.peer_protocol = n >> 8;
    }
    if (line.find("Incompatible versions of client and server code") != std::string::npos) {
      e.mismatch = true;
    }
    // slurmdbd 24.05 could not even read our connection's first message (a wrong munge key
    // gets "Protocol authentication error" instead).
    if (line.find("PersistInit msg: Message receive failure") != std::string::npos) {
      e.mismatch = true;
    }
    static constexpr std::string_view kEncode = "Munge encode failed: ";
    if (auto at = line.find(kEncode); at != std::string::npos && e.local_credential.empty()) {
      e.local_credential = line.substr(at + kEncode.size());
    }
  }
  return e;
}

}  // namespace slurm_exporter::slurm_protocol
