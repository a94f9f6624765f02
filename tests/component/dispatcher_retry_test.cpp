// Outcome rules (docs/receiving.md, "Retries"): retries with the schedule, dead letters, 410,
// redirects, Retry-After, and the error class of each kind of failure.
//
// The dispatcher runs on a FakeClock: a retry's due time is read from the store, the clock
// is moved to just before it (a claim then finds nothing to send) and then past it, so the
// schedule is checked exactly and no test waits for a retry delay in real time.
#include <atomic>
#include <map>
#include <mutex>

#include "delivery/claim_pacer.hpp"
#include "dispatcher_fixture.hpp"
#include "support/store_wrapper.hpp"

namespace axon::test {
namespace {

// Forwards to the real store and remembers what each claim (by its time) returned.
class ClaimLog final : public StoreWrapper {
 public:
  using StoreWrapper::StoreWrapper;
  Result<std::vector<DeliveryJob>> claim_due(std::string_view owner, Millis now, Millis lease_ms,
                                             int limit) override {
    auto jobs = StoreWrapper::claim_due(owner, now, lease_ms, limit);
    std::lock_guard lock(mu_);
    if (jobs) claimed_at_[now] += static_cast<int>(jobs->size());
    return jobs;
  }
  // How many jobs the claims at `now` returned, once one has returned.
  std::optional<int> claimed_at(Millis now) const {
    std::lock_guard lock(mu_);
    auto it = claimed_at_.find(now);
    return it == claimed_at_.end() ? std::nullopt : std::optional<int>(it->second);
  }

 private:
  mutable std::mutex mu_;
  std::map<Millis, int> claimed_at_;
};

class DispatcherRetry : public DispatcherFixtureOn<FakeClock> {
 protected:
  // The fixture's TearDown stops the dispatcher, before claims_ goes.
  void SetUp() override {
    DispatcherFixtureOn<FakeClock>::SetUp();
    claims_ = std::make_unique<ClaimLog>(*store_);
  }

  Dispatcher& start(DispatcherOptions options) {
    return start_dispatcher(std::move(options), claims_.get());
  }
  Dispatcher& start() { return start(default_options()); }

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

  // Moves the fake clock to `t` (never back) and wakes the dispatcher. A notification
  // claims only once the clock has moved ClaimPacer::kNotifyCoalesce past the last claim.
  void move_clock_to(Millis t) {
    if (t > clock_.now_ms()) clock_.advance(t - clock_.now_ms());
    dispatcher_->notify();
  }

  // The pending delivery's next attempt: the clock goes to 1 ms before it is due, where a
  // claim must find nothing, then past the due time; returns the delivery once that attempt
  // is recorded.
  Delivery next_attempt(const std::string& delivery_id, const TestReceiver& rx) {
    const Delivery before = get(delivery_id);
    EXPECT_EQ(before.status, DeliveryStatus::pending);
    const std::size_t sent = rx.request_count();
    const Millis early = before.next_attempt_at - 1;
    EXPECT_GE(early, clock_.now_ms() + ClaimPacer::kNotifyCoalesce);
    move_clock_to(early);
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!claims_->claimed_at(early) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(1ms);
    }
    EXPECT_EQ(claims_->claimed_at(early), 0) << "claimed 1 ms before the delivery was due";
    EXPECT_EQ(rx.request_count(), sent);
    move_clock_to(before.next_attempt_at + ClaimPacer::kMinIdleSleep);
    return wait_for_attempts(delivery_id, before.attempts + 1);
  }

