// A parser of the text exposition format for tests: families with their HELP, TYPE and
// samples (labels in emitted order, escapes undone). Malformed lines fail the test.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace slurm_exporter::testing {

struct ParsedSample {
  std::string name;  // with any _bucket/_sum/_count suffix
  std::vector<std::pair<std::string, std::string>> labels;
  double value = 0;
};

struct ParsedFamily {
  std::string name, help, type;
  std::vector<ParsedSample> samples;
};

inline std::vector<ParsedFamily> ParseExposition(const std::string& text) {
  std::vector<ParsedFamily> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string::npos) {
      ADD_FAILURE() << "last line without a newline";
      eol = text.size();
    }
    std::string line = text.substr(pos, eol - pos);
    pos = eol + 1;
    if (line.rfind("# HELP ", 0) == 0) {
      ParsedFamily f;
      size_t sp = line.find(' ', 7);
      f.name = line.substr(7, sp - 7);
      f.help = sp == std::string::npos ? "" : line.substr(sp + 1);
      out.push_back(std::move(f));
      continue;
    }
    if (line.rfind("# TYPE ", 0) == 0) {
      if (out.empty()) {
        ADD_FAILURE() << "TYPE before HELP: " << line;
        continue;
      }
      out.back().type = line.substr(line.rfind(' ') + 1);
      continue;
    }
    if (line.empty() || line[0] == '#') continue;
    if (out.empty()) {
      ADD_FAILURE() << "sample before any family: " << line;
      continue;
    }
    ParsedSample s;
    size_t i = 0;
    while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
    s.name = line.substr(0, i);
    if (i < line.size() && line[i] == '{') {
      ++i;
      while (i < line.size() && line[i] != '}') {
        size_t eq = line.find('=', i);
        std::string key = line.substr(i, eq - i);
        i = eq + 2;  // past ="
        std::string value;
        while (i < line.size() && line[i] != '"') {
          if (line[i] == '\\' && i + 1 < line.size()) {
            ++i;
            value.push_back(line[i] == 'n' ? '\n' : line[i]);
          } else {
            value.push_back(line[i]);
          }
          ++i;
        }
        ++i;  // past the closing quote
        if (i < line.size() && line[i] == ',') ++i;
        s.labels.emplace_back(std::move(key), std::move(value));
      }
      ++i;  // past }
    }
    std::string v = line.substr(i + 1);
    if (v == "+Inf") {
      s.value = std::numeric_limits<double>::infinity();
    } else if (v == "-Inf") {
      s.value = -std::numeric_limits<double>::infinity();
    } else if (v == "Nan") {
      s.value = std::numeric_limits<double>::quiet_NaN();
    } else {
      char* end = nullptr;
      s.value = std::strtod(v.c_str(), &end);
      if (end == v.c_str() || *end != '\0') ADD_FAILURE() << "bad value in: " << line;
    }
    out.back().samples.push_back(std::move(s));
  }
  return out;
}

}  // namespace slurm_exporter::testing
