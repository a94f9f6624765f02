// Outcome rules (docs/receiving.md, "Retries"): retries with the schedule, dead letters, 410,
// redirects, Retry-After, and the error class of each kind of failure.
#include <atomic>

#include "dispatcher_fixture.hpp"

namespace axon::test {
namespace {

class DispatcherRetry : public DispatcherFixture {
 protected:
  // One attempt only: the first retry is a minute away, far beyond any test.
  DispatcherOptions single_attempt() const {
    auto o = default_options();
    o.retry_policy = RetryPolicy({60'000});
    return o;
  }

  Attempt only_attempt(const std::string& delivery_id) {
    Delivery d = wait_for_attempts(delivery_id, 1);
    EXPECT_EQ(d.attempt_log.size(), 1u);
    return d.attempt_log.empty() ? Attempt{} : d.attempt_log[0];
  }

  // Rounded up: due times are whole wall-clock milliseconds, so a retry due "400 ms later"
  // can arrive up to 1 ms less than 400 ms after the first attempt's arrival (truncation).
  static Millis gap_ms(const ReceivedRequest& a, const ReceivedRequest& b) {
    return std::chrono::ceil<std::chrono::milliseconds>(b.arrived_at - a.arrived_at).count();
  }
};

TEST_F(DispatcherRetry, FailsTwiceThenSucceedsWithGrowingGaps) {
  TestReceiver rx([](const ReceivedRequest& r) {
    return r.seq < 2 ? ScriptedResponse::with_status(500, "oops") : ScriptedResponse::ok();
  });
  add_endpoint(rx.url());
  auto ids = publish();
  auto options = default_options();
  options.retry_policy = RetryPolicy({100, 400, 1'000});
  start_dispatcher(options);

  Delivery d = wait_for_status(ids[0], DeliveryStatus::succeeded);
  ASSERT_EQ(d.status, DeliveryStatus::succeeded);
  ASSERT_EQ(d.attempt_log.size(), 3u);
  EXPECT_EQ(d.attempts, 3);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(d.attempt_log[i].n, i + 1);
  EXPECT_EQ(d.attempt_log[0].status_code, 500);
  EXPECT_EQ(d.attempt_log[0].error, "http");
  EXPECT_EQ(d.attempt_log[0].response_excerpt, "oops");
  EXPECT_EQ(d.attempt_log[2].status_code, 200);
  EXPECT_EQ(d.attempt_log[2].error, "");

  auto reqs = rx.requests();
  ASSERT_EQ(reqs.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(reqs[i].header("X-Axon-Attempt"), std::to_string(i + 1));
    EXPECT_EQ(reqs[i].header("X-Axon-Delivery-Id"), ids[0]);
    EXPECT_EQ(reqs[i].body, last_payload_);
  }
  const Millis gap1 = gap_ms(reqs[0], reqs[1]), gap2 = gap_ms(reqs[1], reqs[2]);
  EXPECT_GE(gap1, 80);   // 100 ms - 20 %
  EXPECT_GE(gap2, 320);  // 400 ms - 20 %
  EXPECT_GT(gap2, gap1);
  EXPECT_EQ(dispatcher_->stats().retried.load(), 2);
  EXPECT_EQ(dispatcher_->stats().succeeded.load(), 1);
}

TEST_F(DispatcherRetry, AlwaysFailingBecomesDeadAfterFourAttempts) {
  TestReceiver rx([](const ReceivedRequest&) { return ScriptedResponse::with_status(500); });
  add_endpoint(rx.url());
  auto ids = publish();
  start_dispatcher();  // schedule 50,100,200 ms: 4 attempts
  Delivery d = wait_for_status(ids[0], DeliveryStatus::dead);
  ASSERT_EQ(d.status, DeliveryStatus::dead);
  EXPECT_EQ(d.attempts, 4);
  ASSERT_EQ(d.attempt_log.size(), 4u);
  for (const auto& a : d.attempt_log) {
    EXPECT_EQ(a.status_code, 500);
    EXPECT_EQ(a.error, "http");
  }
  EXPECT_EQ(rx.request_count(), 4u);
  EXPECT_EQ(dispatcher_->stats().dead.load(), 1);
  auto dead = store_->list_deliveries(tenant_id_, {.status = DeliveryStatus::dead}, {});
  ASSERT_TRUE(dead);
  ASSERT_EQ(dead->items.size(), 1u);
  EXPECT_EQ(dead->items[0].id, ids[0]);
}

TEST_F(DispatcherRetry, GoneKillsTheDeliveryAndDisablesTheEndpoint) {
  TestReceiver rx([](const ReceivedRequest&) { return ScriptedResponse::with_status(410); });
  Endpoint ep = add_endpoint(rx.url());
  auto ids = publish();
  start_dispatcher();
  Delivery d = wait_for_status(ids[0], DeliveryStatus::dead);
  ASSERT_EQ(d.status, DeliveryStatus::dead);
  EXPECT_EQ(d.attempts, 1);
  EXPECT_EQ(d.attempt_log.at(0).status_code, 410);
  auto after = store_->get_endpoint(tenant_id_, ep.id);
  ASSERT_TRUE(after);
  EXPECT_TRUE(after->disabled);
  EXPECT_FALSE(after->disabled_reason.empty());
  EXPECT_EQ(rx.request_count(), 1u);
}

TEST_F(DispatcherRetry, RedirectIsNotFollowedAndCountsAsFailure) {
  TestReceiver rx([](const ReceivedRequest& r) {
    if (r.target != "/hook") return ScriptedResponse::ok();
    auto resp = ScriptedResponse::with_status(302);
    resp.headers = {{"Location", "/elsewhere"}};
    return resp;
  });
  add_endpoint(rx.url("/hook"));
  auto ids = publish();
  start_dispatcher(single_attempt());
  Attempt a = only_attempt(ids[0]);
  EXPECT_EQ(a.status_code, 302);
  EXPECT_EQ(a.error, "http");
  // The attempt is recorded only after libcurl finished, so a followed redirect would show.
  ASSERT_EQ(rx.request_count(), 1u);
  EXPECT_EQ(rx.requests()[0].target, "/hook");
  Delivery d = get(ids[0]);
  EXPECT_EQ(d.status, DeliveryStatus::pending);
  EXPECT_GT(d.next_attempt_at, clock_.now_ms() + 30'000);
}

TEST_F(DispatcherRetry, RetryAfterLengthensTheWait) {
  TestReceiver rx([](const ReceivedRequest& r) {
    if (r.seq > 0) return ScriptedResponse::ok();
    auto resp = ScriptedResponse::with_status(429);
    resp.headers = {{"Retry-After", "1"}};
    return resp;
  });
  add_endpoint(rx.url());
  auto ids = publish();
  auto options = default_options();
  options.retry_policy = RetryPolicy({50, 1'500});  // largest entry 1.5 s: 1 s is not capped
  start_dispatcher(options);
  Delivery d = wait_for_status(ids[0], DeliveryStatus::succeeded);
  ASSERT_EQ(d.status, DeliveryStatus::succeeded);
  auto reqs = rx.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_GE(gap_ms(reqs[0], reqs[1]), 1'000);
  EXPECT_EQ(d.attempt_log.at(0).status_code, 429);
}

TEST_F(DispatcherRetry, RetryAfterIsCappedAtTheLargestScheduleEntry) {
  TestReceiver rx([](const ReceivedRequest& r) {
    if (r.seq > 0) return ScriptedResponse::ok();
    auto resp = ScriptedResponse::with_status(503);
    resp.headers = {{"Retry-After", "3600"}};
    return resp;
  });
  add_endpoint(rx.url());
  auto ids = publish();
  auto options = default_options();
  options.retry_policy = RetryPolicy({50, 400});  // an hour is capped to 400 ms
  start_dispatcher(options);
  Delivery d = wait_for_status(ids[0], DeliveryStatus::succeeded);
  ASSERT_EQ(d.status, DeliveryStatus::succeeded);
  auto reqs = rx.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_GE(gap_ms(reqs[0], reqs[1]), 400);
  EXPECT_LT(gap_ms(reqs[0], reqs[1]), 8'000);
}

TEST_F(DispatcherRetry, HangingReceiverIsATimeout) {
  TestReceiver rx([](const ReceivedRequest&) { return ScriptedResponse::hang(10s); });
  add_endpoint(rx.url());
  auto ids = publish();
  auto options = single_attempt();
  options.request_timeout = 300;
  start_dispatcher(options);
  Attempt a = only_attempt(ids[0]);
  EXPECT_EQ(a.error, "timeout");
  EXPECT_EQ(a.status_code, 0);
  EXPECT_GE(a.duration_ms, 250);
  EXPECT_LT(a.duration_ms, 5'000);
  EXPECT_EQ(get(ids[0]).status, DeliveryStatus::pending);
}

TEST_F(DispatcherRetry, ConnectionResetIsAConnectError) {
  TestReceiver rx([](const ReceivedRequest&) { return ScriptedResponse::reset_connection(); });
  add_endpoint(rx.url());
  auto ids = publish();
  start_dispatcher(single_attempt());
  Attempt a = only_attempt(ids[0]);
  EXPECT_EQ(a.error, "connect");
  EXPECT_EQ(a.status_code, 0);
  EXPECT_FALSE(a.error_message.empty());
}

TEST_F(DispatcherRetry, ClosedWithoutAnswerIsAConnectError) {
  TestReceiver rx([](const ReceivedRequest&) { return ScriptedResponse::close_connection(); });
  add_endpoint(rx.url());
  auto ids = publish();
  start_dispatcher(single_attempt());
  Attempt a = only_attempt(ids[0]);
  EXPECT_EQ(a.error, "connect");
  EXPECT_EQ(a.status_code, 0);
}

TEST_F(DispatcherRetry, ReplayedDeadLetterContinuesTheAttemptCount) {
  std::atomic<bool> healthy{false};
  TestReceiver rx([&](const ReceivedRequest&) {
    return healthy ? ScriptedResponse::ok() : ScriptedResponse::with_status(500);
  });
  add_endpoint(rx.url());
  auto ids = publish();
  start_dispatcher();
  ASSERT_EQ(wait_for_status(ids[0], DeliveryStatus::dead).status, DeliveryStatus::dead);
  healthy = true;
  ASSERT_TRUE(store_->replay_delivery(tenant_id_, ids[0], clock_.now_ms()));
  dispatcher_->notify();
  Delivery d = wait_for_status(ids[0], DeliveryStatus::succeeded);
  ASSERT_EQ(d.status, DeliveryStatus::succeeded);
  EXPECT_EQ(d.attempts, 5);
  EXPECT_EQ(rx.requests().back().header("X-Axon-Attempt"), "5");
}

}  // namespace
}  // namespace axon::test
