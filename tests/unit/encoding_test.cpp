#include "core/encoding.hpp"

#include <gtest/gtest.h>

#include "core/random.hpp"

namespace axon {
namespace {

TEST(Hex, Encode) {
  EXPECT_EQ(hex_encode(""), "");
  EXPECT_EQ(hex_encode(std::string("\x00\x01\xab\xff", 4)), "0001abff");
}

TEST(Base64, Rfc4648Vectors) {
  const std::pair<const char*, const char*> cases[] = {{"", ""},
                                                       {"f", "Zg=="},
                                                       {"fo", "Zm8="},
                                                       {"foo", "Zm9v"},
                                                       {"foob", "Zm9vYg=="},
                                                       {"fooba", "Zm9vYmE="},
                                                       {"foobar", "Zm9vYmFy"}};
  for (auto [plain, enc] : cases) {
    EXPECT_EQ(base64_encode(plain), enc);
    auto back = base64_decode(enc);
    ASSERT_TRUE(back) << enc;
    EXPECT_EQ(*back, plain);
  }
}

TEST(Base64, DecodeRejectsMalformed) {
  for (const char* bad : {"Zg", "Zg=", "Z===", "Zm9v!", "Zm 9v", "Zm9v\n", "=Zm9", "Zm=v",
                          "Zh==" /* non-zero leftover bits */, "Zm9-", "Zm9_"}) {
    EXPECT_FALSE(base64_decode(bad)) << bad;
  }
}

TEST(Base64Url, NoPaddingAndUrlAlphabet) {
  std::string bytes("\xfb\xff\xfe", 3);
  EXPECT_EQ(base64_encode(bytes), "+//+");
  EXPECT_EQ(base64url_encode(bytes), "-__-");
  EXPECT_EQ(base64url_encode("f"), "Zg");
  EXPECT_EQ(*base64url_decode("-__-"), bytes);
  EXPECT_EQ(*base64url_decode("Zm8"), "fo");
  EXPECT_FALSE(base64url_decode("Zg=="));
  EXPECT_FALSE(base64url_decode("+//+"));
  EXPECT_FALSE(base64url_decode("Z"));
}

TEST(Base64, RandomRoundTrip) {
  SeededRandom random(1);
  for (std::size_t n = 0; n < 70; ++n) {
    std::string bytes = random.bytes(n);
    EXPECT_EQ(*base64_decode(base64_encode(bytes)), bytes);
    EXPECT_EQ(*base64url_decode(base64url_encode(bytes)), bytes);
  }
}

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(ConstantTimeEqual, Compares) {
  EXPECT_TRUE(constant_time_equal("", ""));
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "abcd"));
  EXPECT_FALSE(constant_time_equal("", "a"));
}

}  // namespace
}  // namespace axon
