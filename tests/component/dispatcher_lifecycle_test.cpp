// Shutdown and store trouble: stop(grace) records what finished and hands back the rest;
// a store outage loses no outcome and does not stop the dispatcher.
#include <atomic>

#include "dispatcher_fixture.hpp"
#include "support/store_wrapper.hpp"

namespace axon::test {
namespace {

// Forwards to a real store; complete_attempts / claim_due can be made to fail as if the
// database were unreachable.
class FlakyStore final : public StoreWrapper {
 public:
  using StoreWrapper::StoreWrapper;
  std::atomic<int> fail_completes{0};
  std::atomic<int> fail_claims{0};
  std::atomic<int> complete_calls{0};
  Errc failure = Errc::unavailable;  // what a failing call answers (set before start)

  Result<void> complete_attempts(std::string_view owner, std::span<const AttemptRecord> records,
                                 Millis now) override {
    ++complete_calls;
    if (fail_completes.load() > 0) {
      --fail_completes;
      return fail(failure, "database is down or full (test)");
    }
    return StoreWrapper::complete_attempts(owner, records, now);
  }
  Result<std::vector<DeliveryJob>> claim_due(std::string_view owner, Millis now, Millis lease_ms,
                                             int limit) override {
    if (fail_claims.load() > 0) {
      --fail_claims;
      return fail(failure, "database is down or full (test)");
    }
    return StoreWrapper::claim_due(owner, now, lease_ms, limit);
  }
};

class DispatcherLifecycle : public DispatcherFixture {
 protected:
  void expect_outage_loses_no_outcome(Errc failure, int failures);
};

TEST_F(DispatcherLifecycle, StopRecordsFinishedAttemptsAndHandsBackTheRest) {
  // The first two requests answer at once; the others hang until the receiver stops.
  TestReceiver rx([](const ReceivedRequest& r) {
    return r.seq < 2 ? ScriptedResponse::ok() : ScriptedResponse::hang(60s);
  });
  add_endpoint(rx.url(), [](Endpoint& e) { e.max_in_flight = 4; });
  std::vector<std::string> ids;
  for (int i = 0; i < 4; ++i) ids.push_back(publish().at(0));
  start_dispatcher();
  ASSERT_TRUE(rx.wait_for_requests(4, 10s));
  // Wait until the two quick ones are recorded; the two slow ones are then in flight.
  int succeeded = 0;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (succeeded < 2 && std::chrono::steady_clock::now() < deadline) {
    succeeded = 0;
    for (const auto& id : ids) succeeded += get(id).status == DeliveryStatus::succeeded;
    if (succeeded < 2) std::this_thread::sleep_for(10ms);
  }
  ASSERT_EQ(succeeded, 2);

  // No grace: the hung attempts are aborted at once (the grace is counted on the dispatcher's
  // Clock, and these would not finish within any).
  dispatcher_->stop(0);
  EXPECT_EQ(dispatcher_->stats().in_flight.load(), 0);

  std::vector<std::string> unfinished;
  for (const auto& id : ids) {
    Delivery d = get(id);
    if (d.status == DeliveryStatus::succeeded) {
      EXPECT_EQ(d.attempts, 1);
      continue;
    }
    EXPECT_EQ(d.status, DeliveryStatus::pending);
    EXPECT_EQ(d.attempts, 0);  // an aborted attempt is not an attempt
    EXPECT_FALSE(d.lease_owner) << id;
    unfinished.push_back(id);
  }
  ASSERT_EQ(unfinished.size(), 2u);
  // Claimable again, right away, by anyone.
  auto claimed = store_->claim_due("someone-else", clock_.now_ms(), 60'000, 10);
  ASSERT_TRUE(claimed);
  std::vector<std::string> claimed_ids;
  for (const auto& job : *claimed) claimed_ids.push_back(job.delivery_id);
  std::sort(claimed_ids.begin(), claimed_ids.end());
  std::sort(unfinished.begin(), unfinished.end());
  EXPECT_EQ(claimed_ids, unfinished);
}

TEST_F(DispatcherLifecycle, StopWhileIdleIsPromptAndRestartable) {
  TestReceiver rx;
  add_endpoint(rx.url());
  auto options = default_options();
  options.poll_interval = 60'000;
  start_dispatcher(options);
  const auto t0 = std::chrono::steady_clock::now();
  dispatcher_->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  auto ids = publish();
  dispatcher_->start();
  dispatcher_->notify();
  EXPECT_EQ(wait_for_status(ids[0], DeliveryStatus::succeeded).status, DeliveryStatus::succeeded);
}

// The store fails claims and recordings `failures` times with `failure`, then recovers: the
// one attempt is made once and recorded once, after the outage.
void DispatcherLifecycle::expect_outage_loses_no_outcome(Errc failure, int failures) {
  TestReceiver rx;
  add_endpoint(rx.url());
  FlakyStore flaky(*store_);
  flaky.failure = failure;
  flaky.fail_claims = 2;
  flaky.fail_completes = failures;
  auto ids = publish();
  dispatcher_ = std::make_unique<Dispatcher>(flaky, *box_, clock_, random_, default_options());
  dispatcher_->start();
  Delivery d = wait_for_status(ids[0], DeliveryStatus::succeeded);
  EXPECT_EQ(d.status, DeliveryStatus::succeeded);
  EXPECT_EQ(d.attempts, 1);  // recorded once, after the outage, not re-sent
  EXPECT_EQ(rx.request_count(), 1u);
  EXPECT_GE(flaky.complete_calls.load(), failures + 1);
  dispatcher_->stop();  // before `flaky` goes away
}

TEST_F(DispatcherLifecycle, StoreOutageLosesNoOutcome) {
  expect_outage_loses_no_outcome(Errc::unavailable, 3);
}

// A full disk is an outage like any other: outcomes wait and are recorded once space is back.
TEST_F(DispatcherLifecycle, FullDiskPausesRecordingAndLosesNoOutcome) {
  expect_outage_loses_no_outcome(Errc::storage_full, 4);
}

}  // namespace
}  // namespace axon::test
