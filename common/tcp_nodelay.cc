#include "common/tcp_nodelay.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cstdlib>

namespace slurm_exporter {
namespace {

// The peer port of a connected TCP socket, 0 for anything else.
uint16_t PeerPort(int fd) {
  int type = 0;
  socklen_t len = sizeof(type);
  if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_STREAM) return 0;
  sockaddr_storage peer{};
  len = sizeof(peer);
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &len) != 0) return 0;
  if (peer.ss_family == AF_INET) {
    return ntohs(reinterpret_cast<const sockaddr_in*>(&peer)->sin_port);
  }
  if (peer.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&peer)->sin6_port);
  }
  return 0;
}

}  // namespace

int SetNoDelayOnSocketsTo(uint16_t port) {
  if (port == 0) return 0;
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return 0;
  const int own = dirfd(dir);
  int set = 0;
  while (const dirent* e = readdir(dir)) {
    char* end = nullptr;
    const long fd = std::strtol(e->d_name, &end, 10);
    if (end == e->d_name || *end != '\0' || fd == own) continue;
    if (PeerPort(static_cast<int>(fd)) != port) continue;
    int on = 0;
    socklen_t len = sizeof(on);
    if (getsockopt(static_cast<int>(fd), IPPROTO_TCP, TCP_NODELAY, &on, &len) == 0 && on) {
      continue;  // already set
    }
    const int one = 1;
    if (setsockopt(static_cast<int>(fd), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == 0) {
      ++set;
    }
  }
  closedir(dir);
  return set;
}

}  // namespace slurm_exporter
