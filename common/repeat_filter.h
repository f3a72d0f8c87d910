// RepeatFilter: decides whether a repeated message is worth logging again. The first time a key
// is seen it passes; later it passes at most once per window, carrying how many times it was
// held back in between. Keys are bounded: past `max_keys` the table starts over.
//
// Thread-safety: none; one owner.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

namespace slurm_exporter {

class RepeatFilter {
 public:
  explicit RepeatFilter(double window_seconds = 3600, size_t max_keys = 512)
      : window_(window_seconds), max_keys_(max_keys) {}

  struct Decision {
    bool emit = false;
    uint64_t suppressed = 0;  // times held back since it was last emitted
  };
  Decision Check(std::string_view key, double now);

  // The key of a message: its text with every run of digits replaced by one '#', so that
  // ports, ids and times do not make each occurrence new.
  static std::string KeyOf(std::string_view text);

 private:
  struct Entry {
    double last_emitted = 0;
    uint64_t suppressed = 0;
  };
  double window_;
  size_t max_keys_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace slurm_exporter
