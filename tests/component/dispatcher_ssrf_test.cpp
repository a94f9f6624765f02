// The SSRF guard: without --allow-private-targets, an endpoint that points at a loopback
// address is refused at connect time — an attempt with error class `blocked`, and the
// receiver sees nothing at all.
#include "dispatcher_fixture.hpp"

namespace axon::test {
namespace {

class DispatcherSsrf : public DispatcherFixture {
 protected:
  DispatcherOptions guarded() const {
    auto o = default_options();
    o.allow_private_targets = false;
    o.retry_policy = RetryPolicy({60'000});
    return o;
  }
};

TEST_F(DispatcherSsrf, LoopbackLiteralIsBlockedBeforeAnyConnect) {
  TestReceiver rx;
  add_endpoint(rx.url("/internal"));  // the Store does not re-check URLs; the API would 422
  auto ids = publish();
  start_dispatcher(guarded());
  Delivery d = wait_for_attempts(ids[0], 1);
  ASSERT_EQ(d.attempt_log.size(), 1u);
  EXPECT_EQ(d.attempt_log[0].error, "blocked");
  EXPECT_EQ(d.attempt_log[0].status_code, 0);
  EXPECT_FALSE(d.attempt_log[0].error_message.empty());
  EXPECT_EQ(d.status, DeliveryStatus::pending);  // blocked follows the normal retry rules
  EXPECT_EQ(rx.connections_accepted(), 0);
  EXPECT_EQ(rx.request_count(), 0u);
}

TEST_F(DispatcherSsrf, NameResolvingToLoopbackIsBlockedToo) {
  TestReceiver rx;
  add_endpoint("http://localhost:" + std::to_string(rx.port()) + "/");
  auto ids = publish();
  start_dispatcher(guarded());
  Delivery d = wait_for_attempts(ids[0], 1);
  ASSERT_EQ(d.attempt_log.size(), 1u);
  EXPECT_EQ(d.attempt_log[0].error, "blocked");
  EXPECT_EQ(rx.connections_accepted(), 0);
}

TEST_F(DispatcherSsrf, BlockedUntilExhaustedBecomesDead) {
  TestReceiver rx;
  add_endpoint(rx.url());
  auto ids = publish();
  auto options = guarded();
  options.retry_policy = RetryPolicy({20, 20});
  start_dispatcher(options);
  Delivery d = wait_for_status(ids[0], DeliveryStatus::dead);
  ASSERT_EQ(d.status, DeliveryStatus::dead);
  EXPECT_EQ(d.attempts, 3);
  for (const auto& a : d.attempt_log) EXPECT_EQ(a.error, "blocked");
  EXPECT_EQ(rx.connections_accepted(), 0);
}

}  // namespace
}  // namespace axon::test
