#include "common/auth.h"

#include <crypt.h>
#include <gtest/gtest.h>

#include <algorithm>

namespace slurm_exporter {
namespace {

std::string Bcrypt(const std::string& password) {
  char salt[CRYPT_GENSALT_OUTPUT_SIZE];
  EXPECT_NE(crypt_gensalt_rn("$2b$", 5, nullptr, 0, salt, sizeof(salt)), nullptr);
  crypt_data data{};
  return crypt_r(password.c_str(), salt, &data);
}

std::string Basic(const std::string& user_pass) {
  static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  int val = 0, bits = -6;
  for (unsigned char c : user_pass) {
    val = (val << 8) + c;
    bits += 8;
    while (bits >= 0) {
      out.push_back(k[(val >> bits) & 0x3F]);
      bits -= 6;
    }
  }
  if (bits > -6) out.push_back(k[((val << 8) >> (bits + 8)) & 0x3F]);
  while (out.size() % 4) out.push_back('=');
  return "Basic " + out;
}

TEST(AuthTest, DisabledAllowsEverything) {
  Auth a;
  EXPECT_FALSE(a.enabled());
  EXPECT_TRUE(a.Check(""));
}

TEST(AuthTest, BearerToken) {
  Auth a;
  a.set_token("s3cret");
  EXPECT_TRUE(a.Check("Bearer s3cret"));
  EXPECT_FALSE(a.Check("Bearer s3cre"));
  EXPECT_FALSE(a.Check("Bearer s3cret2"));
  EXPECT_FALSE(a.Check(""));
  EXPECT_FALSE(a.Check(Basic("x:s3cret")));
}

TEST(AuthTest, BasicAgainstBcrypt) {
  auto users = Auth::ParseBasicAuthUsers("# users\nprometheus: " + Bcrypt("pa:ss word") +
                                         "\nalice:'" + Bcrypt("other") + "'\n");
  ASSERT_TRUE(users.ok()) << users.status().ToString();
  Auth a;
  a.set_users(users.value());
  EXPECT_TRUE(a.Check(Basic("prometheus:pa:ss word")));
  EXPECT_TRUE(a.Check(Basic("alice:other")));
  EXPECT_FALSE(a.Check(Basic("prometheus:wrong")));
  EXPECT_FALSE(a.Check(Basic("mallory:pa:ss word")));
  EXPECT_FALSE(a.Check("Basic !!!"));
  EXPECT_FALSE(a.Check("Bearer anything"));
  // Long credentials decode exactly (every byte value, lengths around the 3-byte groups).
  for (size_t len : {1u, 2u, 3u, 4u, 71u, 72u, 73u}) {
    std::string pw;
    for (size_t i = 0; i < len; ++i) pw.push_back(static_cast<char>(1 + (i * 37) % 255));
    Auth b;
    b.set_users({{"u", Bcrypt(pw)}});
    EXPECT_TRUE(b.Check(Basic("u:" + pw))) << len;
    std::string other = pw;
    other[std::min<size_t>(len, 72) - 1] ^= 1;  // bcrypt reads the first 72 bytes only
    EXPECT_FALSE(b.Check(Basic("u:" + other))) << len;
  }
}

TEST(AuthTest, BasicAuthFileErrors) {
  EXPECT_FALSE(Auth::ParseBasicAuthUsers("").ok());
  auto r = Auth::ParseBasicAuthUsers("bob: plaintext");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("not a bcrypt hash"), std::string::npos);
  EXPECT_EQ(r.status().message().find("plaintext"), std::string::npos) << "no secret in errors";
  EXPECT_FALSE(Auth::ParseBasicAuthUsers("no colon here").ok());
}

}  // namespace
}  // namespace slurm_exporter
