// Text in parts shared between owners: a response body made of large pieces that several
// responses (or several expositions) hold at once, sent one after another and never joined on
// the way out.
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace slurm_exporter {

struct SharedText {
  std::vector<std::shared_ptr<const std::string>> parts;

  // Appends a part; empty or null parts are dropped.
  void Append(std::shared_ptr<const std::string> part) {
    if (part && !part->empty()) parts.push_back(std::move(part));
  }
  void Append(std::string text) {
    if (!text.empty()) parts.push_back(std::make_shared<const std::string>(std::move(text)));
  }
  size_t size() const {
    size_t n = 0;
    for (const auto& p : parts) n += p->size();
    return n;
  }
  bool empty() const { return parts.empty(); }
  // The parts as one string (a copy: for tests and callers that need contiguous text).
  std::string Joined() const {
    std::string out;
    out.reserve(size());
    for (const auto& p : parts) out += *p;
    return out;
  }
};

}  // namespace slurm_exporter
