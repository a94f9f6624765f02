// FanOutHints (store/postgres/pg_fan_out_hints.hpp): the last fan-out per tenant, nothing for
// a tenant never seen, and a bounded map.
#include "store/postgres/pg_fan_out_hints.hpp"

#include <gtest/gtest.h>

#include <string>

namespace axon::pg {
namespace {

TEST(FanOutHints, RemembersEachTenantsLastFanOut) {
  FanOutHints hints;
  EXPECT_EQ(hints.get("ten_1"), 0u);
  hints.put("ten_1", 10);
  hints.put("ten_2", 3);
  hints.put("ten_1", 12);
  EXPECT_EQ(hints.get("ten_1"), 12u);
  EXPECT_EQ(hints.get("ten_2"), 3u);
  hints.put("ten_2", -1);  // never negative
  EXPECT_EQ(hints.get("ten_2"), 0u);
}

TEST(FanOutHints, StartsOverPastItsBound) {
  FanOutHints hints;
  for (std::size_t i = 0; i < FanOutHints::kMaxTenants; ++i) {
    hints.put("ten_" + std::to_string(i), 5);
  }
  EXPECT_EQ(hints.get("ten_0"), 5u);
  hints.put("ten_0", 6);  // a tenant it has: updated in place
  EXPECT_EQ(hints.get("ten_1"), 5u);
  hints.put("ten_new", 7);  // one more: the map starts over with it
  EXPECT_EQ(hints.get("ten_new"), 7u);
  EXPECT_EQ(hints.get("ten_1"), 0u);
}

}  // namespace
}  // namespace axon::pg
