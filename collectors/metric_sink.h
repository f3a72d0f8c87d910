// MetricSink: a small builder over prometheus-cpp's MetricFamily structs, used by collectors to
// emit fresh families on every poll (a vanished node simply stops appearing).
//
// Thread-safety: not thread-safe; one sink per collector run.
#pragma once

#include <prometheus/metric_family.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace slurm_exporter {

using Labels = std::vector<std::pair<std::string, std::string>>;

class MetricSink {
 public:
  // Starts a family; samples are added to the most recently started family.
  MetricSink& Gauge(std::string_view name, std::string_view help);
  MetricSink& Counter(std::string_view name, std::string_view help);
  MetricSink& Untyped(std::string_view name, std::string_view help);
  // Adds a sample to the current family.
  MetricSink& Add(double value, const Labels& labels = {});
  // Shorthand: a family with one unlabelled sample.
  MetricSink& Gauge(std::string_view name, std::string_view help, double value) {
    return Gauge(name, help).Add(value);
  }

  std::vector<prometheus::MetricFamily>& families() { return families_; }
  std::vector<prometheus::MetricFamily> Take() { return std::move(families_); }

 private:
  MetricSink& Start(std::string_view name, std::string_view help, prometheus::MetricType type);
  std::vector<prometheus::MetricFamily> families_;
};

}  // namespace slurm_exporter
