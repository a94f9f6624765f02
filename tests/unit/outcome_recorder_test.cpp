// OutcomeRecorder on a FakeClock's steady time: when a batch is worth a transaction, one
// batch at a time, store-outage backoff that keeps every outcome in order; and
// commit_attempts' one-by-one fallback when the store refuses a batch.
#include "delivery/outcome_recorder.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

namespace axon {
namespace {

AttemptRecord rec(const std::string& delivery_id) {
  AttemptRecord r;
  r.delivery_id = delivery_id;
  r.attempt.n = 1;
  return r;
}

std::vector<std::string> ids(const std::vector<AttemptRecord>& batch) {
  std::vector<std::string> out;
  for (const auto& r : batch) out.push_back(r.delivery_id);
  return out;
}

class OutcomeRecorderTest : public ::testing::Test {
 protected:
  OutcomeRecorder recorder_{/*flush_delay=*/5, /*max_batch=*/3};
  FakeClock clock_;
};

TEST_F(OutcomeRecorderTest, WaitsUpToTheFlushDelayToShareATransaction) {
  recorder_.add(rec("a"), clock_.steady_ms());
  EXPECT_EQ(recorder_.take_batch(clock_.steady_ms(), /*none_in_flight=*/false), std::nullopt);
  EXPECT_EQ(recorder_.wake_at(), clock_.steady_ms() + 5);
  clock_.advance(4);
  recorder_.add(rec("b"), clock_.steady_ms());
  EXPECT_EQ(recorder_.take_batch(clock_.steady_ms(), false), std::nullopt);
  clock_.advance(1);  // the oldest has waited 5 ms
  auto batch = recorder_.take_batch(clock_.steady_ms(), false);
  ASSERT_TRUE(batch);
  EXPECT_EQ(ids(*batch), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(recorder_.unrecorded(), 2u);  // being recorded
}

TEST_F(OutcomeRecorderTest, RecordsAtOnceWhenNothingIsInFlightOrTheBatchIsFull) {
  recorder_.add(rec("a"), clock_.steady_ms());
  EXPECT_TRUE(recorder_.take_batch(clock_.steady_ms(), /*none_in_flight=*/true));
  recorder_.on_recorded();
  for (const char* id : {"b", "c", "d"}) recorder_.add(rec(id), clock_.steady_ms());
  EXPECT_TRUE(recorder_.take_batch(clock_.steady_ms(), false));  // max_batch reached
}

TEST_F(OutcomeRecorderTest, OneBatchAtATimeAndTheNextIsBigger) {
  recorder_.add(rec("a"), clock_.steady_ms());
  ASSERT_TRUE(recorder_.take_batch(clock_.steady_ms(), true));
  recorder_.add(rec("b"), clock_.steady_ms());
  recorder_.add(rec("c"), clock_.steady_ms());
  EXPECT_EQ(recorder_.take_batch(clock_.steady_ms(), true), std::nullopt);
  EXPECT_EQ(recorder_.wake_at(), std::nullopt);  // the continuation wakes the dispatcher
  EXPECT_EQ(recorder_.unrecorded(), 3u);
  recorder_.on_recorded();
  auto next = recorder_.take_batch(clock_.steady_ms(), true);
  ASSERT_TRUE(next);
  EXPECT_EQ(ids(*next), (std::vector<std::string>{"b", "c"}));
}

TEST_F(OutcomeRecorderTest, StoreOutageKeepsEveryOutcomeInOrderAndBacksOff) {
  recorder_.add(rec("a"), clock_.steady_ms());
  auto batch = recorder_.take_batch(clock_.steady_ms(), true);
  ASSERT_TRUE(batch);
  recorder_.add(rec("b"), clock_.steady_ms());  // finished while "a" was being recorded
  EXPECT_EQ(recorder_.on_failed(std::move(*batch), clock_.steady_ms()), 100);
  EXPECT_EQ(recorder_.unrecorded(), 2u);
  EXPECT_EQ(recorder_.take_batch(clock_.steady_ms(), true), std::nullopt);
  EXPECT_EQ(recorder_.wake_at(), clock_.steady_ms() + 100);
  clock_.advance(99);
  EXPECT_EQ(recorder_.take_batch(clock_.steady_ms(), true), std::nullopt);
  clock_.advance(1);
  batch = recorder_.take_batch(clock_.steady_ms(), true);
  ASSERT_TRUE(batch);
  EXPECT_EQ(ids(*batch), (std::vector<std::string>{"a", "b"}));
  // A second failure in a row waits twice as long; a success resets the backoff.
  EXPECT_EQ(recorder_.on_failed(std::move(*batch), clock_.steady_ms()), 200);
  clock_.advance(200);
  batch = recorder_.take_batch(clock_.steady_ms(), true);
  ASSERT_TRUE(batch);
  recorder_.on_recorded();
  EXPECT_EQ(recorder_.unrecorded(), 0u);
  recorder_.add(rec("c"), clock_.steady_ms());
  batch = recorder_.take_batch(clock_.steady_ms(), true);
  ASSERT_TRUE(batch);
  EXPECT_EQ(recorder_.on_failed(std::move(*batch), clock_.steady_ms()), 100);
}

TEST_F(OutcomeRecorderTest, BackoffIsCappedAtFiveSeconds) {
  recorder_.add(rec("a"), clock_.steady_ms());
  Millis last = 0;
  for (int i = 0; i < 10; ++i) {
    auto batch = recorder_.take_batch(clock_.steady_ms(), true);
    ASSERT_TRUE(batch);
    last = recorder_.on_failed(std::move(*batch), clock_.steady_ms());
    clock_.advance(last);
  }
  EXPECT_EQ(last, 5'000);
}

// A fake Store::complete_attempts: refuses the records listed, or fails them all as an outage.
struct FakeComplete {
  std::vector<std::string> refused;
  int outage_after_calls = -1;  // the call with this index (0-based) and later ones fail
  std::vector<std::vector<std::string>> calls;
  std::vector<std::string> recorded;

  Result<void> operator()(std::span<const AttemptRecord> records) {
    std::vector<std::string> call;
    for (const auto& r : records) call.push_back(r.delivery_id);
    calls.push_back(call);
    if (outage_after_calls >= 0 && static_cast<int>(calls.size()) > outage_after_calls) {
      return fail(Errc::unavailable, "database is down (test)");
    }
    for (const auto& id : call) {
      if (std::find(refused.begin(), refused.end(), id) != refused.end()) {
        return fail(Errc::conflict, "refused (test)");
      }
    }
    recorded.insert(recorded.end(), call.begin(), call.end());
    return {};
  }
};

Result<void> commit(std::vector<AttemptRecord>& batch, FakeComplete& store) {
  return commit_attempts(batch, std::ref(store));
}

TEST(CommitAttempts, OneTransactionForTheWholeBatch) {
  FakeComplete store;
  std::vector<AttemptRecord> batch{rec("a"), rec("b")};
  ASSERT_TRUE(commit(batch, store));
  EXPECT_EQ(store.calls.size(), 1u);
  EXPECT_EQ(store.recorded, (std::vector<std::string>{"a", "b"}));
}

TEST(CommitAttempts, ARefusedRecordIsDroppedAloneAndTheRestRecorded) {
  FakeComplete store{.refused = {"b"}};
  std::vector<AttemptRecord> batch{rec("a"), rec("b"), rec("c")};
  ASSERT_TRUE(commit(batch, store));
  EXPECT_EQ(store.recorded, (std::vector<std::string>{"a", "c"}));
  EXPECT_TRUE(batch.empty());
}

TEST(CommitAttempts, AnOutageKeepsTheBatchWhole) {
  FakeComplete store{.outage_after_calls = 0};
  std::vector<AttemptRecord> batch{rec("a"), rec("b")};
  auto r = commit(batch, store);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::unavailable);
  EXPECT_EQ(store.calls.size(), 1u);  // no one-by-one retry on an outage
  EXPECT_EQ(ids(batch), (std::vector<std::string>{"a", "b"}));
}

TEST(CommitAttempts, AnOutageDuringOneByOneKeepsWhatIsNotRecorded) {
  // The batch is refused (because of "a"); "a" alone is refused too, then the store goes down.
  FakeComplete store{.refused = {"a"}, .outage_after_calls = 2};
  std::vector<AttemptRecord> batch{rec("a"), rec("b"), rec("c")};
  auto r = commit(batch, store);
  ASSERT_FALSE(r);
  EXPECT_EQ(ids(batch), (std::vector<std::string>{"b", "c"}));
  EXPECT_TRUE(store.recorded.empty());
}

}  // namespace
}  // namespace axon
