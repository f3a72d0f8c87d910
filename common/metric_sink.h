// MetricSink: writes metric families straight into Prometheus text exposition format (0.0.4),
// the way prometheus-cpp's TextSerializer writes them (but with HELP escaped as the format
// asks, which prometheus-cpp 1.0 does not do), without building its MetricFamily
// structs first (at 10,000 nodes that was most of a poll's own time). Collectors emit fresh
// families on every poll (a vanished node simply stops appearing).
//
// Thread-safety: not thread-safe; one sink per collector run.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace slurm_exporter {

using Labels = std::vector<std::pair<std::string, std::string>>;

class MetricSink {
 public:
  // Starts a family (HELP and TYPE lines); samples are added to the most recently started one.
  MetricSink& Gauge(std::string_view name, std::string_view help);
  MetricSink& Counter(std::string_view name, std::string_view help);
  MetricSink& Untyped(std::string_view name, std::string_view help);
  // Adds a sample to the current family.
  MetricSink& Add(double value, const Labels& labels = {});
  // The same with one label, without building a Labels vector (per-node families).
  MetricSink& Add(double value, std::string_view key, std::string_view label_value);
  // Shorthand: a family with one unlabelled sample.
  MetricSink& Gauge(std::string_view name, std::string_view help, double value) {
    return Gauge(name, help).Add(value);
  }
  // Appends families already in text format (e.g. a histogram from prometheus-cpp).
  void AppendText(std::string_view text);
  void Reserve(size_t bytes) { text_.reserve(bytes); }

  const std::string& text() const { return text_; }
  std::string TakeText() { return std::move(text_); }
  bool empty() const { return text_.empty(); }

  // The exposition format of one value: as printf's %.16g, "+Inf", "-Inf", "Nan".
  static void AppendValue(std::string& out, double value);

 private:
  MetricSink& Start(std::string_view name, std::string_view help, std::string_view type);
  void BeginSample();
  void AppendLabel(bool first, std::string_view key, std::string_view value);
  void EndSample(bool labelled, double value);
  std::string text_;
  std::string name_;  // of the current family
};

}  // namespace slurm_exporter
