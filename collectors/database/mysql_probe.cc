// The only translation unit that includes the MariaDB client header.
#include <fmt/format.h>
#include <mysql.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>

#include "collectors/probes.h"

namespace slurm_exporter {
namespace {

class MysqlProbe : public DatabaseProbe {
 public:
  explicit MysqlProbe(std::string my_cnf) : my_cnf_(std::move(my_cnf)) {}
  ~MysqlProbe() override { Close(); }

  Result<std::shared_ptr<const DatabaseStatus>> Query() override {
    auto t0 = std::chrono::steady_clock::now();
    if (conn_ == nullptr) {
      if (Status s = Connect(); !s.ok()) return s;
    }
    auto out = std::make_shared<DatabaseStatus>();
    auto threads = Scalar("SHOW GLOBAL STATUS LIKE 'Threads_connected'");
    if (!threads.ok()) return threads.status();
    auto max = Scalar("SHOW GLOBAL VARIABLES LIKE 'max_connections'");
    if (!max.ok()) return max.status();
    out->threads_connected = threads.value();
    out->max_connections = max.value();
    out->latency_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return std::shared_ptr<const DatabaseStatus>(std::move(out));
  }

 private:
  Status Connect() {
    conn_ = mysql_init(nullptr);
    if (conn_ == nullptr) return Status::Error("mysql_init", "out of memory");
    unsigned int timeout = 5;
    mysql_options(conn_, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
    mysql_options(conn_, MYSQL_OPT_READ_TIMEOUT, &timeout);
    mysql_options(conn_, MYSQL_OPT_WRITE_TIMEOUT, &timeout);
    mysql_options(conn_, MYSQL_READ_DEFAULT_FILE, my_cnf_.c_str());
    mysql_options(conn_, MYSQL_READ_DEFAULT_GROUP, "client");
    if (mysql_real_connect(conn_, nullptr, nullptr, nullptr, nullptr, 0, nullptr, 0) == nullptr) {
      Status s = Status::Error("mysql_real_connect", mysql_error(conn_),
                               static_cast<int>(mysql_errno(conn_)));
      Close();
      return s;
    }
    return Status::Ok();
  }

  Result<uint64_t> Scalar(const char* sql) {
    if (mysql_query(conn_, sql) != 0) {
      Status s =
          Status::Error("mysql_query", mysql_error(conn_), static_cast<int>(mysql_errno(conn_)));
      Close();  // reconnect next time
      return s;
    }
    MYSQL_RES* res = mysql_store_result(conn_);
    if (res == nullptr) {
      Status s = Status::Error("mysql_store_result", mysql_error(conn_));
      Close();
      return s;
    }
    MYSQL_ROW row = mysql_fetch_row(res);
    uint64_t v = 0;
    bool ok = row != nullptr && mysql_num_fields(res) >= 2 && row[1] != nullptr;
    if (ok) v = std::strtoull(row[1], nullptr, 10);
    mysql_free_result(res);
    if (!ok) return Status::Error("mysql_query", fmt::format("no value for: {}", sql));
    return v;
  }

  void Close() {
    if (conn_ != nullptr) mysql_close(conn_);
    conn_ = nullptr;
  }

  std::string my_cnf_;
  MYSQL* conn_ = nullptr;
};

}  // namespace

Result<std::unique_ptr<DatabaseProbe>> NewMysqlProbe(const std::string& my_cnf) {
  if (::access(my_cnf.c_str(), R_OK) != 0) {
    return Status::Error("accounting-db.my-cnf",
                         fmt::format("cannot read {}: {}", my_cnf, std::strerror(errno)));
  }
  return std::unique_ptr<DatabaseProbe>(new MysqlProbe(my_cnf));
}

}  // namespace slurm_exporter
