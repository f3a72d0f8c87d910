// libFuzzer target: the remediation policy parser (an operator-written file) must reject bad
// input with an error, never crash, and whatever it accepts must respect its own limits.
#include <cstddef>
#include <cstdint>
#include <string>

#include "alerts/remediator/policy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto p = slurm_remediator::ParsePolicy(text);
  if (p.ok()) {
    const auto& pol = p.value();
    if (pol.rules.empty() || pol.max_drained_nodes < 0 || pol.max_drained_fraction < 0 ||
        pol.max_drained_fraction > 1 || pol.max_partition_fraction < 0 ||
        pol.max_partition_fraction > 1 || pol.rate_limit_window_seconds <= 0) {
      __builtin_trap();
    }
    for (const auto& r : pol.rules) {
      if (r.alertname.empty() || r.node_label.empty()) __builtin_trap();
    }
  }
  return 0;
}
