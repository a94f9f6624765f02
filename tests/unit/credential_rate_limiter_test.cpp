// CredentialRateLimiter on a FakeClock's steady time: the burst, refills at the rate,
// Retry-After in whole seconds, one budget per credential, and the bounded map.
#include "api/rate_limiter.hpp"

#include <gtest/gtest.h>

#include <string>

namespace axon::api {
namespace {

TEST(CredentialRateLimiter, BurstThenOneTokenPerPeriod) {
  FakeClock clock;
  CredentialRateLimiter limiter(/*rate=*/2, /*burst=*/3);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(limiter.admit("a", clock.steady_ms()), std::nullopt);
  EXPECT_EQ(limiter.admit("a", clock.steady_ms()), 1);  // refused: retry in 1 s (0.5 s, rounded up)
  clock.advance(499);
  EXPECT_EQ(limiter.admit("a", clock.steady_ms()), 1);
  clock.advance(1);  // 2/s: a token every 500 ms
  EXPECT_EQ(limiter.admit("a", clock.steady_ms()), std::nullopt);
  EXPECT_EQ(limiter.admit("a", clock.steady_ms()), 1);
}

TEST(CredentialRateLimiter, RetryAfterIsWholeSecondsUntilATokenIsBack) {
  FakeClock clock;
  CredentialRateLimiter limiter(/*rate=*/0.01, /*burst=*/1);
  EXPECT_EQ(limiter.admit("a", clock.steady_ms()), std::nullopt);
  EXPECT_EQ(limiter.admit("a", clock.steady_ms()), 100);
  clock.advance(60'000);
  EXPECT_EQ(limiter.admit("a", clock.steady_ms()), 40);
}

TEST(CredentialRateLimiter, EachCredentialHasItsOwnBudget) {
  FakeClock clock;
  CredentialRateLimiter limiter(1, 1);
  EXPECT_EQ(limiter.admit("a", clock.steady_ms()), std::nullopt);
  EXPECT_NE(limiter.admit("a", clock.steady_ms()), std::nullopt);
  EXPECT_EQ(limiter.admit("b", clock.steady_ms()), std::nullopt);
}

TEST(CredentialRateLimiter, AWallClockStepChangesNothing) {
  FakeClock clock;
  CredentialRateLimiter limiter(1, 1);
  EXPECT_EQ(limiter.admit("a", clock.steady_ms()), std::nullopt);
  clock.set(clock.now_ms() + 3'600'000);  // wall time jumps an hour; steady time does not
  EXPECT_NE(limiter.admit("a", clock.steady_ms()), std::nullopt);
}

TEST(CredentialRateLimiter, ZeroRateIsOff) {
  FakeClock clock;
  CredentialRateLimiter limiter(0, 1);
  EXPECT_FALSE(limiter.enabled());
  for (int i = 0; i < 100; ++i) EXPECT_EQ(limiter.admit("a", clock.steady_ms()), std::nullopt);
}

// Past max_credentials, idle callers (full buckets) are forgotten first; a caller still
// limited stays limited.
TEST(CredentialRateLimiter, ForgetsIdleCallersFirstWhenFull) {
  FakeClock clock;
  CredentialRateLimiter limiter(/*rate=*/1, /*burst=*/1, /*max_credentials=*/2);
  EXPECT_EQ(limiter.admit("idle", clock.steady_ms()), std::nullopt);
  clock.advance(1'000);  // "idle" is full again
  EXPECT_EQ(limiter.admit("busy", clock.steady_ms()), std::nullopt);
  EXPECT_EQ(limiter.admit("new", clock.steady_ms()), std::nullopt);  // drops "idle" only
  EXPECT_EQ(limiter.admit("busy", clock.steady_ms()), 1);
}

// When every caller is busy, the map is reset: that only ever lets callers in sooner.
TEST(CredentialRateLimiter, ResetsWhenFullOfBusyCallers) {
  FakeClock clock;
  CredentialRateLimiter limiter(/*rate=*/1, /*burst=*/1, /*max_credentials=*/2);
  EXPECT_EQ(limiter.admit("a", clock.steady_ms()), std::nullopt);
  EXPECT_EQ(limiter.admit("b", clock.steady_ms()), std::nullopt);
  EXPECT_EQ(limiter.admit("c", clock.steady_ms()), std::nullopt);
  EXPECT_EQ(limiter.admit("a", clock.steady_ms()), std::nullopt);  // a fresh budget
}

}  // namespace
}  // namespace axon::api
