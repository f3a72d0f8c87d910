// SetNoDelayOnSocketsTo: turns Nagle's algorithm off (TCP_NODELAY) on every TCP socket of this
// process whose peer port is `port`, for sockets a library opened and does not hand out (its
// persistent connection to a daemon, say). Sockets to other ports, listening and unconnected
// sockets, and non-TCP descriptors are left as they are.
//
// Returns how many sockets it changed: 0 when every match already had it, none matched, or
// /proc/self/fd cannot be read. Cheap enough to call before each use of such a connection (one
// scan of the descriptor table: two or three syscalls per descriptor).
// Thread-safety: safe to call from any thread. A descriptor another thread opens or closes
// meanwhile may be missed, or set if it is a socket to that port; setting TCP_NODELAY is
// idempotent and changes no data.
#pragma once

#include <cstdint>

namespace slurm_exporter {

int SetNoDelayOnSocketsTo(uint16_t port);

}  // namespace slurm_exporter
