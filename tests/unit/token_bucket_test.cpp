// TokenBucket on a FakeClock's steady time: a rate limit spreads attempts over time (the
// burst, then one per 1/rate), whatever the wall clock does.
#include "delivery/token_bucket.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace axon {
namespace {

TokenBucket::TimePoint at(const FakeClock& clock) {
  return TokenBucket::TimePoint{std::chrono::milliseconds(clock.steady_ms())};
}

TEST(TokenBucket, UnlimitedNeverWaits) {
  FakeClock clock;
  TokenBucket bucket;
  for (int i = 0; i < 1'000; ++i) EXPECT_TRUE(bucket.try_take(at(clock)));
  EXPECT_EQ(bucket.time_for(1, at(clock)), at(clock));
}

// 60 attempts at 20/s, taken as soon as a token is there: the burst is 2, then one every
// 50 ms, so they span at least 2.9 s and no one-second window holds more than 22.
TEST(TokenBucket, RateLimitSpreadsAttemptsOverTime) {
  FakeClock clock;
  TokenBucket bucket;
  bucket.set_rate(20, at(clock));
  std::vector<Millis> taken;
  while (taken.size() < 60) {
    if (bucket.try_take(at(clock))) {
      taken.push_back(clock.steady_ms());
      continue;
    }
    clock.advance(1);
  }
  EXPECT_EQ(taken[1], taken[0]);       // the burst
  EXPECT_EQ(taken[2] - taken[1], 50);  // then one per 50 ms
  EXPECT_GE(taken.back() - taken.front(), 2'900);
  for (std::size_t i = 0; i < taken.size(); ++i) {
    std::size_t in_window = 0;
    for (std::size_t j = i; j < taken.size() && taken[j] - taken[i] < 1'000; ++j) ++in_window;
    EXPECT_LE(in_window, 22u) << "window starting at attempt " << i;
  }
}

TEST(TokenBucket, SaysWhenTheNextTokenComes) {
  FakeClock clock;
  TokenBucket bucket;
  bucket.set_rate(10, at(clock));  // burst 1, then one per 100 ms
  ASSERT_TRUE(bucket.try_take(at(clock)));
  EXPECT_FALSE(bucket.try_take(at(clock)));
  EXPECT_EQ(bucket.time_for(1, at(clock)), at(clock) + std::chrono::milliseconds(100));
  clock.advance(99);
  EXPECT_FALSE(bucket.try_take(at(clock)));
  clock.advance(1);
  EXPECT_TRUE(bucket.try_take(at(clock)));
}

TEST(TokenBucket, AnIdleBucketHoldsNoMoreThanItsBurst) {
  FakeClock clock;
  TokenBucket bucket;
  bucket.set_rate(20, at(clock));
  clock.advance(60'000);
  int taken = 0;
  while (bucket.try_take(at(clock))) ++taken;
  EXPECT_EQ(taken, 2);
}

}  // namespace
}  // namespace axon
