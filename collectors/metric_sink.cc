#include "collectors/metric_sink.h"

#include <stdexcept>

namespace slurm_exporter {

MetricSink& MetricSink::Start(std::string_view name, std::string_view help,
                              prometheus::MetricType type) {
  prometheus::MetricFamily f;
  f.name = std::string(name);
  f.help = std::string(help);
  f.type = type;
  families_.push_back(std::move(f));
  return *this;
}

MetricSink& MetricSink::Gauge(std::string_view name, std::string_view help) {
  return Start(name, help, prometheus::MetricType::Gauge);
}
MetricSink& MetricSink::Counter(std::string_view name, std::string_view help) {
  return Start(name, help, prometheus::MetricType::Counter);
}
MetricSink& MetricSink::Untyped(std::string_view name, std::string_view help) {
  return Start(name, help, prometheus::MetricType::Untyped);
}

MetricSink& MetricSink::Add(double value, const Labels& labels) {
  if (families_.empty()) throw std::logic_error("MetricSink::Add before a family was started");
  prometheus::MetricFamily& f = families_.back();
  prometheus::ClientMetric m;
  m.label.reserve(labels.size());
  for (const auto& [k, v] : labels) m.label.push_back({k, v});
  switch (f.type) {
    case prometheus::MetricType::Counter:
      m.counter.value = value;
      break;
    case prometheus::MetricType::Gauge:
      m.gauge.value = value;
      break;
    default:
      m.untyped.value = value;
  }
  f.metric.push_back(std::move(m));
  return *this;
}

}  // namespace slurm_exporter