  std::unique_ptr<ClaimLog> claims_;
};

// The wait before a retry, as scheduled (a fake-clock duration: exact).
Millis scheduled_wait(const Delivery& d) {
  return d.next_attempt_at - d.attempt_log.back().started_at;
}

TEST_F(DispatcherRetry, FailsTwiceThenSucceedsWithGrowingGaps) {
  TestReceiver rx([](const ReceivedRequest& r) {
    return r.seq < 2 ? ScriptedResponse::with_status(500, "oops") : ScriptedResponse::ok();
  });
  add_endpoint(rx.url());
  auto ids = publish();
  auto options = default_options();
  options.retry_policy = RetryPolicy({100, 400, 1'000});
  start(options);

  Delivery d = wait_for_attempts(ids[0], 1);
  const Millis wait1 = scheduled_wait(d);
  EXPECT_GE(wait1, 80);  // 100 ms ± 20 %
  EXPECT_LE(wait1, 120);
  d = next_attempt(ids[0], rx);
  const Millis wait2 = scheduled_wait(d);
  EXPECT_GE(wait2, 320);  // 400 ms ± 20 %
  EXPECT_LE(wait2, 480);
  EXPECT_GT(wait2, wait1);
  d = next_attempt(ids[0], rx);
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
  // Each retry started once due, not before.
  EXPECT_GE(d.attempt_log[1].started_at - d.attempt_log[0].started_at, wait1);
  EXPECT_GE(d.attempt_log[2].started_at - d.attempt_log[1].started_at, wait2);
  EXPECT_EQ(dispatcher_->stats().retried.load(), 2);
  EXPECT_EQ(dispatcher_->stats().succeeded.load(), 1);
}

TEST_F(DispatcherRetry, AlwaysFailingBecomesDeadAfterFourAttempts) {
  TestReceiver rx([](const ReceivedRequest&) { return ScriptedResponse::with_status(500); });
  add_endpoint(rx.url());
  auto ids = publish();
  start();  // schedule 50,100,200 ms: 4 attempts
  Delivery d = wait_for_attempts(ids[0], 1);
  for (int retry = 0; retry < 3; ++retry) d = next_attempt(ids[0], rx);
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
  start();
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
  start(single_attempt());
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
  start(options);
  Delivery d = wait_for_attempts(ids[0], 1);
  EXPECT_EQ(scheduled_wait(d), 1'000);  // max(50 ms ± 20 %, Retry-After)
  d = next_attempt(ids[0], rx);
  ASSERT_EQ(d.status, DeliveryStatus::succeeded);
  EXPECT_EQ(rx.request_count(), 2u);
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
  start(options);
  Delivery d = wait_for_attempts(ids[0], 1);
  EXPECT_EQ(scheduled_wait(d), 400);
  d = next_attempt(ids[0], rx);
  ASSERT_EQ(d.status, DeliveryStatus::succeeded);
  EXPECT_EQ(rx.request_count(), 2u);
}

TEST_F(DispatcherRetry, ConnectionResetIsAConnectError) {
  TestReceiver rx([](const ReceivedRequest&) { return ScriptedResponse::reset_connection(); });
  add_endpoint(rx.url());
  auto ids = publish();
  start(single_attempt());
  Attempt a = only_attempt(ids[0]);
  EXPECT_EQ(a.error, "connect");
  EXPECT_EQ(a.status_code, 0);
  EXPECT_FALSE(a.error_message.empty());
}

TEST_F(DispatcherRetry, ClosedWithoutAnswerIsAConnectError) {
  TestReceiver rx([](const ReceivedRequest&) { return ScriptedResponse::close_connection(); });
  add_endpoint(rx.url());
  auto ids = publish();
  start(single_attempt());
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
  start();
  wait_for_attempts(ids[0], 1);
  for (int retry = 0; retry < 3; ++retry) next_attempt(ids[0], rx);
  ASSERT_EQ(get(ids[0]).status, DeliveryStatus::dead);
  healthy = true;
  ASSERT_TRUE(store_->replay_delivery(tenant_id_, ids[0], clock_.now_ms()));
  move_clock_to(clock_.now_ms() + ClaimPacer::kNotifyCoalesce);
  Delivery d = wait_for_status(ids[0], DeliveryStatus::succeeded);
  ASSERT_EQ(d.status, DeliveryStatus::succeeded);
  EXPECT_EQ(d.attempts, 5);
  EXPECT_EQ(rx.requests().back().header("X-Axon-Attempt"), "5");
}

// A request timeout is libcurl's, in real time, and so is the duration recorded: on the
// system clock.
class DispatcherTimeout : public DispatcherFixture {};

TEST_F(DispatcherTimeout, HangingReceiverIsATimeout) {
  TestReceiver rx([](const ReceivedRequest&) { return ScriptedResponse::hang(10s); });
  add_endpoint(rx.url());
  auto ids = publish();
  auto options = default_options();
  options.retry_policy = RetryPolicy({60'000});
  options.request_timeout = 300;
  start_dispatcher(options);
  Delivery d = wait_for_attempts(ids[0], 1);
  ASSERT_EQ(d.attempt_log.size(), 1u);
  const Attempt& a = d.attempt_log[0];
  EXPECT_EQ(a.error, "timeout");
  EXPECT_EQ(a.status_code, 0);
  EXPECT_GE(a.duration_ms, 250);
  EXPECT_LT(a.duration_ms, 5'000);
  EXPECT_EQ(get(ids[0]).status, DeliveryStatus::pending);
}

}  // namespace
}  // namespace axon::test
