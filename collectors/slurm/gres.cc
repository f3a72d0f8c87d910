#include "collectors/slurm/gres.h"

#include <charconv>

namespace slurm_exporter {
namespace {

uint64_t ItemCount(std::string_view item, std::string_view name) {
  if (auto paren = item.find('('); paren != std::string_view::npos) item = item.substr(0, paren);
  // name[:type][:count]
  auto colon = item.find(':');
  if (item.substr(0, colon) != name) return 0;
  if (colon == std::string_view::npos) return 1;
  std::string_view rest = item.substr(colon + 1);
  std::string_view last = rest;
  if (auto c = rest.rfind(':'); c != std::string_view::npos) last = rest.substr(c + 1);
  uint64_t n = 0;
  auto [ptr, ec] = std::from_chars(last.data(), last.data() + last.size(), n);
  if (ec == std::errc() && ptr == last.data() + last.size()) return n;
  // "gpu:type" without count: one device, unless the part was meant as a malformed count.
  return last == rest ? 1 : 0;
}

// Calls fn(item) for each top-level item of a GRES string (commas inside parentheses belong
// to the item).
template <typename Fn>
void ForEachItem(std::string_view gres, Fn fn) {
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i <= gres.size(); ++i) {
    char c = i < gres.size() ? gres[i] : ',';
    if (c == '(') ++depth;
    if (c == ')' && depth > 0) --depth;
    if (c == ',' && depth == 0) {
      if (i > start) fn(gres.substr(start, i - start));
      start = i + 1;
    }
  }
}

// The type of a "name:type[:count]" item; "" when untyped ("name" or "name:count").
std::string_view ItemType(std::string_view item) {
  if (auto paren = item.find('('); paren != std::string_view::npos) item = item.substr(0, paren);
  auto colon = item.find(':');
  if (colon == std::string_view::npos) return {};
  std::string_view rest = item.substr(colon + 1);
  std::string_view type = rest.substr(0, rest.find(':'));
  uint64_t n = 0;
  auto [ptr, ec] = std::from_chars(type.data(), type.data() + type.size(), n);
  if (ec == std::errc() && ptr == type.data() + type.size()) return {};  // "name:count"
  return type;
}

}  // namespace

std::vector<std::pair<std::string, uint64_t>> GresByType(std::string_view gres,
                                                         std::string_view name) {
  std::vector<std::pair<std::string, uint64_t>> out;
  ForEachItem(gres, [&](std::string_view item) {
    std::string_view type = ItemType(item);
    if (type.empty()) return;
    const uint64_t n = ItemCount(item, name);
    if (n == 0) return;
    for (auto& [t, count] : out) {
      if (t == type) {
        count += n;
        return;
      }
    }
    out.emplace_back(std::string(type), n);
  });
  return out;
}

uint64_t GresCount(std::string_view gres, std::string_view name) {
  uint64_t total = 0;
  ForEachItem(gres, [&](std::string_view item) { total += ItemCount(item, name); });
  return total;
}

}  // namespace slurm_exporter
