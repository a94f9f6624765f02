// The rules both stores share (store/rules.hpp); the conformance suite checks that each
// store applies them.
#include "store/rules.hpp"

#include <gtest/gtest.h>

namespace axon::store_rules {
namespace {

AttemptRecord record(std::string endpoint_id, DeliveryStatus status, Millis started_at) {
  AttemptRecord r;
  r.endpoint_id = std::move(endpoint_id);
  r.new_status = status;
  r.attempt.started_at = started_at;
  return r;
}

TEST(StoreRules, PageLimitDefaultsAndClamps) {
  EXPECT_EQ(clamp_page_limit(0), 50);
  EXPECT_EQ(clamp_page_limit(-3), 50);
  EXPECT_EQ(clamp_page_limit(7), 7);
  EXPECT_EQ(clamp_page_limit(5000), 1000);
}

TEST(StoreRules, AutoDisableReasonNamesThePeriodInItsLargestWholeUnit) {
  EXPECT_EQ(auto_disable_reason(120LL * 3600 * 1000),
            "disabled automatically: every attempt failed for 120 h");
  EXPECT_EQ(auto_disable_reason(90'000), "disabled automatically: every attempt failed for 90 s");
  EXPECT_EQ(auto_disable_reason(1500), "disabled automatically: every attempt failed for 1500 ms");
}

TEST(StoreRules, OneNotFoundMessagePerResource) {
  EXPECT_EQ(not_found(Resource::tenant).code, Errc::not_found);
  EXPECT_EQ(not_found(Resource::endpoint).message, "no such endpoint");
  EXPECT_EQ(not_found(Resource::event_type).message, "no such event type");
  EXPECT_EQ(fail_not_found(Resource::delivery).error().message, "no such delivery");
}

TEST(StoreRules, FailingSinceIsTheFirstFailureAfterTheLastSuccess) {
  const AttemptRecord batch[] = {
      record("ep_a", DeliveryStatus::pending, 10),    // a fails,
      record("ep_a", DeliveryStatus::succeeded, 20),  // recovers,
      record("ep_a", DeliveryStatus::dead, 30),       // fails again: since 30
      record("ep_a", DeliveryStatus::pending, 40),
      record("ep_b", DeliveryStatus::pending, 15),  // b only fails: since 15 unless set before
      record("ep_b", DeliveryStatus::pending, 25),
      record("ep_c", DeliveryStatus::pending, 5),  // c ends on a success: cleared
      record("ep_c", DeliveryStatus::succeeded, 6),
  };
  auto health = endpoint_health(batch);
  ASSERT_EQ(health.size(), 3u);
  EXPECT_TRUE(health["ep_a"].succeeded);
  EXPECT_EQ(health["ep_a"].failing_since, 30);
  EXPECT_FALSE(health["ep_b"].succeeded);
  EXPECT_EQ(health["ep_b"].failing_since, 15);
  EXPECT_TRUE(health["ep_c"].succeeded);
  EXPECT_EQ(health["ep_c"].failing_since, std::nullopt);
}

}  // namespace
}  // namespace axon::store_rules
