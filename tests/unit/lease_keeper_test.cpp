// LeaseKeeper on a FakeClock: how often leases are checked, which queued jobs go back before
// their lease runs out (with the FairScheduler holding them), and the hand-backs it collects.
#include "delivery/lease_keeper.hpp"

#include <gtest/gtest.h>

namespace axon {
namespace {

DeliveryJob leased_job(const std::string& id, Millis lease_expires_at) {
  DeliveryJob j;
  j.delivery_id = id;
  j.tenant_id = "ten_1";
  j.endpoint_id = "ep_1";
  j.event_id = "evt_" + id;
  j.url = "http://127.0.0.1:9000/";
  j.payload = std::make_shared<const std::string>("{}");
  j.lease_expires_at = lease_expires_at;
  return j;
}

TEST(LeaseKeeper, DefaultLeaseOutlastsOneAttempt) {
  EXPECT_EQ(LeaseKeeper::lease_for(0, 15'000), 25'000);
  EXPECT_EQ(LeaseKeeper::lease_for(60'000, 15'000), 60'000);
}

TEST(LeaseKeeper, ChecksOnceASecondOfSteadyTime) {
  FakeClock clock;
  LeaseKeeper keeper(25'000, 15'000);
  EXPECT_TRUE(keeper.check_due(clock.steady_ms()));
  EXPECT_FALSE(keeper.check_due(clock.steady_ms()));
  clock.advance(999);
  EXPECT_FALSE(keeper.check_due(clock.steady_ms()));
  clock.advance(1);
  EXPECT_TRUE(keeper.check_due(clock.steady_ms()));
  clock.set(clock.now_ms() - 3'600'000);  // a wall clock step back changes nothing
  clock.advance(1'000);
  EXPECT_TRUE(keeper.check_due(clock.steady_ms()));
}

TEST(LeaseKeeper, NeedsTheLongestAttemptPlusAMarginOrHalfTheLease) {
  EXPECT_EQ(LeaseKeeper(60'000, 15'000).needed_until(1'000), 1'000 + 15'000 + 5'000);
  EXPECT_EQ(LeaseKeeper(25'000, 15'000).needed_until(1'000), 1'000 + 12'500);
}

// A job that waits in the scheduler's queue goes back, due at once, when what is left of its
// lease could not cover an attempt started now; a job with lease to spare stays.
TEST(LeaseKeeper, QueuedJobsWhoseLeaseRunsOutGoBack) {
  FakeClock clock;
  FairScheduler scheduler(clock, {});
  LeaseKeeper keeper(25'000, 15'000);
  const Millis claimed_at = clock.now_ms();
  scheduler.enqueue(leased_job("dlv_old", claimed_at + 20'000));
  scheduler.enqueue(leased_job("dlv_new", claimed_at + 25'000));

  auto check = [&] {
    if (keeper.check_due(clock.steady_ms())) {
      scheduler.collect_expiring(clock.now_ms(), keeper.needed_until(clock.now_ms()),
                                 keeper.pending());
    }
  };
  check();
  EXPECT_TRUE(keeper.pending().empty());
  clock.advance(7'000);  // 13 s left of dlv_old's lease: enough
  check();
  EXPECT_TRUE(keeper.pending().empty());
  clock.advance(1'000);  // 12 s left: less than the 12.5 s needed
  check();
  ASSERT_EQ(keeper.pending().size(), 1u);
  EXPECT_EQ(keeper.pending()[0].due_at, clock.now_ms());
  EXPECT_EQ(keeper.pending()[0].delivery_ids, std::vector<std::string>{"dlv_old"});
  EXPECT_EQ(scheduler.queued(), 1u);
  EXPECT_EQ(keeper.earliest_due(), clock.now_ms());
  auto sent = keeper.take();
  EXPECT_EQ(sent.size(), 1u);
  EXPECT_TRUE(keeper.pending().empty());
  clock.advance(5'000);
  check();
  ASSERT_EQ(keeper.pending().size(), 1u);
  EXPECT_EQ(keeper.pending()[0].delivery_ids, std::vector<std::string>{"dlv_new"});
}

TEST(LeaseKeeper, CollectsHandBacksAndTheirEarliestDueTime) {
  LeaseKeeper keeper(25'000, 15'000);
  EXPECT_EQ(keeper.earliest_due(), std::nullopt);
  keeper.hand_back(5'000, {});  // nothing to hand back: nothing sent
  EXPECT_TRUE(keeper.pending().empty());
  keeper.hand_back(5'000, {"dlv_a", "dlv_b"});
  keeper.hand_back_unsignable(1'000, "dlv_c");
  ASSERT_EQ(keeper.pending().size(), 2u);
  EXPECT_EQ(keeper.pending()[1].due_at, 1'000 + LeaseKeeper::kUnsignableRetryDelay);
  EXPECT_EQ(keeper.earliest_due(), 5'000);

  EXPECT_FALSE(keeper.has_recalls());
  keeper.recall({Recall{5'000, {"dlv_a"}}});
  keeper.recall({Recall{6'000, {"dlv_d"}}});
  ASSERT_TRUE(keeper.has_recalls());
  auto recalls = keeper.take_recalls();
  ASSERT_EQ(recalls.size(), 2u);
  EXPECT_EQ(recalls[1].handed_back_due, 6'000);
  EXPECT_FALSE(keeper.has_recalls());
}

}  // namespace
}  // namespace axon
