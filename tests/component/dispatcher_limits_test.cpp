// Per-endpoint limits: max_in_flight, rate_limit and fifo ordering, observed at the
// receiver.
#include <algorithm>

#include "dispatcher_fixture.hpp"

namespace axon::test {
namespace {

class DispatcherLimits : public DispatcherFixture {
 protected:
  std::vector<std::string> publish_many(int n) {
    std::vector<std::string> all;
    for (int i = 0; i < n; ++i) {
      auto ids = publish("order.updated", R"({"i":)" + std::to_string(i) + "}");
      all.insert(all.end(), ids.begin(), ids.end());
    }
    return all;
  }

  void expect_all_succeeded(const std::vector<std::string>& ids) {
    for (const auto& id : ids) {
      EXPECT_EQ(wait_for_status(id, DeliveryStatus::succeeded).status, DeliveryStatus::succeeded)
          << id;
    }
  }
};

TEST_F(DispatcherLimits, MaxInFlightCapsConcurrentRequests) {
  TestReceiver rx([](const ReceivedRequest&) { return ScriptedResponse::hang(100ms); });
  add_endpoint(rx.url(), [](Endpoint& e) { e.max_in_flight = 2; });
  auto ids = publish_many(12);
  start_dispatcher();
  ASSERT_TRUE(rx.wait_for_requests(12, 20s));
  expect_all_succeeded(ids);
  EXPECT_EQ(rx.request_count(), 12u);
  EXPECT_LE(rx.max_concurrent(), 2);
  EXPECT_EQ(rx.max_concurrent(), 2);  // and it does use both slots
}

TEST_F(DispatcherLimits, UnlimitedEndpointRunsRequestsConcurrently) {
  TestReceiver rx([](const ReceivedRequest&) { return ScriptedResponse::hang(200ms); });
  add_endpoint(rx.url());
  auto ids = publish_many(8);
  start_dispatcher();
  expect_all_succeeded(ids);
  EXPECT_GE(rx.max_concurrent(), 4);
}

// A rate-limited endpoint (20/s: a burst of 2, then a token every 50 ms) gets every
// delivery. How the limit spreads attempts over time is the token bucket's rule, tested on a
// fake clock in tests/unit/token_bucket_test.cpp.
TEST_F(DispatcherLimits, RateLimitedEndpointGetsEveryDelivery) {
  TestReceiver rx;
  add_endpoint(rx.url(), [](Endpoint& e) { e.rate_limit = 20; });
  auto ids = publish_many(4);
  start_dispatcher();
  ASSERT_TRUE(rx.wait_for_requests(4, 30s));
  expect_all_succeeded(ids);
  EXPECT_EQ(rx.request_count(), 4u);
}

TEST_F(DispatcherLimits, FifoEndpointGetsOneAtATimeInCreationOrder) {
  TestReceiver rx([](const ReceivedRequest&) { return ScriptedResponse::hang(20ms); });
  add_endpoint(rx.url(), [](Endpoint& e) { e.ordering = Ordering::fifo; });
  auto ids = publish_many(6);
  start_dispatcher();
  ASSERT_TRUE(rx.wait_for_requests(6, 20s));
  expect_all_succeeded(ids);
  auto reqs = rx.requests();
  ASSERT_EQ(reqs.size(), 6u);
  for (std::size_t i = 0; i < reqs.size(); ++i) {
    EXPECT_EQ(reqs[i].header("X-Axon-Delivery-Id"), ids[i]) << i;
  }
  EXPECT_EQ(rx.max_concurrent(), 1);
}

TEST_F(DispatcherLimits, ProcessWideCapHolds) {
  TestReceiver rx([](const ReceivedRequest&) { return ScriptedResponse::hang(100ms); });
  add_endpoint(rx.url());
  auto ids = publish_many(12);
  auto options = default_options();
  options.max_in_flight = 3;
  options.claim_batch = 2;
  start_dispatcher(options);
  expect_all_succeeded(ids);
  EXPECT_LE(rx.max_concurrent(), 3);
}

// Scenario 4 of issue 6 with default endpoint options: a hung endpoint's leased surplus
// goes back to the store instead of filling the process-wide capacity, so a healthy
// endpoint keeps being served while the hung endpoint's first attempts are still held.
TEST_F(DispatcherLimits, HungEndpointWithoutLimitsDoesNotStarveOthers) {
  constexpr auto kHang = 4'000ms;
  TestReceiver hung([&](const ReceivedRequest&) { return ScriptedResponse::hang(kHang); });
  TestReceiver healthy;
  add_endpoint(hung.url("/hung"), [](Endpoint& e) { e.event_types = std::vector<std::string>{"order.hung"}; });
  add_endpoint(healthy.url("/ok"), [](Endpoint& e) { e.event_types = std::vector<std::string>{"order.ok"}; });
  std::vector<std::string> healthy_ids;
  for (int i = 0; i < 100; ++i) {
    publish("order.hung", R"({"i":)" + std::to_string(i) + "}");
    auto ids = publish("order.ok", R"({"i":)" + std::to_string(i) + "}");
    healthy_ids.insert(healthy_ids.end(), ids.begin(), ids.end());
  }
  auto options = default_options();
  options.max_in_flight = 40;  // small process capacity, as 1,024 is to a big backlog
  options.claim_batch = 20;
  options.max_per_host = 4;
  start_dispatcher(options);
  ASSERT_TRUE(healthy.wait_for_requests(100, 60s));
  const auto healthy_done = healthy.requests().back().arrived_at;
  ASSERT_GE(hung.request_count(), 1u);
  const auto first_hung = hung.requests().front().arrived_at;
  // Every healthy delivery arrived while the hung endpoint's first request was still held.
  EXPECT_LT(healthy_done - first_hung, kHang);
  EXPECT_LE(hung.max_concurrent(), 4);
  for (const auto& id : healthy_ids) {
    EXPECT_EQ(wait_for_status(id, DeliveryStatus::succeeded).status, DeliveryStatus::succeeded);
  }
}

}  // namespace
}  // namespace axon::test
