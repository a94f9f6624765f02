// The receiver library include/axon/verify.hpp: known vectors from the Standard Webhooks and
// Stripe libraries, every failure reason, rotation (several entries), and agreement with the
// server's own signer (src/core/signature.hpp).
#include "axon/verify.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/signature.hpp"

namespace axon::verify {
namespace {

using std::chrono::seconds;
using std::chrono::system_clock;

constexpr std::string_view kSecret = "whsec_dGVzdHNlY3JldHRlc3RzZWNyZXR0ZXN0c2VjcmV0";
constexpr std::string_view kOtherSecret = "whsec_bmV3c2VjcmV0bmV3c2VjcmV0bmV3c2VjcmV0";
constexpr std::string_view kBody = R"({"id":"evt_1","type":"order.updated"})";
constexpr std::int64_t kT = 1'700'000'000;

system_clock::time_point at(std::int64_t unix_seconds) {
  return system_clock::time_point(seconds(unix_seconds));
}

Headers only(const Headers& all, std::initializer_list<std::string_view> names) {
  Headers out;
  for (const auto& [name, value] : all.items()) {
    for (auto wanted : names) {
      if (Headers::equals_ignore_case(name, wanted)) out.add(name, value);
    }
  }
  return out;
}

Headers replace(const Headers& all, std::string_view name, std::string_view value) {
  Headers out;
  for (const auto& [key, old] : all.items()) {
    out.add(key, Headers::equals_ignore_case(key, name) ? value : std::string_view(old));
  }
  return out;
}

Result check(const Headers& headers, std::string_view body = kBody, std::int64_t now = kT,
             std::string_view secret = kSecret) {
  return verify(secret, headers, body, seconds(300), at(now));
}

// Test vector of the Standard Webhooks / Svix libraries (their own unit tests use it).
TEST(VerifyVectors, StandardWebhooksLibraryVector) {
  Headers headers{{"webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek"},
                  {"webhook-timestamp", "1614265330"},
                  {"webhook-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="}};
  auto r = verify("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", headers, R"({"test": 2432232314})",
                  seconds(300), at(1614265330));
  ASSERT_TRUE(r) << r.message;
  EXPECT_EQ(r.scheme, Scheme::standard_webhooks);
  EXPECT_EQ(r.timestamp, 1614265330);
  EXPECT_EQ(r.event_id, "msg_p5jXN8AQM9LWM0D4loKWxJek");
  EXPECT_EQ(r.reason, Reason::none);
  EXPECT_EQ(sign_standard({"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
                          "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, R"({"test": 2432232314})"),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

// Made with stripe-node's webhooks.generateTestHeaderString (and `openssl dgst -hmac`).
TEST(VerifyVectors, StripeSchemeVector) {
  const std::string header =
      "t=1700000000,v1=886ac369d91fd892b8c2762250dd5c86aaefd122ea635cee6067aca1c1e15cc3";
  EXPECT_EQ(sign_axon({std::string(kSecret)}, kT, kBody), header);
  auto r = check({{"X-Axon-Signature", header}, {"X-Axon-Event-Id", "evt_1"}});
  ASSERT_TRUE(r) << r.message;
  EXPECT_EQ(r.scheme, Scheme::axon_signature);
  EXPECT_EQ(r.timestamp, kT);
  EXPECT_EQ(r.event_id, "evt_1");
}

TEST(Verify, BothSchemesAloneAndTogether) {
  const Headers all = sign(kSecret, "evt_1", kT, kBody);
  auto both = check(all);
  ASSERT_TRUE(both) << both.message;
  EXPECT_EQ(both.scheme, Scheme::standard_webhooks);  // preferred when present
  EXPECT_EQ(both.event_id, "evt_1");

  auto standard = check(only(all, {"webhook-id", "webhook-timestamp", "webhook-signature"}));
  ASSERT_TRUE(standard) << standard.message;
  EXPECT_EQ(standard.scheme, Scheme::standard_webhooks);

  auto axon = check(only(all, {"X-Axon-Signature"}));
  ASSERT_TRUE(axon) << axon.message;
  EXPECT_EQ(axon.scheme, Scheme::axon_signature);
  EXPECT_EQ(axon.event_id, "");  // X-Axon-Event-Id absent
}

TEST(Verify, HeaderNamesAreCaseInsensitive) {
  Headers shouting;
  const Headers original = sign(kSecret, "evt_1", kT, kBody);
  for (const auto& [name, value] : original.items()) {
    std::string upper = name;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    shouting.add(upper, value);
  }
  EXPECT_TRUE(check(shouting));
  EXPECT_TRUE(check(only(shouting, {"x-axon-signature"})));
}

TEST(Verify, AcceptsMapsAndVectorsOfPairs) {
  const Headers signed_headers = sign(kSecret, "evt_1", kT, kBody);
  std::map<std::string, std::string> map(signed_headers.items().begin(),
                                         signed_headers.items().end());
  std::vector<std::pair<std::string, std::string>> vec = signed_headers.items();
  EXPECT_TRUE(verify(kSecret, map, kBody, seconds(300), at(kT)));
  EXPECT_TRUE(verify(kSecret, vec, kBody, seconds(300), at(kT)));
}

TEST(Verify, OverloadWithoutNowUsesTheSystemClock) {
  const std::int64_t now = detail::unix_seconds(system_clock::now());
  EXPECT_TRUE(verify(kSecret, sign(kSecret, "evt_1", now, kBody), kBody));
  auto old = verify(kSecret, sign(kSecret, "evt_1", now - 3600, kBody), kBody);
  EXPECT_EQ(old.reason, Reason::timestamp_too_old);
}

TEST(Verify, NoHeadersIsMissingHeader) {
  auto r = check(Headers{{"Content-Type", "application/json"}});
  EXPECT_FALSE(r);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.reason, Reason::missing_header);
  EXPECT_NE(r.message.find("X-Axon-Signature"), std::string::npos);
}

TEST(Verify, IncompleteStandardHeadersAreMissingHeader) {
  const Headers all = sign(kSecret, "evt_1", kT, kBody);
  for (std::string_view dropped : {"webhook-id", "webhook-timestamp", "webhook-signature"}) {
    Headers partial;
    for (const auto& [name, value] : all.items()) {
      if (name != dropped && name != "X-Axon-Signature") partial.add(name, value);
    }
    auto r = check(partial);
    EXPECT_EQ(r.reason, Reason::missing_header) << dropped;
    EXPECT_EQ(r.scheme, Scheme::standard_webhooks);
    EXPECT_NE(r.message.find(dropped), std::string::npos) << r.message;
  }
}

TEST(Verify, MalformedStandardHeaders) {
  const Headers all = only(sign(kSecret, "evt_1", kT, kBody),
                           {"webhook-id", "webhook-timestamp", "webhook-signature"});
  for (auto [name, value] : std::vector<std::pair<std::string_view, std::string_view>>{
           {"webhook-timestamp", "yesterday"},
           {"webhook-timestamp", "-1700000000"},
           {"webhook-timestamp", "1700000000.5"},
           {"webhook-timestamp", ""},
           {"webhook-id", "  "},
           {"webhook-signature", ""},
           {"webhook-signature", "g0hM9SsE+OTPJTGt"},
           {"webhook-signature", ",abc"}}) {
    auto r = check(replace(all, name, value));
    EXPECT_EQ(r.reason, Reason::malformed_header) << name << ": " << value;
    EXPECT_EQ(r.scheme, Scheme::standard_webhooks);
  }
}

TEST(Verify, MalformedAxonHeaders) {
  for (std::string_view value :
       {"", "garbage", "t=abc,v1=00", "v1=886ac369", "t=1700000000,t=1700000000,v1=00",
        "t=1700000000,=x", "t=-5,v1=00"}) {
    auto r = check(Headers{{"X-Axon-Signature", value}});
    EXPECT_EQ(r.reason, Reason::malformed_header) << value;
    EXPECT_EQ(r.scheme, Scheme::axon_signature);
  }
}

TEST(Verify, WrongSecretTamperedBodyOrIdIsNoMatchingSignature) {
  const Headers all = sign(kSecret, "evt_1", kT, kBody);
  for (const Headers& headers :
       {all, only(all, {"X-Axon-Signature"}),
        only(all, {"webhook-id", "webhook-timestamp", "webhook-signature"})}) {
    EXPECT_EQ(check(headers, kBody, kT, kOtherSecret).reason, Reason::no_matching_signature);
    EXPECT_EQ(check(headers, R"({"id":"evt_1","type":"order.updatee"})").reason,
              Reason::no_matching_signature);
    EXPECT_EQ(check(headers, std::string(kBody) + " ").reason, Reason::no_matching_signature);
  }
  // The Standard Webhooks signature covers the id; a changed webhook-id fails.
  auto r = check(replace(only(all, {"webhook-id", "webhook-timestamp", "webhook-signature"}),
                         "webhook-id", "evt_2"));
  EXPECT_EQ(r.reason, Reason::no_matching_signature);
  // Changing the timestamp invalidates both schemes.
  auto moved = replace(replace(all, "webhook-timestamp", "1700000001"), "X-Axon-Signature",
                       "t=1700000001," + std::string(all.get("X-Axon-Signature")->substr(13)));
  EXPECT_EQ(check(moved).reason, Reason::no_matching_signature);
}

TEST(Verify, EntriesOfOtherVersionsAreIgnored) {
  const Headers all = sign(kSecret, "evt_1", kT, kBody);
  auto r = check(Headers{{"X-Axon-Signature", "t=1700000000,v0=deadbeef"}});
  EXPECT_EQ(r.reason, Reason::no_matching_signature);
  EXPECT_NE(r.message.find("no v1"), std::string::npos) << r.message;
  const std::string v1 = std::string(*all.get("webhook-signature"));
  auto mixed = check(replace(only(all, {"webhook-id", "webhook-timestamp", "webhook-signature"}),
                             "webhook-signature", "v1a,AAAA " + v1 + " v2,BBBB"));
  EXPECT_TRUE(mixed) << mixed.message;
}

TEST(Verify, SeveralEntriesAnyMatchSucceeds) {
  const std::vector<std::string> rotation{std::string(kOtherSecret), std::string(kSecret)};
  Headers headers{{"X-Axon-Signature", sign_axon(rotation, kT, kBody)},
                  {"webhook-id", "evt_1"},
                  {"webhook-timestamp", "1700000000"},
                  {"webhook-signature", sign_standard(rotation, "evt_1", kT, kBody)}};
  EXPECT_EQ(std::count(headers.get("webhook-signature")->begin(),
                       headers.get("webhook-signature")->end(), ' '),
            1);
  for (std::string_view secret : {kSecret, kOtherSecret}) {
    EXPECT_TRUE(check(headers, kBody, kT, secret));
    EXPECT_TRUE(check(only(headers, {"X-Axon-Signature"}), kBody, kT, secret));
    EXPECT_TRUE(check(only(headers, {"webhook-id", "webhook-timestamp", "webhook-signature"}),
                      kBody, kT, secret));
  }
  EXPECT_EQ(check(headers, kBody, kT, "whsec_c29tZXRoaW5nZWxzZXNvbWV0aGluZ2Vsc2Vzb21l").reason,
            Reason::no_matching_signature);
}

TEST(Verify, TimestampWindow) {
  const Headers all = sign(kSecret, "evt_1", kT, kBody);
  for (const Headers& headers :
       {all, only(all, {"X-Axon-Signature"}),
        only(all, {"webhook-id", "webhook-timestamp", "webhook-signature"})}) {
    EXPECT_TRUE(check(headers, kBody, kT + 300));
    EXPECT_TRUE(check(headers, kBody, kT - 300));
    auto old = check(headers, kBody, kT + 301);
    EXPECT_EQ(old.reason, Reason::timestamp_too_old);
    EXPECT_EQ(old.timestamp, kT);
    EXPECT_NE(old.message.find("301 s old"), std::string::npos) << old.message;
    auto future = check(headers, kBody, kT - 301);
    EXPECT_EQ(future.reason, Reason::timestamp_too_new);
    EXPECT_NE(future.message.find("in the future"), std::string::npos) << future.message;
  }
  // A non-positive tolerance switches the check off (e.g. to inspect a captured delivery).
  EXPECT_TRUE(verify(kSecret, all, kBody, seconds(0), at(kT + 86'400 * 365)));
  // The signature is checked first: a forged old delivery says so, not "too old".
  EXPECT_EQ(check(all, kBody, kT + 10'000, kOtherSecret).reason, Reason::no_matching_signature);
}

TEST(Verify, BadSecret) {
  const Headers all = sign(kSecret, "evt_1", kT, kBody);
  const Headers standard = only(all, {"webhook-id", "webhook-timestamp", "webhook-signature"});
  for (std::string_view secret : {"", "whsec_", "whsec_not*base64!", "whsec_a"}) {
    EXPECT_EQ(check(standard, kBody, kT, secret).reason, Reason::bad_secret) << secret;
  }
  EXPECT_EQ(check(only(all, {"X-Axon-Signature"}), kBody, kT, "").reason, Reason::bad_secret);
  // Both present: the preferred (Standard Webhooks) failure is reported.
  auto r = check(all, kBody, kT, "whsec_not*base64!");
  EXPECT_EQ(r.reason, Reason::bad_secret);
  EXPECT_EQ(r.scheme, Scheme::standard_webhooks);
}

TEST(Verify, SecretWithoutPrefixWorksForStandardWebhooks) {
  // Standard Webhooks libraries accept the bare base64 key too.
  const Headers all = sign(kSecret, "evt_1", kT, kBody);
  const Headers standard = only(all, {"webhook-id", "webhook-timestamp", "webhook-signature"});
  EXPECT_TRUE(check(standard, kBody, kT, kSecret.substr(6)));
}

TEST(Verify, EitherSchemeVerifyingIsEnough) {
  const Headers all = sign(kSecret, "evt_1", kT, kBody);
  // A broken webhook-signature but a good X-Axon-Signature: succeeds with the latter.
  auto r = check(replace(all, "webhook-signature", "v1,AAAA"));
  ASSERT_TRUE(r) << r.message;
  EXPECT_EQ(r.scheme, Scheme::axon_signature);
  // Both broken: the preferred scheme's failure is reported.
  auto both =
      check(replace(replace(all, "webhook-signature", "v1,AAAA"), "X-Axon-Signature", "garbage"));
  EXPECT_EQ(both.reason, Reason::no_matching_signature);
  EXPECT_EQ(both.scheme, Scheme::standard_webhooks);
}

TEST(Verify, UppercaseHexAndSpacesAroundItemsAreAccepted) {
  std::string header = sign_axon({std::string(kSecret)}, kT, kBody);
  std::string upper = header;
  for (std::size_t i = 16; i < upper.size(); ++i) {
    upper[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(upper[i])));
  }
  EXPECT_TRUE(check(Headers{{"X-Axon-Signature", upper}}));
  std::string spaced = "t=1700000000, " + header.substr(13);
  EXPECT_TRUE(check(Headers{{"X-Axon-Signature", spaced}}));
}

TEST(Verify, ReasonAndSchemeNames) {
  EXPECT_STREQ(to_string(Reason::missing_header), "missing_header");
  EXPECT_STREQ(to_string(Reason::malformed_header), "malformed_header");
  EXPECT_STREQ(to_string(Reason::timestamp_too_old), "timestamp_too_old");
  EXPECT_STREQ(to_string(Reason::timestamp_too_new), "timestamp_too_new");
  EXPECT_STREQ(to_string(Reason::no_matching_signature), "no_matching_signature");
  EXPECT_STREQ(to_string(Reason::bad_secret), "bad_secret");
  EXPECT_STREQ(to_string(Scheme::axon_signature), "axon_signature");
  EXPECT_STREQ(to_string(Scheme::standard_webhooks), "standard_webhooks");
}

TEST(VerifyEncoding, Base64RoundTripAndRejects) {
  for (std::string_view raw : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
    const std::string encoded = detail::base64_encode(raw);
    auto decoded = detail::base64_decode(encoded);
    ASSERT_TRUE(decoded) << encoded;
    EXPECT_EQ(*decoded, raw);
  }
  EXPECT_EQ(detail::base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(detail::base64_encode("fo"), "Zm8=");
  EXPECT_FALSE(detail::base64_decode("Zm9v!"));
  EXPECT_FALSE(detail::base64_decode("Z"));
  EXPECT_TRUE(detail::constant_time_equal("abc", "abc"));
  EXPECT_FALSE(detail::constant_time_equal("abc", "abd"));
  EXPECT_FALSE(detail::constant_time_equal("abc", "abcd"));
}

// The library and the server's signer (src/core/signature.hpp) must agree byte for byte.
TEST(VerifyAgainstServer, VerifiesWhatTheServerSigns) {
  const std::vector<std::string> secrets{std::string(kSecret), std::string(kOtherSecret)};
  const std::string body = R"({"id":"evt_9","type":"a.b","data":{"name":"café ☕"}})";
  const std::string axon_header = axon::axon_signature_header(secrets, kT, body);
  const std::string standard_header = axon::standard_signature_header(secrets, "evt_9", kT, body);
  EXPECT_EQ(axon_header, sign_axon(secrets, kT, body));
  EXPECT_EQ(standard_header, sign_standard(secrets, "evt_9", kT, body));
  Headers headers{{"X-Axon-Event-Id", "evt_9"},
                  {"X-Axon-Signature", axon_header},
                  {"webhook-id", "evt_9"},
                  {"webhook-timestamp", std::to_string(kT)},
                  {"webhook-signature", standard_header}};
  for (const std::string& secret : secrets) {
    auto both = check(headers, body, kT + 5, secret);
    ASSERT_TRUE(both) << both.message;
    EXPECT_EQ(both.event_id, "evt_9");
    EXPECT_TRUE(check(only(headers, {"X-Axon-Signature"}), body, kT, secret));
    EXPECT_TRUE(check(only(headers, {"webhook-id", "webhook-timestamp", "webhook-signature"}), body,
                      kT, secret));
  }
  // And the server parses what the library signs.
  auto parsed = axon::parse_axon_signature(sign_axon(secrets, kT, body));
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->t, kT);
  EXPECT_EQ(parsed->v1.size(), 2u);
}

}  // namespace
}  // namespace axon::verify
