// Auto-disable, driven by the dispatcher on a FakeClock: the periodic check disables an
// endpoint once it has been failing for auto_disable_after, not before.
#include <algorithm>
#include <mutex>
#include <vector>

#include "dispatcher_fixture.hpp"
#include "support/store_wrapper.hpp"

namespace axon::test {
namespace {

// Forwards to the real store and remembers the times of the auto-disable checks that ran.
class CheckLog final : public StoreWrapper {
 public:
  using StoreWrapper::StoreWrapper;
  Result<std::vector<Endpoint>> disable_failing_endpoints(Millis now, Millis period) override {
    auto disabled = StoreWrapper::disable_failing_endpoints(now, period);
    std::lock_guard lock(mu_);
    checked_at_.push_back(now);
    return disabled;
  }
  bool checked_at(Millis now) const {
    std::lock_guard lock(mu_);
    return std::find(checked_at_.begin(), checked_at_.end(), now) != checked_at_.end();
  }

 private:
  mutable std::mutex mu_;
  std::vector<Millis> checked_at_;
};

class DispatcherAutoDisable : public DispatcherFixtureOn<FakeClock> {
 protected:
  // The fixture's TearDown stops the dispatcher, before checks_ goes.
  void SetUp() override {
    DispatcherFixtureOn<FakeClock>::SetUp();
    checks_ = std::make_unique<CheckLog>(*store_);
  }

  // Moves the fake clock to `t`, wakes the dispatcher, and waits for the check it runs then.
  void check_at(Millis t) {
    clock_.advance(t - clock_.now_ms());
    dispatcher_->notify();
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!checks_->checked_at(t) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(1ms);
    }
    ASSERT_TRUE(checks_->checked_at(t));
  }

  std::unique_ptr<CheckLog> checks_;
};

TEST_F(DispatcherAutoDisable, EndpointFailingForThePeriodIsDisabled) {
  TestReceiver rx([](const ReceivedRequest&) { return ScriptedResponse::with_status(500); });
  Endpoint ep = add_endpoint(rx.url());
  auto ids = publish();
  auto options = default_options();
  options.retry_policy = RetryPolicy({3'600'000});  // no retry within the test
  options.auto_disable_after = 60'000;
  options.auto_disable_check_interval = 10'000;
  start_dispatcher(options, checks_.get());
  const Attempt first = wait_for_attempts(ids[0], 1).attempt_log.at(0);  // failing since then

  check_at(first.started_at + 59'999);
  auto endpoint = store_->get_endpoint(tenant_id_, ep.id);
  ASSERT_TRUE(endpoint);
  EXPECT_FALSE(endpoint->disabled) << "disabled before it had failed for the whole period";

  check_at(first.started_at + 70'000);
  endpoint = store_->get_endpoint(tenant_id_, ep.id);
  ASSERT_TRUE(endpoint);
  EXPECT_TRUE(endpoint->disabled);
  EXPECT_FALSE(endpoint->disabled_reason.empty());
  EXPECT_EQ(rx.request_count(), 1u);
}

}  // namespace
}  // namespace axon::test
