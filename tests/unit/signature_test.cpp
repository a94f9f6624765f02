#include "core/signature.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/encoding.hpp"

namespace axon {
namespace {

constexpr std::string_view kSecret = "whsec_dGVzdHNlY3JldHRlc3RzZWNyZXR0ZXN0c2VjcmV0";
constexpr std::string_view kSecret2 = "whsec_bmV3c2VjcmV0bmV3c2VjcmV0bmV3c2VjcmV0";
constexpr std::string_view kBody = R"({"id":"evt_1","type":"order.updated"})";

// Computed independently with:
//   printf '%s' '1700000000.{"id":"evt_1","type":"order.updated"}' | openssl dgst -sha256 -hmac
//   'whsec_dGVzdHNlY3JldHRlc3RzZWNyZXR0ZXN0c2VjcmV0'
constexpr std::string_view kAxonV1 =
    "886ac369d91fd892b8c2762250dd5c86aaefd122ea635cee6067aca1c1e15cc3";
//   printf '%s' '1700000000.{"id":"evt_1","type":"order.updated"}' | openssl dgst -sha256 -hmac
//   'whsec_bmV3c2VjcmV0bmV3c2VjcmV0bmV3c2VjcmV0'
constexpr std::string_view kAxonV1Secret2 =
    "aeb0b007abe035c2cb2772362e67f29a68830f6895c341fab9ea59ef16a86c6a";

TEST(Hmac, Rfc4231TestCase2) {
  EXPECT_EQ(hex_encode(hmac_sha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(AxonSignature, MatchesOpensslVector) {
  std::vector<std::string> secrets{std::string(kSecret)};
  EXPECT_EQ(axon_signature_header(secrets, 1700000000, kBody),
            "t=1700000000,v1=" + std::string(kAxonV1));
}

TEST(AxonSignature, OneV1PerSecretNewestFirst) {
  std::vector<std::string> secrets{std::string(kSecret), std::string(kSecret2)};
  EXPECT_EQ(axon_signature_header(secrets, 1700000000, kBody),
            "t=1700000000,v1=" + std::string(kAxonV1) + ",v1=" + std::string(kAxonV1Secret2));
}

TEST(AxonSignature, KeyIsTheWholeSecretString) {
  // Using the decoded bytes (the Standard Webhooks key) must give a different value.
  auto decoded = base64_decode(kSecret.substr(6));
  ASSERT_TRUE(decoded);
  EXPECT_NE(hex_encode(hmac_sha256(*decoded, "1700000000." + std::string(kBody))), kAxonV1);
}

TEST(StandardSignature, OfficialSpecVector) {
  // From the standard-webhooks spec repository.
  std::vector<std::string> secrets{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"};
  EXPECT_EQ(standard_signature_header(secrets, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
                                      R"({"test": 2432232314})"),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

TEST(StandardSignature, OpensslVectorAndRotation) {
  // printf '%s' 'msg_1.1700000000.{"a":1}' | openssl dgst -sha256 -mac HMAC -macopt hexkey:$(printf
  // 'testsecrettestsecrettestsecret' | xxd -p) -binary | base64
  std::vector<std::string> secrets{std::string(kSecret), "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"};
  std::string header = standard_signature_header(secrets, "msg_1", 1700000000, R"({"a":1})");
  ASSERT_TRUE(header.starts_with("v1,Y880dhJrVMD/8IA3Ukrqrx3AQ++wpJY/kxW85BT6Veo= v1,"));
  EXPECT_EQ(header.find(' '), header.rfind(' '));  // exactly two entries
}

TEST(StandardSignature, SkipsUndecodableSecrets) {
  std::vector<std::string> secrets{"whsec_not*base64", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"};
  EXPECT_EQ(standard_signature_header(secrets, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
                                      R"({"test": 2432232314})"),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  std::vector<std::string> none{"whsec_@@@"};
  EXPECT_EQ(standard_signature_header(none, "m", 1, "{}"), "");
}

TEST(EndpointSecret, GeneratedSecretsAreValidAndDistinct) {
  SeededRandom random(7);
  std::string a = generate_endpoint_secret(random);
  std::string b = generate_endpoint_secret(random);
  EXPECT_TRUE(a.starts_with("whsec_"));
  EXPECT_EQ(a.size(), 6u + 44u);  // base64 of 32 bytes
  EXPECT_EQ(base64_decode(a.substr(6))->size(), 32u);
  EXPECT_NE(a, b);
  EXPECT_TRUE(is_valid_endpoint_secret(a));
}

TEST(EndpointSecret, Validation) {
  EXPECT_TRUE(is_valid_endpoint_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));  // 24 bytes
  EXPECT_FALSE(is_valid_endpoint_secret("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));
  EXPECT_FALSE(is_valid_endpoint_secret("whsec_dGVzdA=="));  // too short
  EXPECT_FALSE(is_valid_endpoint_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLa!w"));
  EXPECT_FALSE(is_valid_endpoint_secret(""));
}

TEST(ParseAxonSignature, SingleAndSeveralV1) {
  auto p = parse_axon_signature("t=1700000000,v1=" + std::string(kAxonV1));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->t, 1700000000);
  ASSERT_EQ(p->v1.size(), 1u);
  EXPECT_EQ(p->v1[0], kAxonV1);

  auto q = parse_axon_signature("t=5,v1=ab,v0=zzzz,v1=CD");
  ASSERT_TRUE(q);
  EXPECT_EQ(q->t, 5);
  EXPECT_EQ(q->v1, (std::vector<std::string>{"ab", "CD"}));

  std::vector<std::string> secrets{std::string(kSecret), std::string(kSecret2)};
  auto r = parse_axon_signature(axon_signature_header(secrets, 42, "{}"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->t, 42);
  EXPECT_EQ(r->v1.size(), 2u);
}

TEST(ParseAxonSignature, ToleratesSpacesAndOrder) {
  auto p = parse_axon_signature("v1=abcd, t=12");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->t, 12);
  EXPECT_EQ(p->v1, std::vector<std::string>{"abcd"});
}

TEST(ParseAxonSignature, RejectsMalformed) {
  for (const char* h : {"", "t=1", "v1=abcd", "t=,v1=ab", "t=abc,v1=ab", "t=-5,v1=ab", "t=1,v1=",
                        "t=1,v1=xyz", "t=1,t=2,v1=ab", "t=1,,v1=ab", "t=1,v1=ab,", "t=1,v1",
                        "t=1,=ab", "garbage", "t=1;v1=ab", "t=1234567890123456789012,v1=ab"}) {
    EXPECT_FALSE(parse_axon_signature(h)) << h;
  }
}

}  // namespace
}  // namespace axon

namespace axon {
namespace {

// RFC 4231 test cases 2 (short key) and 6 (key longer than the 64-byte block: hashed first).
TEST(HmacSha256, Rfc4231Vectors) {
  EXPECT_EQ(hex_encode(hmac_sha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(hex_encode(hmac_sha256(std::string(131, '\xaa'),
                                   "Test Using Larger Than Block-Size Key - Hash Key First")),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  EXPECT_EQ(hex_encode(hmac_sha256("", "")),
            "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

}  // namespace
}  // namespace axon
