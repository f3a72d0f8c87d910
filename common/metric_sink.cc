#include "common/metric_sink.h"

#include <charconv>
#include <cmath>
#include <stdexcept>

namespace slurm_exporter {
namespace {

// Backslash and newline escaped, and double quotes too in label values (HELP keeps them).
void AppendEscaped(std::string& out, std::string_view text, bool quotes) {
  if (text.find_first_of(quotes ? "\\\n\"" : "\\\n") == std::string_view::npos) {
    out += text;  // the usual case: nothing to escape
    return;
  }
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && quotes) {
      out += "\\\"";
    } else {
      out.push_back(c);
    }
  }
}

}  // namespace

void MetricSink::AppendValue(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "Nan";
  } else if (std::isinf(value)) {
    out += value < 0 ? "-Inf" : "+Inf";
  } else if (value == static_cast<double>(static_cast<int64_t>(value)) && value > -1e15 &&
             value < 1e15 && !(value == 0 && std::signbit(value))) {
    // Integers below 10^15 print as their digits under %.16g too; this is the faster path.
    char buf[24];
    auto [ptr, ec] = std::to_chars(buf, buf + sizeof(buf), static_cast<int64_t>(value));
    out.append(buf, static_cast<size_t>(ptr - buf));
  } else {
    // 16 significant digits, like printf("%.16g") in prometheus-cpp's serializer, so that
    // the text is the same as before; to_chars is the fast, locale-free way to write it.
    char buf[64];
    auto [ptr, ec] = std::to_chars(buf, buf + sizeof(buf), value, std::chars_format::general, 16);
    out.append(buf, ec == std::errc() ? static_cast<size_t>(ptr - buf) : 0);
  }
}

MetricSink& MetricSink::Start(std::string_view name, std::string_view help, std::string_view type) {
  name_.assign(name);
  text_ += "# HELP ";
  text_ += name;
  text_.push_back(' ');
  AppendEscaped(text_, help, /*quotes=*/false);
  text_ += "\n# TYPE ";
  text_ += name;
  text_.push_back(' ');
  text_ += type;
  text_.push_back('\n');
  return *this;
}

MetricSink& MetricSink::Gauge(std::string_view name, std::string_view help) {
  return Start(name, help, "gauge");
}
MetricSink& MetricSink::Counter(std::string_view name, std::string_view help) {
  return Start(name, help, "counter");
}
MetricSink& MetricSink::Untyped(std::string_view name, std::string_view help) {
  return Start(name, help, "untyped");
}

void MetricSink::BeginSample() {
  if (name_.empty()) throw std::logic_error("MetricSink::Add before a family was started");
  text_ += name_;
}

void MetricSink::AppendLabel(bool first, std::string_view key, std::string_view value) {
  text_.push_back(first ? '{' : ',');
  text_ += key;
  text_ += "=\"";
  AppendEscaped(text_, value, /*quotes=*/true);
  text_.push_back('"');
}

void MetricSink::EndSample(bool labelled, double value) {
  text_ += labelled ? "} " : " ";
  AppendValue(text_, value);
  text_.push_back('\n');
}

MetricSink& MetricSink::Add(double value, const Labels& labels) {
  BeginSample();
  for (size_t i = 0; i < labels.size(); ++i) {
    AppendLabel(i == 0, labels[i].first, labels[i].second);
  }
  EndSample(!labels.empty(), value);
  return *this;
}

MetricSink& MetricSink::Add(double value, std::string_view key, std::string_view label_value) {
  BeginSample();
  AppendLabel(true, key, label_value);
  EndSample(true, value);
  return *this;
}

void MetricSink::AppendText(std::string_view text) {
  text_ += text;
  name_.clear();
}

}  // namespace slurm_exporter
