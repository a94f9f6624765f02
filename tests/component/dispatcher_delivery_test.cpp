// What a receiver gets (docs/receiving.md): a signed POST with every header, the stored payload
// bytes, both signature schemes; and what the attempt log records.
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <set>

#include "core/encoding.hpp"
#include "delivery/attempt_outcome.hpp"
#include "dispatcher_fixture.hpp"

namespace axon::test {
namespace {

std::string hmac_raw(std::string_view key, std::string_view message) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

// "t=123,v1=aa,v1=bb" -> t and the v1 values, parsed here independently of core.
struct StripeSig {
  std::string t;
  std::vector<std::string> v1;
};
StripeSig parse_stripe(const std::string& header) {
  StripeSig s;
  std::size_t pos = 0;
  while (pos <= header.size()) {
    auto comma = header.find(',', pos);
    if (comma == std::string::npos) comma = header.size();
    std::string part = header.substr(pos, comma - pos);
    if (part.rfind("t=", 0) == 0) s.t = part.substr(2);
    if (part.rfind("v1=", 0) == 0) s.v1.push_back(part.substr(3));
    pos = comma + 1;
  }
  return s;
}

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    auto next = text.find(sep, pos);
    if (next == std::string::npos) next = text.size();
    out.push_back(text.substr(pos, next - pos));
    pos = next + 1;
  }
  return out;
}

class DispatcherDelivery : public DispatcherFixture {};

TEST_F(DispatcherDelivery, SendsASignedPostWithEveryContractHeader) {
  TestReceiver rx(
      [](const ReceivedRequest&) { return ScriptedResponse::with_status(200, "thanks"); });
  add_endpoint(rx.url("/hooks/axon?src=test"), [](Endpoint& e) {
    // Custom headers come first and can never override ours.
    e.headers = {{"X-Custom", "yes"}, {"X-Axon-Event", "forged"}, {"webhook-id", "forged"}};
  });
  auto ids = publish("order.updated", R"({"order":42,"note":"caf\u00e9"})");
  ASSERT_EQ(ids.size(), 1u);
  const Millis before_s = clock_.now_ms() / 1000;
  start_dispatcher();

  Delivery d = wait_for_status(ids[0], DeliveryStatus::succeeded);
  ASSERT_EQ(d.status, DeliveryStatus::succeeded);
  ASSERT_EQ(rx.request_count(), 1u);
  const ReceivedRequest req = rx.requests()[0];

  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.target, "/hooks/axon?src=test");
  EXPECT_EQ(req.body, last_payload_);
  EXPECT_EQ(req.header("Content-Type"), "application/json");
  EXPECT_EQ(req.header("User-Agent"), "Axon-Webhooks/" AXON_VERSION);
  EXPECT_EQ(req.header("X-Axon-Event"), "order.updated");
  EXPECT_EQ(req.header("X-Axon-Event-Id"), last_event_id_);
  EXPECT_EQ(req.header("X-Axon-Delivery-Id"), ids[0]);
  EXPECT_EQ(req.header("X-Axon-Attempt"), "1");
  EXPECT_EQ(req.header("webhook-id"), last_event_id_);
  EXPECT_EQ(req.header("X-Custom"), "yes");
  int axon_event_headers = 0, webhook_id_headers = 0;
  for (const auto& [name, value] : req.headers) {
    if (name == "X-Axon-Event") ++axon_event_headers;
    if (name == "webhook-id") ++webhook_id_headers;
  }
  EXPECT_EQ(axon_event_headers, 1);
  EXPECT_EQ(webhook_id_headers, 1);

  // X-Axon-Signature: Stripe scheme over "<t>.<body>" keyed by the whole secret string.
  auto sig = req.header("X-Axon-Signature");
  ASSERT_TRUE(sig);
  StripeSig parsed = parse_stripe(*sig);
  ASSERT_FALSE(parsed.t.empty());
  const Millis t = std::stoll(parsed.t);
  EXPECT_GE(t, before_s - 1);
  EXPECT_LE(t, clock_.now_ms() / 1000 + 1);
  ASSERT_EQ(parsed.v1.size(), 1u);
  EXPECT_EQ(parsed.v1[0], hex(hmac_raw(secret_, parsed.t + "." + req.body)));

  // Standard Webhooks: same t, key = base64-decoded secret after "whsec_", "<id>.<t>.<body>".
  EXPECT_EQ(req.header("webhook-timestamp"), parsed.t);
  auto key = base64_decode(std::string_view(secret_).substr(6));
  ASSERT_TRUE(key);
  const std::string expected =
      "v1," + base64_encode(hmac_raw(*key, last_event_id_ + "." + parsed.t + "." + req.body));
  EXPECT_EQ(req.header("webhook-signature"), expected);

  // The attempt log.
  ASSERT_EQ(d.attempt_log.size(), 1u);
  const Attempt& a = d.attempt_log[0];
  EXPECT_EQ(a.n, 1);
  EXPECT_EQ(a.status_code, 200);
  EXPECT_EQ(a.error, "");
  EXPECT_EQ(a.response_excerpt, "thanks");
  EXPECT_GE(a.started_at, before_s * 1000);
  EXPECT_GE(a.duration_ms, 0);
  EXPECT_LT(a.duration_ms, 5'000);
  EXPECT_EQ(d.attempts, 1);
  EXPECT_FALSE(d.lease_owner);
  EXPECT_EQ(dispatcher_->stats().succeeded.load(), 1);
  EXPECT_EQ(dispatcher_->stats().attempts.load(), 1);
}

