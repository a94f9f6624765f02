// When a claim comes back short, the dispatcher asks the store when the next delivery is due,
// to sleep until then; unless new work was announced (Dispatcher::notify) while the claim ran:
// it then claims again at once, and asks after a claim that nothing interrupted.
#include <atomic>

#include "dispatcher_fixture.hpp"
#include "support/store_wrapper.hpp"

namespace axon::test {
namespace {

// Announces new work from inside claim_due while `announcing` > 0 (as an ingest committing
// during the claim would), and counts the next_due_at calls that follow such a claim.
class AnnouncingStore final : public StoreWrapper {
 public:
  using StoreWrapper::StoreWrapper;
  std::atomic<Dispatcher*> dispatcher{nullptr};
  std::atomic<int> announcing{0};
  std::atomic<int> claims{0};
  std::atomic<int> announced_claims{0};
  std::atomic<int> next_due_calls{0};
  std::atomic<int> asked_after_announcing{0};
  std::atomic<bool> last_claim_announced{false};

  Result<std::vector<DeliveryJob>> claim_due(std::string_view owner, Millis now, Millis lease_ms,
                                             int limit) override {
    ++claims;
    const bool announce = announcing.load() > 0;
    if (announce) {
      --announcing;
      ++announced_claims;
      if (Dispatcher* d = dispatcher.load()) d->notify();
    }
    last_claim_announced = announce;
    return StoreWrapper::claim_due(owner, now, lease_ms, limit);
  }
  Result<std::optional<Millis>> next_due_at() override {
    ++next_due_calls;
    if (last_claim_announced.load()) ++asked_after_announcing;
    return StoreWrapper::next_due_at();
  }
};

using DispatcherNextDue = DispatcherFixture;

TEST_F(DispatcherNextDue, AClaimDuringWhichWorkWasAnnouncedDoesNotAskWhenTheNextIsDue) {
  AnnouncingStore store(*store_);
  DispatcherOptions options = default_options();
  options.poll_interval = 1'000;
  Dispatcher& dispatcher = start_dispatcher(options, &store);
  store.dispatcher = &dispatcher;
  // Idle: each (empty) claim asks.
  const auto idle_deadline = std::chrono::steady_clock::now() + 10s;
  while (store.next_due_calls.load() < 1 && std::chrono::steady_clock::now() < idle_deadline) {
    std::this_thread::sleep_for(5ms);
  }
  ASSERT_GE(store.next_due_calls.load(), 1);

  // Twenty claims in a row announce work: each is followed by another claim at once (not
  // after the 1 s poll interval), and none by the question.
  const auto start = std::chrono::steady_clock::now();
  store.announcing = 20;
  dispatcher.notify();
  const auto deadline = start + 10s;
  while (store.announced_claims.load() < 20 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(1ms);
  }
  ASSERT_EQ(store.announced_claims.load(), 20);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  // The claim after the last announcing one asks again.
  const int asked_before = store.next_due_calls.load();
  while (store.next_due_calls.load() == asked_before &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(1ms);
  }
  EXPECT_GT(store.next_due_calls.load(), asked_before);
  EXPECT_EQ(store.asked_after_announcing.load(), 0);
  dispatcher.stop(0);  // before `store` goes away
}

}  // namespace
}  // namespace axon::test
