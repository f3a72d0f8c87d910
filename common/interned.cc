#include "common/interned.h"

#include <mutex>
#include <unordered_set>

namespace slurm_exporter {
namespace {

struct Hash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

struct Table {
  std::mutex mu;
  // Node-based: pointers to the values stay valid as it grows. Looked up by string_view.
  std::unordered_set<std::string, Hash, std::equal_to<>> values;
  const std::string* empty = &*values.emplace().first;
};

Table& TheTable() {
  static Table* t = new Table();  // never destroyed: Interned values outlive static destructors
  return *t;
}

}  // namespace

Interned::Interned() : s_(TheTable().empty) {}

Interned::Interned(std::string_view text) {
  Table& t = TheTable();
  if (text.empty()) {
    s_ = t.empty;
    return;
  }
  std::lock_guard<std::mutex> lock(t.mu);
  auto it = t.values.find(text);
  if (it == t.values.end()) it = t.values.emplace(text).first;
  s_ = &*it;
}

}  // namespace slurm_exporter
