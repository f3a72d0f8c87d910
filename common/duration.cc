#include "common/duration.h"

#include <fmt/format.h>

#include <cctype>
#include <cmath>
#include <cstdint>

namespace slurm_exporter {

bool ParseDuration(std::string_view text, double* seconds) {
  if (text.empty()) return false;
  double total = 0;
  size_t i = 0;
  while (i < text.size()) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return false;
    uint64_t n = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      n = n * 10 + static_cast<uint64_t>(text[i] - '0');
      if (n > 1000000000000ULL) return false;
      ++i;
    }
    size_t u = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    std::string_view unit = text.substr(u, i - u);
    double mult;
    if (unit == "ms") {
      mult = 0.001;
    } else if (unit == "s") {
      mult = 1;
    } else if (unit == "m") {
      mult = 60;
    } else if (unit == "h") {
      mult = 3600;
    } else if (unit == "d") {
      mult = 86400;
    } else if (unit == "w") {
      mult = 604800;
    } else {
      return false;
    }
    total += static_cast<double>(n) * mult;
  }
  *seconds = total;
  return true;
}

std::string FormatDuration(double seconds) {
  if (seconds < 1 && seconds > 0) return fmt::format("{}ms", std::llround(seconds * 1000));
  auto s = static_cast<long long>(std::llround(seconds));
  std::string out;
  if (s >= 3600) {
    out += fmt::format("{}h", s / 3600);
    s %= 3600;
  }
  if (s >= 60) {
    out += fmt::format("{}m", s / 60);
    s %= 60;
  }
  if (s > 0 || out.empty()) out += fmt::format("{}s", s);
  return out;
}

}  // namespace slurm_exporter
