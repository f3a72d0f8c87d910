#include "common/tcp_nodelay.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

namespace slurm_exporter {
namespace {

// A loopback listener on an ephemeral port, closed on destruction.
struct Listener {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  uint16_t port = 0;
  Listener() {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(a);
    if (bind(fd, reinterpret_cast<sockaddr*>(&a), len) == 0 && listen(fd, 4) == 0 &&
        getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
      port = ntohs(a.sin_port);
    }
  }
  ~Listener() { close(fd); }
  int Connect() const {
    int c = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    if (connect(c, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
      close(c);
      return -1;
    }
    return c;
  }
};

int NoDelay(int fd) {
  int v = -1;
  socklen_t len = sizeof(v);
  getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, &len);
  return v;
}

TEST(TcpNoDelayTest, SetsOnlySocketsConnectedToThePort) {
  Listener daemon, other;
  ASSERT_NE(daemon.port, 0);
  ASSERT_NE(other.port, 0);
  const int to_daemon = daemon.Connect();
  const int to_other = other.Connect();
  ASSERT_GE(to_daemon, 0);
  ASSERT_GE(to_other, 0);
  const int accepted = accept(daemon.fd, nullptr, nullptr);  // its peer is our ephemeral port
  ASSERT_GE(accepted, 0);
  ASSERT_EQ(NoDelay(to_daemon), 0) << "Nagle is on by default";

  EXPECT_EQ(SetNoDelayOnSocketsTo(daemon.port), 1);
  EXPECT_NE(NoDelay(to_daemon), 0);
  EXPECT_EQ(NoDelay(to_other), 0) << "a socket to another port is left alone";
  EXPECT_EQ(NoDelay(accepted), 0) << "the accepted end's peer is not the port";
  EXPECT_EQ(NoDelay(daemon.fd), 0) << "a listener has no peer";
  EXPECT_EQ(SetNoDelayOnSocketsTo(daemon.port), 0) << "already set: nothing changed";
  EXPECT_NE(NoDelay(to_daemon), 0);
  const int reopened = daemon.Connect();  // a library's new connection to the same daemon
  ASSERT_GE(reopened, 0);
  EXPECT_EQ(SetNoDelayOnSocketsTo(daemon.port), 1) << "only the new socket changes";
  EXPECT_NE(NoDelay(reopened), 0);
  close(reopened);
  EXPECT_EQ(SetNoDelayOnSocketsTo(0), 0);
  close(accepted);
  close(to_daemon);
  close(to_other);
}

TEST(TcpNoDelayTest, NoSocketToThePortSetsNothing) {
  Listener daemon;
  ASSERT_NE(daemon.port, 0);
  EXPECT_EQ(SetNoDelayOnSocketsTo(daemon.port), 0) << "a listener alone is not connected to it";
}

}  // namespace
}  // namespace slurm_exporter
