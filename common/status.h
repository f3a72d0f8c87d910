// Status and Result<T>: errors as cheap values at the boundaries of the program (Slurm calls,
// configuration, HTTP). A Status names the operation that failed and carries a human-readable
// message (for Slurm: slurm_strerror of the error code) plus the numeric code.
//
// Thread-safety: plain values; copies may be used from any thread.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace slurm_exporter {

class Status {
 public:
  Status() = default;  // OK
  static Status Ok() { return Status(); }
  static Status Error(std::string op, std::string message, int code = 0) {
    return Status(std::move(op), std::move(message), code);
  }

  bool ok() const { return !failed_; }
  const std::string& op() const { return op_; }
  const std::string& message() const { return message_; }
  int code() const { return code_; }
  // "op: message (code N)" or "ok".
  std::string ToString() const;

 private:
  Status(std::string op, std::string message, int code)
      : failed_(true), op_(std::move(op)), message_(std::move(message)), code_(code) {}
  bool failed_ = false;
  std::string op_;
  std::string message_;
  int code_ = 0;
};

// Either a value or a non-OK Status.
template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}         // NOLINT(google-explicit-constructor)
  Result(Status status) : v_(std::move(status)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return std::holds_alternative<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T& value() & { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  // The error; Status::Ok() when a value is held.
  Status status() const { return ok() ? Status::Ok() : std::get<Status>(v_); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace slurm_exporter
