// libFuzzer target: the parsers of text that libslurm hands over (TRES and GRES strings, array
// task expressions, AuthInfo) and of durations in flags must never crash or read out of bounds.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "collectors/slurm/gres.h"
#include "collectors/slurm/text.h"
#include "common/duration.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The first byte picks the key; the rest is the text, copied so that ASan sees its end.
  if (size == 0) return 0;
  static const char* kKeys[] = {"gpu", "gres/gpu", "cpu", "mem", "", "mps"};
  const std::string key = kKeys[data[0] % 6];
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  using namespace slurm_exporter;
  (void)TresCount(text, key);
  (void)TresPerCount(text, key);
  (void)GresCount(text, key);
  const uint64_t tasks = ArrayTaskCount(text);
  if (tasks > (uint64_t{1} << 32) * (text.size() + 1)) __builtin_trap();
  (void)FirstPartition(text);
  (void)ParseAuthInfoSocket(text);
  double secs = 0;
  if (ParseDuration(text, &secs) && !(secs >= 0)) __builtin_trap();
  return 0;
}