TEST_F(DispatcherDelivery, SignsWithBothSecretsDuringARotation) {
  TestReceiver rx;
  Endpoint ep = add_endpoint(rx.url());
  const std::string old_secret = secret_;
  const std::string new_secret = generate_endpoint_secret(random_);
  auto rotated = store_->rotate_endpoint_secret(tenant_id_, ep.id, box_->seal(new_secret, random_),
                                                clock_.now_ms() + 3'600'000, clock_.now_ms());
  ASSERT_TRUE(rotated) << rotated.error().message;
  auto ids = publish();
  start_dispatcher();
  ASSERT_EQ(wait_for_status(ids[0], DeliveryStatus::succeeded).status, DeliveryStatus::succeeded);

  const ReceivedRequest req = rx.requests().at(0);
  StripeSig parsed = parse_stripe(req.header("X-Axon-Signature").value_or(""));
  ASSERT_EQ(parsed.v1.size(), 2u);
  EXPECT_EQ(parsed.v1[0], hex(hmac_raw(new_secret, parsed.t + "." + req.body)));
  EXPECT_EQ(parsed.v1[1], hex(hmac_raw(old_secret, parsed.t + "." + req.body)));
  auto standard = split(req.header("webhook-signature").value_or(""), ' ');
  ASSERT_EQ(standard.size(), 2u);
  auto new_key = base64_decode(std::string_view(new_secret).substr(6));
  ASSERT_TRUE(new_key);
  EXPECT_EQ(standard[0], "v1," + base64_encode(hmac_raw(
                                     *new_key, last_event_id_ + "." + parsed.t + "." + req.body)));
}

TEST_F(DispatcherDelivery, ResponseLargerThan64KiBKeeps4KiBExcerpt) {
  TestReceiver rx([](const ReceivedRequest&) {
    return ScriptedResponse::with_status(200, std::string(200 * 1024, 'r'));
  });
  add_endpoint(rx.url());
  auto ids = publish();
  start_dispatcher();
  Delivery d = wait_for_status(ids[0], DeliveryStatus::succeeded);
  ASSERT_EQ(d.status, DeliveryStatus::succeeded);  // judged by its status code
  ASSERT_EQ(d.attempt_log.size(), 1u);
  EXPECT_EQ(d.attempt_log[0].response_excerpt, std::string(4096, 'r'));
}

TEST_F(DispatcherDelivery, DeliversToEveryEndpointAndNotifyWakesTheDispatcher) {
  TestReceiver rx;
  add_endpoint(rx.url("/a"));
  add_endpoint(rx.url("/b"));
  auto first = publish();
  ASSERT_EQ(first.size(), 2u);
  auto options = default_options();
  options.poll_interval = 60'000;  // once idle, only notify() can wake it within the test
  start_dispatcher(options);
  ASSERT_EQ(wait_for_status(first[0], DeliveryStatus::succeeded).status, DeliveryStatus::succeeded);
  ASSERT_EQ(wait_for_status(first[1], DeliveryStatus::succeeded).status, DeliveryStatus::succeeded);
  std::set<std::string> targets;
  for (const auto& r : rx.requests()) targets.insert(r.target);
  EXPECT_EQ(targets, (std::set<std::string>{"/a", "/b"}));

  // Nothing is due now, so the dispatcher sleeps for up to a minute unless notified.
  auto second = publish();
  dispatcher_->notify();
  EXPECT_TRUE(rx.wait_for_requests(4, 20s));
}

TEST(DispatcherOutcome, ExcerptIsAlwaysValidUtf8) {
  // A two-byte character cut by the 4 KiB limit is dropped, not half-kept.
  std::string cut = std::string(4095, 'a') + "\xC3";
  EXPECT_EQ(utf8_excerpt(cut), std::string(4095, 'a'));
  EXPECT_EQ(utf8_excerpt("caf\xC3\xA9"), "caf\xC3\xA9");
  EXPECT_EQ(utf8_excerpt("a\xFF"
                         "b"),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(utf8_excerpt("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
}

}  // namespace
}  // namespace axon::test
