#include "common/repeat_filter.h"

#include <cctype>

namespace slurm_exporter {

RepeatFilter::Decision RepeatFilter::Check(std::string_view key, double now) {
  auto it = entries_.find(std::string(key));
  if (it == entries_.end()) {
    if (entries_.size() >= max_keys_) entries_.clear();
    entries_.emplace(std::string(key), Entry{now, 0});
    return {true, 0};
  }
  Entry& e = it->second;
  if (now - e.last_emitted < window_) {
    ++e.suppressed;
    return {false, e.suppressed};
  }
  Decision d{true, e.suppressed};
  e = Entry{now, 0};
  return d;
}

std::string RepeatFilter::KeyOf(std::string_view text) {
  std::string key;
  key.reserve(text.size());
  bool in_digits = false;
  for (char c : text) {
    const bool digit = std::isdigit(static_cast<unsigned char>(c)) != 0;
    if (digit && !in_digits) key += '#';
    if (!digit) key += c;
    in_digits = digit;
  }
  return key;
}

}  // namespace slurm_exporter
