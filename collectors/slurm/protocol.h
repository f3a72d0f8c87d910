// Slurm's RPC protocol versions and the window of clients each release accepts, and the
// evidence of a protocol mismatch in what libslurm logs. Pure: no Slurm headers, so that it is
// tested on its own.
//
// Every Slurm message starts with the sender's protocol version, (N << 8) with N the release's
// protocol number (also libslurm's soname): 38 for 22.05 up to 45 for 26.05. slurmctld and
// slurmdbd accept clients of their own release and of two (before 24.11) or three (from 24.11
// on) releases before it, and never a newer one (src/common/slurm_protocol_common.h).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace slurm_exporter::slurm_protocol {

// "24.11" for protocol number 42 (or its wire value 42 << 8); "" when unknown.
std::string_view ReleaseOfProtocol(int protocol);
// 42 for "24.11"; 0 when unknown.
int ProtocolOfRelease(std::string_view series);
// The releases whose clients a server of `protocol` accepts: "23.02 to 24.11"; "" if unknown.
std::string AcceptedClients(int protocol);
// The releases whose servers accept a client of `protocol`: "24.11 to 26.05" (open-ended
// beyond the newest release known here: "24.11 and later").
std::string AcceptingServers(int protocol);

// What libslurm's log lines of one call say about the peer's protocol.
struct Evidence {
  bool mismatch = false;  // the peer refused our protocol, or we refused its
  int peer_protocol = 0;  // the peer's protocol number when a line names it, else 0
  // Why our own munged gave no credential ("Munge encode failed: <why>"), else empty: the
  // request never left this host.
  std::string local_credential;
};
// Scans lines such as "slurm_receive_msg: [h:6817] Invalid Protocol Version 10752 ...",
// "unpack_header: protocol_version 9728 not supported", "Incompatible versions of client
// and server code" and slurmdbd 24.05's "Sending PersistInit msg: Message receive failure";
// and libslurm's own "Munge encode failed: ..." (local_credential).
Evidence ScanLog(const std::vector<std::string>& lines);

}  // namespace slurm_exporter::slurm_protocol
