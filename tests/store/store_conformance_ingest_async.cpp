// Store conformance: ingest_event_async (an event handed to the group commit, answered from
// the commit's completion instead of a waiting thread).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>

#include "store/store_conformance.hpp"

namespace axon::test {
namespace {

// Collects the answers of async ingests: each `done` must run exactly once.
class Answers {
 public:
  explicit Answers(std::size_t expected) : results_(expected), calls_(expected) {}

  Store::IngestDone slot(std::size_t i) {
    return [this, i](Result<IngestResult> result) {
      std::lock_guard lock(mu_);
      results_[i] = std::move(result);
      ++calls_[i];
      ++answered_;
      cv_.notify_all();
    };
  }

  // Waits (bounded) until every slot has been answered at least once.
  bool wait_all() {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(30),
                        [&] { return answered_ >= results_.size(); });
  }

  const Result<IngestResult>& result(std::size_t i) const { return *results_[i]; }
  int calls(std::size_t i) const { return calls_[i]; }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::optional<Result<IngestResult>>> results_;
  std::vector<int> calls_;
  std::size_t answered_ = 0;
};

// Delivery ids that threads may draw concurrently (the fixture's next_id is single-threaded).
std::function<std::string()> concurrent_delivery_ids() {
  auto counter = std::make_shared<std::atomic<std::uint64_t>>(0);
  return [counter] {
    char digits[32];
    std::snprintf(digits, sizeof digits, "9%025llu",
                  static_cast<unsigned long long>(++*counter));
    return std::string("dlv_") + digits;
  };
}

}  // namespace

TEST_P(StoreConformance, AsyncIngestAnswersEachEventOnceAfterItIsStored) {
  auto tenant = add_tenant();
  auto orders = add_endpoint(tenant, std::vector<std::string>{"order.*"});
  constexpr std::size_t kThreads = 4, kPerThread = 25;
  std::vector<NewEvent> events;
  for (std::size_t i = 0; i < kThreads * kPerThread; ++i) {
    // Every fifth event repeats the key "same": one of them is stored, the rest replay it.
    if (i % 5 == 0) {
      events.push_back(new_event(tenant, "user.created", T0, "same"));
    } else {
      events.push_back(new_event(tenant, i % 2 ? "order.paid" : "user.created", T0));
    }
  }
  const auto orders_events = std::count_if(events.begin(), events.end(), [](const NewEvent& e) {
    return e.type == "order.paid";
  });
  Answers answers(events.size());
  auto ids = concurrent_delivery_ids();
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (std::size_t i = t * kPerThread; i < (t + 1) * kPerThread; ++i) {
        store().ingest_event_async(events[i], T0, ids, answers.slot(i));
      }
    });
  }
  for (auto& thread : threads) thread.join();
  ASSERT_TRUE(answers.wait_all());

  std::optional<std::string> keyed_event;
  std::size_t stored = 0;
  for (std::size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(answers.calls(i), 1) << "event " << i;
    const auto& result = answers.result(i);
    ASSERT_TRUE(result.has_value()) << result.error().message;
    if (events[i].idempotency_key) {
      if (!keyed_event) keyed_event = result->event.id;
      EXPECT_EQ(result->event.id, *keyed_event);  // all share the first stored one
      if (result->replayed) continue;
    } else {
      EXPECT_FALSE(result->replayed);
      EXPECT_EQ(result->event.id, events[i].id);
    }
    ++stored;
    // Answered means stored: readable at once, with its fan-out.
    auto event = must(store().get_event(tenant.id, result->event.id));
    EXPECT_EQ(event.deliveries, result->event.deliveries);
    EXPECT_EQ(result->event.deliveries, event.type == "order.paid" ? 1 : 0);
  }
  EXPECT_EQ(stored, events.size() - events.size() / 5 + 1);  // keyed ones: a single event
  auto listed = must(store().list_events(tenant.id, {}, {1000, std::nullopt})).items;
  EXPECT_EQ(listed.size(), stored);
  EXPECT_EQ(deliveries(tenant, {.status = std::nullopt, .endpoint_id = orders.id}).size(),
            static_cast<std::size_t>(orders_events));
}

TEST_P(StoreConformance, AsyncIngestRefusesOneEventWithoutUndoingOthers) {
  auto tenant = add_tenant();
  add_endpoint(tenant);
  Tenant gone = tenant;
  gone.id = next_id("ten_");  // never stored
  std::vector<NewEvent> events = {new_event(tenant, "a.b", T0), new_event(gone, "a.b", T0),
                                  new_event(tenant, "a.c", T0)};
  Answers answers(events.size());
  auto ids = concurrent_delivery_ids();
  for (std::size_t i = 0; i < events.size(); ++i) {
    store().ingest_event_async(events[i], T0, ids, answers.slot(i));
  }
  ASSERT_TRUE(answers.wait_all());
  ASSERT_TRUE(answers.result(0).has_value());
  ASSERT_FALSE(answers.result(1).has_value());
  EXPECT_EQ(answers.result(1).error().code, Errc::not_found);
  ASSERT_TRUE(answers.result(2).has_value());
  EXPECT_EQ(must(store().get_event(tenant.id, events[0].id)).deliveries, 1);
  EXPECT_EQ(must(store().get_event(tenant.id, events[2].id)).deliveries, 1);
  EXPECT_EQ(must(store().list_events(tenant.id, {}, {1000, std::nullopt})).items.size(), 2u);
}

}  // namespace axon::test
