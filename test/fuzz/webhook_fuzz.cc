// libFuzzer target: the Alertmanager webhook parser must never crash, hang or leak on any
// input, and whatever it accepts must be internally consistent.
#include <cstddef>
#include <cstdint>
#include <string>

#include "alerts/remediator/webhook.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string body(reinterpret_cast<const char*>(data), size);
  auto m = slurm_remediator::ParseWebhook(body);
  if (m.ok()) {
    for (const auto& a : m.value().alerts) {
      if (a.status != "firing" && a.status != "resolved") __builtin_trap();
      if (a.fingerprint.empty() || a.Name().empty()) __builtin_trap();
      (void)a.Key();
    }
  }
  return 0;
}
