// ClaimPacer on explicit wall times: claim batching and capacity (outcomes not yet recorded
// pause claiming), pacing after full and short batches, backoff after failed claims,
// notifications that share one claim, and work due again (retries, hand-backs).
#include "delivery/claim_pacer.hpp"

#include <gtest/gtest.h>

namespace axon {
namespace {

constexpr Millis kT0 = 1'764'000'000'000;

ClaimPacer pacer(int max_in_flight = 100, int claim_batch = 40, Millis poll_interval = 1'000) {
  return ClaimPacer({.max_in_flight = max_in_flight, .claim_batch = claim_batch,
                     .poll_interval = poll_interval});
}

TEST(ClaimPacer, FirstClaimIsAtOnceAndOneAtATime) {
  auto p = pacer();
  EXPECT_EQ(p.claim_now(kT0, {}), 40);
  EXPECT_TRUE(p.claim_outstanding());
  EXPECT_EQ(p.claim_now(kT0 + 5'000, {}), std::nullopt);  // the first is still out
  EXPECT_EQ(p.wait_ms(kT0, {}), std::nullopt);             // nothing to wake up for
}

TEST(ClaimPacer, ClaimIsCappedByFreeCapacity) {
  auto p = pacer(100, 40);
  // 70 of 100 taken: 30 free, which is at least a quarter batch (10).
  EXPECT_EQ(p.claim_now(kT0, {.in_flight = 50, .queued = 10, .unrecorded = 10}), 30);
}

TEST(ClaimPacer, BusyDispatcherWaitsForAWorthwhileBatch) {
  auto p = pacer(100, 40);
  const DispatcherLoad busy{.in_flight = 95};  // 5 free < a quarter batch
  EXPECT_FALSE(p.may_claim(busy));
  EXPECT_EQ(p.claim_now(kT0, busy), std::nullopt);
  // An idle dispatcher claims whatever fits, however little.
  const DispatcherLoad idle_but_unrecorded{.unrecorded = 95};
  EXPECT_EQ(p.claim_now(kT0, idle_but_unrecorded), 5);
}

TEST(ClaimPacer, UnrecordedOutcomesPauseClaiming) {
  auto p = pacer(100, 40);
  EXPECT_EQ(p.free_capacity({.unrecorded = 100}), 0);
  EXPECT_EQ(p.claim_now(kT0, {.unrecorded = 100}), std::nullopt);
}

TEST(ClaimPacer, FullBatchClaimsAgainAtOnce) {
  auto p = pacer();
  ASSERT_EQ(p.claim_now(kT0, {}), 40);
  p.on_claimed(kT0, 40, 40, std::nullopt);
  EXPECT_EQ(p.next_claim_at(), kT0);
  EXPECT_EQ(p.claim_now(kT0, {.queued = 40}), 40);
}

TEST(ClaimPacer, ShortBatchSleepsUntilTheNextDueTime) {
  auto p = pacer(100, 40, 1'000);
  ASSERT_TRUE(p.claim_now(kT0, {}));
  p.on_claimed(kT0, 40, 3, kT0 + 300);
  EXPECT_EQ(p.next_claim_at(), kT0 + 300);
  EXPECT_EQ(p.wait_ms(kT0 + 100, {.queued = 3}), 200);
  EXPECT_EQ(p.claim_now(kT0 + 299, {.queued = 3}), std::nullopt);
  EXPECT_TRUE(p.claim_now(kT0 + 300, {.queued = 3}));
}

TEST(ClaimPacer, NextDueTimeIsClampedBetweenMinimumSleepAndPollInterval) {
  auto p = pacer(100, 40, 1'000);
  ASSERT_TRUE(p.claim_now(kT0, {}));
  p.on_claimed(kT0, 40, 0, kT0 - 50);  // due "already": not a busy loop
  EXPECT_EQ(p.next_claim_at(), kT0 + ClaimPacer::kMinIdleSleep);
  ASSERT_TRUE(p.claim_now(kT0 + 10, {}));
  p.on_claimed(kT0 + 10, 40, 0, kT0 + 3'600'000);  // an hour away: still poll
  EXPECT_EQ(p.next_claim_at(), kT0 + 10 + 1'000);
  ASSERT_TRUE(p.claim_now(kT0 + 1'010, {}));
  p.on_claimed(kT0 + 1'010, 40, 0, std::nullopt);  // nothing pending at all
  EXPECT_EQ(p.next_claim_at(), kT0 + 2'010);
}

TEST(ClaimPacer, FailedClaimsBackOffAndASuccessResets) {
  auto p = pacer();
  Millis now = kT0;
  const Millis expected[] = {100, 200, 400, 800, 1'600, 3'200, 5'000, 5'000};
  for (Millis delay : expected) {
    ASSERT_TRUE(p.claim_now(now, {}));
    EXPECT_EQ(p.on_claim_failed(now), delay);
    EXPECT_EQ(p.claim_now(now + delay - 1, {}), std::nullopt);
    now += delay;
  }
  ASSERT_TRUE(p.claim_now(now, {}));
  p.on_claimed(now, 40, 40, std::nullopt);
  ASSERT_TRUE(p.claim_now(now, {.queued = 40}));
  EXPECT_EQ(p.on_claim_failed(now), 100);
}

TEST(ClaimPacer, NotificationsShareOneClaim) {
  auto p = pacer();
  ASSERT_TRUE(p.claim_now(kT0, {}));
  p.on_claimed(kT0, 40, 0, std::nullopt);  // idle until kT0 + 1 s
  p.on_turn(true);
  EXPECT_EQ(p.next_claim_at(), kT0 + ClaimPacer::kNotifyCoalesce);
  // A burst of notifications within the same 2 ms: one claim.
  EXPECT_EQ(p.claim_now(kT0 + 1, {}), std::nullopt);
  p.on_turn(true);
  EXPECT_TRUE(p.claim_now(kT0 + 2, {}));
}

TEST(ClaimPacer, NotificationDuringAClaimAppliesAfterIt) {
  auto p = pacer();
  ASSERT_TRUE(p.claim_now(kT0, {}));
  p.on_turn(true);  // arrives while the claim is on the lane
  p.on_claimed(kT0, 40, 0, std::nullopt);
  EXPECT_EQ(p.next_claim_at(), kT0 + 1'000);
  p.on_turn(false);  // the next turn applies it: that claim may have missed the new work
  EXPECT_EQ(p.next_claim_at(), kT0 + ClaimPacer::kNotifyCoalesce);
}

TEST(ClaimPacer, WorkDueAgainBringsTheClaimForwardNeverBack) {
  auto p = pacer();
  ASSERT_TRUE(p.claim_now(kT0, {}));
  p.on_claimed(kT0, 40, 0, std::nullopt);
  p.due_by(kT0 + 150);  // a retry recorded for 150 ms later
  EXPECT_EQ(p.next_claim_at(), kT0 + 150);
  p.due_by(kT0 + 900);
  EXPECT_EQ(p.next_claim_at(), kT0 + 150);
  EXPECT_EQ(p.wait_ms(kT0 + 100, {}), 50);
}

// Outcomes are recorded on their own lane, concurrently with a claim: a retry (or a FIFO
// successor) that became due while the claim ran may have been missed by it, so the claim's
// own pacing ("short batch: sleep until the next due time it saw") must not erase it.
TEST(ClaimPacer, WorkDueDuringAClaimAppliesAfterIt) {
  auto p = pacer(100, 40, 1'000);
  ASSERT_TRUE(p.claim_now(kT0, {}));
  p.due_by(kT0 + 50);   // an outcome recorded while the claim is on its lane
  p.due_by(kT0 + 400);  // a later one changes nothing
  EXPECT_EQ(p.claim_now(kT0 + 60, {}), std::nullopt);  // still one claim at a time
  p.on_claimed(kT0, 40, 0, std::nullopt);               // short: would sleep a poll interval
  EXPECT_EQ(p.next_claim_at(), kT0 + 50);
  // Applied once: the next claim paces as usual.
  ASSERT_TRUE(p.claim_now(kT0 + 50, {}));
  p.on_claimed(kT0 + 50, 40, 0, kT0 + 700);
  EXPECT_EQ(p.next_claim_at(), kT0 + 700);
}

TEST(ClaimPacer, WorkDueDuringAFailedClaimWaitsForTheBackoff) {
  auto p = pacer();
  ASSERT_TRUE(p.claim_now(kT0, {}));
  p.due_by(kT0);
  EXPECT_EQ(p.on_claim_failed(kT0), 100);
  EXPECT_EQ(p.next_claim_at(), kT0 + 100);
  ASSERT_TRUE(p.claim_now(kT0 + 100, {}));
  p.on_claimed(kT0 + 100, 40, 0, std::nullopt);
  EXPECT_EQ(p.next_claim_at(), kT0 + 1'100);
}

TEST(ClaimPacer, ClaimsPauseWhenMostOfAClaimIsHandedBack) {
  auto p = pacer();
  ASSERT_TRUE(p.claim_now(kT0, {}));
  p.on_claimed(kT0, 40, 40, std::nullopt);  // full: would claim again at once
  p.on_surplus(kT0, 19);                    // less than half handed back: no pause
  EXPECT_EQ(p.wait_ms(kT0, {}), 0);
  p.on_surplus(kT0, 20);
  EXPECT_EQ(p.wait_ms(kT0, {}), ClaimPacer::kSurplusClaimPause);
  EXPECT_EQ(p.claim_now(kT0 + ClaimPacer::kSurplusClaimPause - 1, {}), std::nullopt);
  EXPECT_TRUE(p.claim_now(kT0 + ClaimPacer::kSurplusClaimPause, {}));
}

}  // namespace
}  // namespace axon
