#include "collectors/slurm/text.h"

#include <charconv>

namespace slurm_exporter {
namespace {

bool ParseU64(std::string_view s, uint64_t* out) {
  if (s.empty()) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

}  // namespace

uint64_t TresCount(std::string_view tres, std::string_view key) {
  size_t start = 0;
  while (start <= tres.size()) {
    size_t end = tres.find(',', start);
    if (end == std::string_view::npos) end = tres.size();
    std::string_view item = tres.substr(start, end - start);
    size_t eq = item.find('=');
    if (eq != std::string_view::npos && item.substr(0, eq) == key) {
      uint64_t n = 0;
      std::string_view v = item.substr(eq + 1);
      // Counts may carry a unit suffix for memory-like TRES; GRES counts are plain numbers.
      size_t digits = 0;
      while (digits < v.size() && v[digits] >= '0' && v[digits] <= '9') ++digits;
      if (ParseU64(v.substr(0, digits), &n)) return n;
      return 0;
    }
    start = end + 1;
  }
  return 0;
}

uint64_t TresPerCount(std::string_view tres_per, std::string_view name) {
  uint64_t total = 0;
  size_t start = 0;
  while (start <= tres_per.size()) {
    size_t end = tres_per.find_first_of(",;", start);
    if (end == std::string_view::npos) end = tres_per.size();
    std::string_view item = tres_per.substr(start, end - start);
    start = end + 1;
    if (item.rfind("gres:", 0) == 0 || item.rfind("gres/", 0) == 0) {
      item = item.substr(5);
    } else {
      continue;
    }
    size_t colon = item.find(':');
    if (item.substr(0, colon) != name) continue;
    if (colon == std::string_view::npos) {
      total += 1;
      continue;
    }
    std::string_view last = item.substr(item.rfind(':') + 1);
    uint64_t n = 0;
    if (ParseU64(last, &n)) {
      total += n;
    } else if (item.find(':', colon + 1) == std::string_view::npos) {
      total += 1;  // "gres/gpu:a100": a type without a count
    }
  }
  return total;
}

uint64_t ArrayTaskCount(std::string_view expr) {
  if (auto pct = expr.find('%'); pct != std::string_view::npos) expr = expr.substr(0, pct);
  if (expr.empty()) return 0;
  uint64_t total = 0;
  size_t start = 0;
  while (start <= expr.size()) {
    size_t end = expr.find(',', start);
    if (end == std::string_view::npos) end = expr.size();
    std::string_view item = expr.substr(start, end - start);
    uint64_t step = 1;
    if (auto colon = item.find(':'); colon != std::string_view::npos) {
      if (!ParseU64(item.substr(colon + 1), &step) || step == 0) return 0;
      item = item.substr(0, colon);
    }
    uint64_t lo = 0, hi = 0;
    if (auto dash = item.find('-'); dash != std::string_view::npos) {
      if (!ParseU64(item.substr(0, dash), &lo) || !ParseU64(item.substr(dash + 1), &hi) ||
          hi < lo) {
        return 0;
      }
    } else {
      if (!ParseU64(item, &lo)) return 0;
      hi = lo;
    }
    // Slurm's task ids are below MaxArraySize (at most 4,000,001); larger ones are malformed
    // (and could overflow the count).
    if (hi > UINT32_MAX) return 0;
    total += (hi - lo) / step + 1;
    start = end + 1;
  }
  return total;
}

std::string ParseAuthInfoSocket(std::string_view authinfo) {
  size_t start = 0;
  while (start <= authinfo.size()) {
    size_t end = authinfo.find(',', start);
    if (end == std::string_view::npos) end = authinfo.size();
    std::string_view item = authinfo.substr(start, end - start);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    if (item.rfind("socket=", 0) == 0) return std::string(item.substr(7));
    start = end + 1;
  }
  return "";
}

std::string_view FirstPartition(std::string_view partitions) {
  return partitions.substr(0, partitions.find(','));
}

}  // namespace slurm_exporter
