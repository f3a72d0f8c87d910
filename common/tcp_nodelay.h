// SetNoDelayOnSocketsTo: turns Nagle's algorithm off (TCP_NODELAY) on every TCP socket of this
// process whose peer port is `port`, for sockets a library opened and does not hand out (its
// persistent connection to a daemon, say). Sockets to other ports, listening and unconnected
// sockets, and non-TCP descriptors are left as they are.
//
// Returns how many sockets it set (0 when none matched or /proc/self/fd cannot be read).
// Thread-safety: safe to call from any thread; it only reads this process's descriptor table
// and sets an option that is idempotent.
#pragma once

#include <cstdint>

namespace slurm_exporter {

int SetNoDelayOnSocketsTo(uint16_t port);

}  // namespace slurm_exporter
