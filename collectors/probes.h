// Probes of the services around Slurm that are not reached through libslurm: munged (through
// libmunge) and the accounting database server (through the MariaDB client library). Each
// production implementation is the only code that includes its library's header.
//
// Thread-safety: not thread-safe; the poller is the only caller.
#pragma once

#include <memory>

#include "collectors/snapshot.h"
#include "common/status.h"

namespace slurm_exporter {

class MungeProbe {
 public:
  virtual ~MungeProbe() = default;
  // Encodes and decodes a credential; failures are reported in the value (ok=false).
  virtual MungeStatus Check() = 0;
};

class DatabaseProbe {
 public:
  virtual ~DatabaseProbe() = default;
  // Reads Threads_connected and max_connections; an error value when the server cannot be
  // reached or refuses the query.
  virtual Result<std::shared_ptr<const DatabaseStatus>> Query() = 0;
};

// libmunge on the given socket ("" = munge's default socket).
std::unique_ptr<MungeProbe> NewLibMungeProbe(std::string socket);
// MariaDB/MySQL with a client option file (mysqld_exporter's .my.cnf: a [client] section with
// user, password, host, port or socket). Fails at once when the file cannot be read.
Result<std::unique_ptr<DatabaseProbe>> NewMysqlProbe(const std::string& my_cnf);

}  // namespace slurm_exporter
