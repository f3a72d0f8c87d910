// Interned: an immutable string stored once per process and held by pointer. Job tables repeat
// a few distinct values (users, accounts, partitions, pending reasons) over 100,000 records; a
// pointer per field instead of a std::string makes a record a third of the size and copies
// free. Values of equal text are the same pointer.
//
// The table only grows: it holds each distinct value ever interned, which for these fields is
// bounded by the cluster's users, accounts, partitions and Slurm's reasons.
//
// Thread-safety: interning takes a lock; reading an Interned is free and safe from any thread.
#pragma once

#include <ostream>
#include <string>
#include <string_view>

namespace slurm_exporter {

class Interned {
 public:
  Interned();                       // ""
  Interned(std::string_view text);  // NOLINT: implicit, as a std::string would be
  Interned(const char* text) : Interned(std::string_view(text ? text : "")) {}  // NOLINT
  Interned(const std::string& text) : Interned(std::string_view(text)) {}       // NOLINT

  const std::string& str() const { return *s_; }
  operator const std::string&() const { return *s_; }  // NOLINT: reads as the string
  bool empty() const { return s_->empty(); }

  friend bool operator==(const Interned& a, const Interned& b) { return a.s_ == b.s_; }
  friend bool operator==(const Interned& a, std::string_view b) { return *a.s_ == b; }
  friend bool operator==(const Interned& a, const char* b) { return *a.s_ == b; }
  friend bool operator==(const Interned& a, const std::string& b) { return *a.s_ == b; }
  friend std::ostream& operator<<(std::ostream& os, const Interned& v) { return os << *v.s_; }

 private:
  const std::string* s_;
};

}  // namespace slurm_exporter
