// libFuzzer target: replaying the audit log (a file that may be torn by a crash, hand-edited
// or damaged) must never crash or throw; every line is either applied or counted as skipped.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "alerts/remediator/ledger.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto ledger = slurm_remediator::Ledger::ReplayText(text);
  const size_t lines = static_cast<size_t>(std::count(text.begin(), text.end(), '\n')) + 1;
  if (ledger->replayed_lines() + ledger->skipped_lines() > lines) __builtin_trap();
  const auto& st = ledger->state();
  if (st.drain_times.size() > ledger->replayed_lines()) __builtin_trap();
  if (st.held.size() > st.drain_times.size()) __builtin_trap();
  for (const auto& a : ledger->TakePending()) (void)a.Key();
  return 0;
}
