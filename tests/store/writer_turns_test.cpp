// WriterTurns: a foreground writer goes before waiting background ones, but not twice in a
// row while background work waits (so neither class starves).
#include "store/sqlite/writer_turns.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace axon::sqlite {
namespace {

using Kind = WriterTurns::Kind;

// Who got the writer, in order.
struct Log {
  std::mutex mu;
  std::vector<std::string> order;
  void add(std::string who) {
    std::lock_guard lock(mu);
    order.push_back(std::move(who));
  }
};

// Starts a thread that takes the writer as `kind`, logs `who`, releases it; returns once the
// thread is counted as waiting.
std::thread waiter(WriterTurns& turns, Log& log, Kind kind, std::string who, int waiting_before) {
  std::thread t([&turns, &log, kind, who] {
    WriterTurns::Scoped turn(turns, kind);
    log.add(who);
  });
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (turns.waiting(kind) <= waiting_before && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  EXPECT_EQ(turns.waiting(kind), waiting_before + 1) << who << " never waited";
  return t;
}

TEST(WriterTurns, ForegroundGoesBeforeBackgroundThatWaitedLonger) {
  WriterTurns turns;
  Log log;
  turns.lock(Kind::background);  // a claim in progress
  auto outcome = waiter(turns, log, Kind::background, "outcome batch", 0);
  auto commit = waiter(turns, log, Kind::foreground, "group commit", 0);
  turns.unlock();
  outcome.join();
  commit.join();
  EXPECT_EQ(log.order, (std::vector<std::string>{"group commit", "outcome batch"}));
}

TEST(WriterTurns, BackgroundGetsATurnBetweenTwoForegroundWriters) {
  WriterTurns turns;
  Log log;
  turns.lock(Kind::foreground);  // a group commit in progress
  auto next_commit = waiter(turns, log, Kind::foreground, "next commit", 0);
  auto claim = waiter(turns, log, Kind::background, "claim", 0);
  turns.unlock();
  next_commit.join();
  claim.join();
  EXPECT_EQ(log.order, (std::vector<std::string>{"claim", "next commit"}));
}

TEST(WriterTurns, OneClassAloneNeverWaitsForTheOther) {
  WriterTurns turns;
  Log log;
  turns.lock(Kind::background);
  auto first = waiter(turns, log, Kind::background, "first", 0);
  turns.unlock();
  first.join();
  // The last holder was background and nothing else waits: background goes again at once.
  turns.lock(Kind::background);
  turns.unlock();
  turns.lock(Kind::foreground);
  turns.unlock();
  turns.lock(Kind::foreground);
  turns.unlock();
  EXPECT_EQ(log.order, (std::vector<std::string>{"first"}));
  EXPECT_EQ(turns.waiting(Kind::foreground), 0);
  EXPECT_EQ(turns.waiting(Kind::background), 0);
}

// Busy time is the time between lock and unlock, added to the class that held the writer.
TEST(WriterTurns, AddsUpHowLongEachClassHeldTheWriter) {
  WriterTurns turns;
  EXPECT_EQ(turns.busy_seconds(Kind::foreground), 0.0);
  EXPECT_EQ(turns.busy_seconds(Kind::background), 0.0);
  const auto held_for = [&](Kind kind, std::chrono::milliseconds ms) {
    const auto start = std::chrono::steady_clock::now();
    turns.lock(kind);
    std::this_thread::sleep_for(ms);
    turns.unlock();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  const double foreground = held_for(Kind::foreground, std::chrono::milliseconds(20));
  const double background =
      held_for(Kind::background, std::chrono::milliseconds(30)) +
      held_for(Kind::background, std::chrono::milliseconds(10));
  EXPECT_GE(turns.busy_seconds(Kind::foreground), 0.020);
  EXPECT_LE(turns.busy_seconds(Kind::foreground), foreground);
  EXPECT_GE(turns.busy_seconds(Kind::background), 0.040);
  EXPECT_LE(turns.busy_seconds(Kind::background), background);
}

}  // namespace
}  // namespace axon::sqlite
