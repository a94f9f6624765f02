// QueueVacuum (store/postgres/pg_queue_vacuum.hpp) with a vacuum that counts its calls: the
// rule, and the thread that applies it.
#include "store/postgres/pg_queue_vacuum.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace axon::pg {
namespace {

TEST(QueueVacuumRule, DueOnceEnoughRowsWentAndTheRestIsOver) {
  const QueueVacuum::Policy policy{.min_rows = 5'000, .min_interval_ms = 1'000};
  EXPECT_FALSE(QueueVacuum::due(policy, 4'999, 60'000, 10));
  EXPECT_FALSE(QueueVacuum::due(policy, 50'000, 999, 10));
  EXPECT_TRUE(QueueVacuum::due(policy, 5'000, 1'000, 10));
  EXPECT_TRUE(QueueVacuum::due(policy, 80'000, 10'000, 10));
  // A vacuum that took 3 s is followed by at least 12 s of rest, not 1 s.
  EXPECT_FALSE(QueueVacuum::due(policy, 80'000, 11'999, 3'000));
  EXPECT_TRUE(QueueVacuum::due(policy, 80'000, 12'000, 3'000));
  // A threshold of 0 turns it off.
  EXPECT_FALSE(QueueVacuum::due({.min_rows = 0, .min_interval_ms = 0}, 80'000, 60'000, 0));
}

// Polls for up to 5 s until `calls` reaches `want`.
bool reaches(const std::atomic<int>& calls, int want) {
  for (int i = 0; i < 500 && calls.load() < want; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return calls.load() >= want;
}

TEST(QueueVacuum, VacuumsOncePerThresholdOfRetiredRows) {
  std::atomic<int> calls{0};
  {
    QueueVacuum vacuum({.min_rows = 10, .min_interval_ms = 0}, [&] {
      ++calls;
      return true;
    });
    vacuum.note_retired(6);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    EXPECT_EQ(calls.load(), 0) << "vacuumed below the threshold";
    vacuum.note_retired(4);
    EXPECT_TRUE(reaches(calls, 1));
    vacuum.note_retired(9);  // counted from zero again
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    EXPECT_EQ(calls.load(), 1);
    vacuum.note_retired(25);
    EXPECT_TRUE(reaches(calls, 2));
  }
  EXPECT_EQ(calls.load(), 2) << "one vacuum per crossing, however far past the threshold";
}

TEST(QueueVacuum, WaitsOutTheIntervalAndStopsPromptlyMeanwhile) {
  std::atomic<int> calls{0};
  const auto started = std::chrono::steady_clock::now();
  {
    QueueVacuum vacuum({.min_rows = 1, .min_interval_ms = 60'000}, [&] {
      ++calls;
      return true;
    });
    vacuum.note_retired(1);
    EXPECT_TRUE(reaches(calls, 1));  // the first one is not held back
    vacuum.note_retired(1);          // the next one would be a minute later
  }
  EXPECT_EQ(calls.load(), 1);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5))
      << "the destructor waited out the interval";
}

TEST(QueueVacuum, GivesUpForGoodWhenVacuumingCannotWorkHere) {
  std::atomic<int> calls{0};
  QueueVacuum vacuum({.min_rows = 1, .min_interval_ms = 0}, [&] {
    ++calls;
    return false;  // e.g. the role does not own the table
  });
  vacuum.note_retired(1);
  EXPECT_TRUE(reaches(calls, 1));
  for (int i = 0; i < 5; ++i) {
    vacuum.note_retired(100);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(calls.load(), 1);
}

TEST(QueueVacuum, OffStartsNoThreadAndNeverVacuums) {
  std::atomic<int> calls{0};
  QueueVacuum vacuum({.min_rows = 0, .min_interval_ms = 0}, [&] {
    ++calls;
    return true;
  });
  vacuum.note_retired(1'000'000);
  EXPECT_FALSE(vacuum.started());
  EXPECT_EQ(calls.load(), 0);
}

TEST(QueueVacuum, StartsNoThreadUntilSomethingIsNoted) {
  QueueVacuum vacuum({.min_rows = 10, .min_interval_ms = 0}, [] { return true; });
  EXPECT_FALSE(vacuum.started());
  vacuum.note_retired(1);
  EXPECT_TRUE(vacuum.started());
}

}  // namespace
}  // namespace axon::pg
