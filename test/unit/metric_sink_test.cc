// MetricSink writes the same bytes as prometheus-cpp's TextSerializer for the same families:
// escapes in HELP and label values, special and random values, families without samples.
#include "common/metric_sink.h"

#include <gtest/gtest.h>
#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

#include <limits>
#include <random>

#include "test/exposition_parse.h"

namespace slurm_exporter {
namespace {

struct Family {
  std::string name, help;
  prometheus::MetricType type;
  std::vector<std::pair<double, Labels>> samples;
};

std::string WithSink(const std::vector<Family>& fams) {
  MetricSink sink;
  for (const auto& f : fams) {
    if (f.type == prometheus::MetricType::Counter) {
      sink.Counter(f.name, f.help);
    } else if (f.type == prometheus::MetricType::Gauge) {
      sink.Gauge(f.name, f.help);
    } else {
      sink.Untyped(f.name, f.help);
    }
    for (const auto& [v, l] : f.samples) sink.Add(v, l);
  }
  return sink.TakeText();
}

std::string WithPrometheusCpp(const std::vector<Family>& fams) {
  std::vector<prometheus::MetricFamily> out;
  for (const auto& f : fams) {
    prometheus::MetricFamily mf;
    mf.name = f.name;
    mf.help = f.help;
    mf.type = f.type;
    for (const auto& [v, l] : f.samples) {
      prometheus::ClientMetric m;
      for (const auto& [k, lv] : l) m.label.push_back({k, lv});
      m.counter.value = m.gauge.value = m.untyped.value = v;
      mf.metric.push_back(m);
    }
    out.push_back(mf);
  }
  return prometheus::TextSerializer().Serialize(out);
}

// "" when equal; otherwise the first differing line of each.
std::string FirstDifference(const std::string& a, const std::string& b) {
  if (a == b) return "";
  size_t i = 0;
  while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
  auto line = [i](const std::string& s) {
    size_t start = s.rfind('\n', i == 0 ? 0 : i - 1);
    start = start == std::string::npos ? 0 : start + 1;
    return s.substr(start, s.find('\n', start) - start);
  };
  return "sink: '" + line(a) + "' vs prometheus-cpp: '" + line(b) + "'";
}

TEST(MetricSinkTest, SameBytesAsPrometheusCppOnEdgeCases) {
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<Family> fams = {
      {"a_total",
       "Help with \"quotes\" and {braces}.",
       prometheus::MetricType::Counter,
       {{1, {}}, {2.5, {{"x", "y"}}}}},
      {"b",
       "g",
       prometheus::MetricType::Gauge,
       {{0, {{"v", "quote\" back\\slash\nnewline"}}},
        {-0.0, {{"a", ""}, {"b", "é ü 中"}}},
        {inf, {{"k", "1"}}},
        {-inf, {{"k", "2"}}},
        {1e-300, {}},
        {123456789012345678.0, {}},
        {0.1, {}},
        {1.0 / 3, {}},
        {-42, {}},
        {999999999999999.0, {}},
        {1e15, {}},
        {-999999999999999.0, {}},
        {9007199254740993.0, {}},
        {4294967296.0 * 1024, {}}}},
      {"c_empty", "no samples", prometheus::MetricType::Gauge, {}},
      {"d", "untyped", prometheus::MetricType::Untyped, {{7, {{"p", "q"}}}}},
  };
  EXPECT_EQ(FirstDifference(WithSink(fams), WithPrometheusCpp(fams)), "");
}

TEST(MetricSinkTest, SameBytesOnRandomValues) {
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> scale(-30, 30);
  Family f{"r", "random", prometheus::MetricType::Gauge, {}};
  for (int i = 0; i < 20000; ++i) {
    double v = static_cast<double>(static_cast<int64_t>(rng())) * std::pow(10.0, scale(rng));
    if (i % 3 == 0) v = static_cast<double>(rng() % 100000);
    f.samples.push_back({v, {{"i", std::to_string(i)}}});
  }
  EXPECT_EQ(FirstDifference(WithSink({f}), WithPrometheusCpp({f})), "");
}

TEST(MetricSinkTest, HelpIsEscapedAsTheFormatSays) {
  // prometheus-cpp 1.0 writes HELP verbatim (a newline would break the exposition).
  MetricSink sink;
  sink.Gauge("h", "back\\slash\nnewline", 1);
  EXPECT_EQ(sink.text(), "# HELP h back\\\\slash\\nnewline\n# TYPE h gauge\nh 1\n");
}

TEST(MetricSinkTest, OneLabelOverloadWritesTheSameAsLabels) {
  MetricSink a, b;
  a.Gauge("g", "h").Add(3, {{"node", "n\"1"}}).Add(-0.0, {{"node", "x"}}).Add(1e15, {{"node", ""}});
  b.Gauge("g", "h").Add(3, "node", "n\"1").Add(-0.0, "node", "x").Add(1e15, "node", "");
  EXPECT_EQ(a.text(), b.text());
  EXPECT_EQ(b.text(),
            "# HELP g h\n# TYPE g gauge\ng{node=\"n\\\"1\"} 3\ng{node=\"x\"} -0\ng{node=\"\"} "
            "1000000000000000\n");
}

TEST(MetricSinkTest, NanAndParsesBack) {
  MetricSink sink;
  sink.Gauge("n", "h").Add(std::numeric_limits<double>::quiet_NaN(), {{"l", "a\"b"}});
  EXPECT_EQ(sink.text(), "# HELP n h\n# TYPE n gauge\nn{l=\"a\\\"b\"} Nan\n");
  auto fams = testing::ParseExposition(sink.text());
  ASSERT_EQ(fams.size(), 1u);
  EXPECT_EQ(fams[0].samples[0].labels[0].second, "a\"b");
}

TEST(MetricSinkTest, AddBeforeAFamilyThrows) {
  MetricSink sink;
  EXPECT_THROW(sink.Add(1), std::logic_error);
  sink.AppendText("# HELP x y\n# TYPE x gauge\nx 1\n");
  EXPECT_THROW(sink.Add(1), std::logic_error) << "appended text ends the current family";
}

}  // namespace
}  // namespace slurm_exporter
