#include "core/secret_box.hpp"

#include <gtest/gtest.h>

#include "core/encoding.hpp"

namespace axon {
namespace {

const std::string kKey(32, 'k');

TEST(SecretBox, KeyMustBe32Bytes) {
  EXPECT_FALSE(SecretBox::create(""));
  EXPECT_FALSE(SecretBox::create(std::string(31, 'k')));
  EXPECT_FALSE(SecretBox::create(std::string(33, 'k')));
  EXPECT_TRUE(SecretBox::create(kKey));
}

TEST(SecretBox, RoundTrip) {
  auto box = SecretBox::create(kKey);
  ASSERT_TRUE(box);
  SeededRandom random(1);
  for (std::string plain : {std::string(), std::string("whsec_abc"), std::string(5000, 'x'),
                            std::string("\0\xff bin", 6)}) {
    std::string sealed = box->seal(plain, random);
    EXPECT_TRUE(sealed.starts_with("v1:"));
    EXPECT_EQ(base64_decode(sealed.substr(3))->size(), 12 + plain.size() + 16);
    EXPECT_EQ(sealed.find(plain.empty() ? "\x01" : plain), std::string::npos);
    auto opened = box->open(sealed);
    ASSERT_TRUE(opened) << opened.error().message;
    EXPECT_EQ(*opened, plain);
  }
}

TEST(SecretBox, DistinctNonces) {
  auto box = SecretBox::create(kKey);
  SecureRandom random;
  std::string a = box->seal("same", random);
  std::string b = box->seal("same", random);
  EXPECT_NE(a, b);
  EXPECT_NE(base64_decode(a.substr(3))->substr(0, 12), base64_decode(b.substr(3))->substr(0, 12));
}

TEST(SecretBox, TamperingIsDetected) {
  auto box = SecretBox::create(kKey);
  SeededRandom random(2);
  std::string raw = *base64_decode(box->seal("whsec_secret", random).substr(3));
  for (std::size_t i = 0; i < raw.size(); ++i) {  // nonce, ciphertext and tag bytes
    std::string bad = raw;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    auto r = box->open("v1:" + base64_encode(bad));
    ASSERT_FALSE(r) << "byte " << i;
    EXPECT_EQ(r.error().code, Errc::internal);
    EXPECT_NE(r.error().message.find("authentication failed"), std::string::npos);
  }
  auto truncated = box->open("v1:" + base64_encode(raw.substr(0, raw.size() - 1)));
  EXPECT_FALSE(truncated);
}

TEST(SecretBox, WrongKeyFails) {
  auto box = SecretBox::create(kKey);
  auto other = SecretBox::create(std::string(32, 'K'));
  SeededRandom random(3);
  auto r = other->open(box->seal("hello", random));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::internal);
}

TEST(SecretBox, BadFormatFails) {
  auto box = SecretBox::create(kKey);
  for (const char* s : {"", "v1:", "v2:AAAA", "plain", "v1:!!!!", "v1:AAAA",
                        "v1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}) {
    auto r = box->open(s);
    EXPECT_FALSE(r) << s;
    if (!r) {
      EXPECT_EQ(r.error().code, Errc::internal);
    }
  }
}

}  // namespace
}  // namespace axon
