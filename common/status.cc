#include "common/status.h"

#include <fmt/format.h>

namespace slurm_exporter {

std::string Status::ToString() const {
  if (ok()) return "ok";
  if (code_ != 0) return fmt::format("{}: {} (code {})", op_, message_, code_);
  return fmt::format("{}: {}", op_, message_);
}

}  // namespace slurm_exporter
