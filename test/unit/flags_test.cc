#include "exporter/flags.h"

#include <gtest/gtest.h>

namespace slurm_exporter {
namespace {

const std::vector<CollectorChoice> kChoices = {{"nodes", "n", true},
                                               {"partitions", "p", true},
                                               {"jobs_by_user", "u", false},
                                               {"accounting_db", "d", false}};

Result<ExporterConfig> Parse(std::vector<std::string> args) { return ParseFlags(args, kChoices); }

TEST(FlagsTest, Defaults) {
  auto r = Parse({});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value().listen_address, ":9341");
  EXPECT_EQ(r.value().telemetry_path, "/metrics");
  EXPECT_EQ(r.value().poll_interval_seconds, 15);
  EXPECT_EQ(r.value().enabled_collectors, (std::vector<std::string>{"nodes", "partitions"}));
}

TEST(FlagsTest, ValuesWithEqualsOrSeparate) {
  auto r = Parse({"--web.listen-address=127.0.0.1:1234", "--slurm.poll-interval", "2s",
                  "--slurm.conf=/x/slurm.conf", "--log.level", "debug", "--web.telemetry-path=/m",
                  "--slurm.poll-timeout=90s", "--web.max-requests=3"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r.value().listen_address, "127.0.0.1:1234");
  EXPECT_EQ(r.value().poll_interval_seconds, 2);
  EXPECT_EQ(r.value().poll_timeout_seconds, 90);
  EXPECT_EQ(r.value().slurm_conf, "/x/slurm.conf");
  EXPECT_EQ(r.value().log_level, log::Level::kDebug);
  EXPECT_EQ(r.value().telemetry_path, "/m");
  EXPECT_EQ(r.value().max_requests, 3);
}

TEST(FlagsTest, CollectorSwitches) {
  auto r = Parse({"--no-collector.nodes", "--collector.jobs_by_user"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value().enabled_collectors, (std::vector<std::string>{"partitions", "jobs_by_user"}));
  r = Parse({"--collector.disable-defaults", "--collector.nodes"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value().enabled_collectors, (std::vector<std::string>{"nodes"}));
}

TEST(FlagsTest, ErrorsNameTheFlag) {
  struct {
    std::vector<std::string> args;
    const char* needle;
  } cases[] = {
      {{"--bogus"}, "--bogus: unknown flag"},
      {{"--collector.nope"}, "unknown collector 'nope' (known: nodes, partitions, jobs_by_user"},
      {{"--slurm.poll-interval=0s"}, "not a positive duration"},
      {{"--slurm.poll-interval=fast"}, "not a positive duration"},
      {{"--slurm.poll-interval"}, "needs a value"},
      {{"--web.listen-address=9341"}, "[HOST]:PORT"},
      // Octets past 255 once wrapped around (999.1.1.1 listened on 231.1.1.1).
      {{"--web.listen-address=999.1.1.1:19777"}, "'999.1.1.1' in '999.1.1.1:19777' is not an IPv4"},
      {{"--web.listen-address=slurm-host:9341"}, "is not an IPv4 address"},
      {{"--web.listen-address=:0"}, "port 0"},
      {{"--web.listen-address=:65536"}, "bad port"},
      {{"--web.listen-address=:http"}, "bad port"},
      {{"--web.listen-address=[::1:9341"}, "bad IPv6 host"},
      {{"--web.telemetry-path=metrics"}, "starting with /"},
      {{"--web.telemetry-path=/-/ready"}, "reserved"},
      {{"--web.max-requests=0"}, "1 to 1024"},
      {{"--log.level=loud"}, "debug, info, warn, error"},
      {{"positional"}, "unexpected argument"},
      {{"--collector.nodes=true"}, "takes no value"},
  };
  for (const auto& c : cases) {
    auto r = Parse(c.args);
    ASSERT_FALSE(r.ok()) << c.args[0];
    EXPECT_NE(r.status().message().find(c.needle), std::string::npos)
        << r.status().message() << " should contain " << c.needle;
  }
}

TEST(FlagsTest, AccountingDbNeedsCredentials) {
  auto r = Parse({"--accounting-db.my-cnf=/etc/exporter/my.cnf"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value().accounting_db_my_cnf, "/etc/exporter/my.cnf");
  EXPECT_EQ(r.value().enabled_collectors.back(), "accounting_db");
  r = Parse({"--accounting-db.my-cnf=/x", "--no-collector.accounting_db"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value().enabled_collectors, (std::vector<std::string>{"nodes", "partitions"}));
  r = Parse({"--collector.accounting_db"});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("needs --accounting-db.my-cnf"), std::string::npos);
}

TEST(FlagsTest, TlsFlags) {
  auto r = Parse({"--web.tls-cert-file=/c.pem", "--web.tls-key-file", "/k.pem",
                  "--web.tls-client-ca-file=/ca.pem", "--web.tls-min-version=TLS13"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r.value().tls.cert_file, "/c.pem");
  EXPECT_EQ(r.value().tls.key_file, "/k.pem");
  EXPECT_EQ(r.value().tls.client_ca_file, "/ca.pem");
  EXPECT_EQ(r.value().tls.min_version, "TLS13");
  EXPECT_TRUE(r.value().tls.enabled());
  EXPECT_FALSE(Parse({}).value().tls.enabled());
  EXPECT_EQ(Parse({}).value().tls.min_version, "TLS12");
  struct Case {
    std::vector<std::string> args;
    std::string want;
  };
  for (const auto& c : std::vector<Case>{
           {{"--web.tls-cert-file=/c.pem"}, "go together"},
           {{"--web.tls-key-file=/k.pem"}, "go together"},
           {{"--web.tls-client-ca-file=/ca.pem"}, "needs --web.tls-cert-file"},
           {{"--web.tls-min-version=TLS11"}, "TLS12 or TLS13"},
           {{"--web.tls-cert-file="}, "needs a path"},
       }) {
    auto bad = Parse(c.args);
    ASSERT_FALSE(bad.ok()) << c.args[0];
    EXPECT_NE(bad.status().message().find(c.want), std::string::npos) << bad.status().message();
  }
}

TEST(FlagsTest, UsageListsCollectors) {
  std::string u = Usage(kChoices);
  EXPECT_NE(u.find("jobs_by_user [off]"), std::string::npos) << u;
  EXPECT_NE(u.find("--web.listen-address"), std::string::npos);
}

}  // namespace
}  // namespace slurm_exporter
