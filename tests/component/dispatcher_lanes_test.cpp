// The dispatcher's two store lanes: outcome batches are written beside claims, and what the
// single lane used to give by running everything in order still holds. A FIFO endpoint's next
// delivery is sent only after its predecessor's outcome is in the store, never two at once;
// stop() records every outcome, including one still being written, before it hands the
// leases back. The ordering tests run with both lanes and with one (concurrent_outcomes off).
#include <atomic>
#include <condition_variable>
#include <mutex>

#include "dispatcher_fixture.hpp"
#include "support/store_wrapper.hpp"

namespace axon::test {
namespace {

// Forwards to the real store. complete_attempts can be held at a gate, as a slow commit
// holds it, and takes `commit_latency` like a database round trip would; the calls whose
// order matters here are logged.
class GatedStore final : public StoreWrapper {
 public:
  using StoreWrapper::StoreWrapper;
  std::chrono::milliseconds commit_latency{0};  // set before the dispatcher starts

  void close_gate() {
    std::lock_guard lock(mu_);
    gate_open_ = false;
  }
  void open_gate() {
    {
      std::lock_guard lock(mu_);
      gate_open_ = true;
    }
    cv_.notify_all();
  }
  // True once a complete_attempts call is waiting at the closed gate.
  bool wait_until_held(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return held_ > 0; });
  }
  std::vector<std::string> log() const {
    std::lock_guard lock(mu_);
    return log_;
  }

  Result<void> complete_attempts(std::string_view owner, std::span<const AttemptRecord> records,
                                 Millis now) override {
    {
      std::unique_lock lock(mu_);
      ++held_;
      cv_.notify_all();
      cv_.wait(lock, [&] { return gate_open_; });
      --held_;
    }
    if (commit_latency.count() > 0) std::this_thread::sleep_for(commit_latency);
    auto r = StoreWrapper::complete_attempts(owner, records, now);
    append("complete_attempts");
    return r;
  }
  Result<void> release_leases(std::string_view owner) override {
    append("release_leases");
    return StoreWrapper::release_leases(owner);
  }

 private:
  void append(std::string entry) {
    std::lock_guard lock(mu_);
    log_.push_back(std::move(entry));
  }

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool gate_open_ = true;
  int held_ = 0;
  std::vector<std::string> log_;
};

class DispatcherLanesBase : public DispatcherFixture {
 protected:
  // The fixture's TearDown stops the dispatcher, before gated_ goes.
  void SetUp() override {
    DispatcherFixture::SetUp();
    gated_ = std::make_unique<GatedStore>(*store_);
  }
  void TearDown() override {
    gated_->open_gate();  // a failed assertion must not leave the dispatcher stuck
    DispatcherFixture::TearDown();
  }
  Dispatcher& start(bool concurrent_outcomes) {
    auto options = default_options();
    options.concurrent_outcomes = concurrent_outcomes;
    return start_dispatcher(std::move(options), gated_.get());
  }

  std::unique_ptr<GatedStore> gated_;
};

class DispatcherLanes : public DispatcherLanesBase {};

// With its own lane, an outcome batch that takes long to commit leaves claims running: a new
// event is claimed and sent while the previous outcome is still being written.
TEST_F(DispatcherLanes, ClaimsAndSendsWhileAnOutcomeBatchIsBeingWritten) {
  TestReceiver rx;
  add_endpoint(rx.url());
  const auto first = publish().at(0);
  gated_->close_gate();
  start(/*concurrent_outcomes=*/true);
  ASSERT_TRUE(gated_->wait_until_held(10s));  // the first outcome is on its way

  const auto second = publish().at(0);
  dispatcher_->notify();
  ASSERT_TRUE(rx.wait_for_requests(2, 10s)) << "the claim waited for the outcome batch";
  EXPECT_EQ(get(first).status, DeliveryStatus::pending);  // still held at the gate

  gated_->open_gate();
  EXPECT_EQ(wait_for_status(first, DeliveryStatus::succeeded).status, DeliveryStatus::succeeded);
  EXPECT_EQ(wait_for_status(second, DeliveryStatus::succeeded).status,
            DeliveryStatus::succeeded);
  EXPECT_EQ(rx.request_count(), 2u);
}

class DispatcherLaneOrder : public DispatcherLanesBase,
                            public ::testing::WithParamInterface<bool> {};

// Each request to a FIFO endpoint finds every earlier delivery of it succeeded in the store
// (checked by the receiver as the request arrives), including behind a retry of the head,
// while outcomes take a database round trip to commit and claims run beside them.
TEST_P(DispatcherLaneOrder, FifoSuccessorIsSentOnlyAfterItsPredecessorIsRecorded) {
  std::mutex mu;  // guards ids and violations (the receiver has its own thread)
  std::vector<std::string> ids;
  std::vector<std::string> violations;
  TestReceiver rx([&](const ReceivedRequest& r) {
    const std::string id = r.header("X-Axon-Delivery-Id").value_or("");
    std::lock_guard lock(mu);
    for (const auto& earlier : ids) {
      if (earlier == id) break;
      auto d = store_->get_delivery(tenant_id_, earlier);
      if (!d || d->status != DeliveryStatus::succeeded) {
        violations.push_back(id + " sent before " + earlier + " was recorded");
      }
    }
    // The head fails once: its successor must wait for the retry too.
    return r.seq == 0 ? ScriptedResponse::with_status(500) : ScriptedResponse::ok();
  });
  add_endpoint(rx.url(), [](Endpoint& e) { e.ordering = Ordering::fifo; });
  {
    std::lock_guard lock(mu);
    for (int i = 0; i < 6; ++i) ids.push_back(publish().at(0));
  }
  gated_->commit_latency = 5ms;
  start(GetParam());

  ASSERT_TRUE(rx.wait_for_requests(7, 20s));
  for (const auto& id : ids) {
    EXPECT_EQ(wait_for_status(id, DeliveryStatus::succeeded).status, DeliveryStatus::succeeded);
  }
  EXPECT_EQ(rx.max_concurrent(), 1);
  std::lock_guard lock(mu);
  auto reqs = rx.requests();
  ASSERT_EQ(reqs.size(), 7u);
  EXPECT_EQ(reqs[0].header("X-Axon-Delivery-Id"), ids[0]);
  for (std::size_t i = 0; i < ids.size(); ++i) {
    EXPECT_EQ(reqs[i + 1].header("X-Axon-Delivery-Id"), ids[i]) << i;
  }
  EXPECT_TRUE(violations.empty()) << violations.front();
}

// stop() while an outcome batch is still being written: stop waits for it, and the leases go
// back only after every outcome is in the store.
TEST_P(DispatcherLaneOrder, StopRecordsTheBatchBeingWrittenBeforeHandingLeasesBack) {
  TestReceiver rx([](const ReceivedRequest& r) {
    return r.seq == 0 ? ScriptedResponse::ok() : ScriptedResponse::hang(60s);
  });
  add_endpoint(rx.url(), [](Endpoint& e) { e.max_in_flight = 1; });
  const auto quick = publish().at(0);
  const auto hung = publish().at(0);
  gated_->close_gate();
  start(GetParam());
  ASSERT_TRUE(gated_->wait_until_held(10s));  // the quick one's outcome
  ASSERT_TRUE(rx.wait_for_requests(2, 10s));  // the hung one is in flight

  std::atomic<bool> stopped{false};
  std::thread stopper([&] {
    dispatcher_->stop(0);
    stopped = true;
  });
  EXPECT_FALSE(stopped.load()) << "stop() returned while an outcome was still being written";
  gated_->open_gate();
  stopper.join();

  EXPECT_EQ(gated_->log(), (std::vector<std::string>{"complete_attempts", "release_leases"}));
  Delivery done = get(quick);
  EXPECT_EQ(done.status, DeliveryStatus::succeeded);
  EXPECT_EQ(done.attempts, 1);
  Delivery back = get(hung);
  EXPECT_EQ(back.status, DeliveryStatus::pending);
  EXPECT_EQ(back.attempts, 0);  // aborted, not attempted
  EXPECT_FALSE(back.lease_owner);
}

// Prefixed "Dispatcher" so that `make tsan` (the Dispatcher* tests) runs these too.
INSTANTIATE_TEST_SUITE_P(Dispatcher, DispatcherLaneOrder, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "TwoLanes" : "OneLane";
                         });

}  // namespace
}  // namespace axon::test
