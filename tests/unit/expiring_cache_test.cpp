// ExpiringCache: entries expire after the TTL, forget_if drops them, and a lookup that raced
// with a forget does not put back what was forgotten.
#include "api/expiring_cache.hpp"

#include <gtest/gtest.h>

#include <string>

namespace axon::api {
namespace {

TEST(ExpiringCache, EntryLivesForTheTtlOnly) {
  ExpiringCache<std::string, int> cache(1000, 10);
  EXPECT_FALSE(cache.get("k", 0));
  cache.put("k", 7, 100, cache.generation());
  EXPECT_EQ(cache.get("k", 100), 7);
  EXPECT_EQ(cache.get("k", 1099), 7);
  EXPECT_FALSE(cache.get("k", 1100));
  EXPECT_FALSE(cache.get("k", 1099));  // gone, not merely hidden
}

TEST(ExpiringCache, ForgetIfDropsMatchingEntriesOnly) {
  ExpiringCache<std::string, int> cache(1000, 10);
  cache.put("a", 1, 0, cache.generation());
  cache.put("b", 2, 0, cache.generation());
  cache.forget_if([](const std::string& key, int) { return key == "a"; });
  EXPECT_FALSE(cache.get("a", 1));
  EXPECT_EQ(cache.get("b", 1), 2);
}

TEST(ExpiringCache, LookupThatRacedWithAForgetIsNotStored) {
  ExpiringCache<std::string, int> cache(1000, 10);
  const auto before_read = cache.generation();
  cache.forget_if([](const std::string&, int) { return true; });  // the change lands meanwhile
  cache.put("k", 1, 0, before_read);                                // what was read before it
  EXPECT_FALSE(cache.get("k", 1));
  cache.put("k", 2, 0, cache.generation());
  EXPECT_EQ(cache.get("k", 1), 2);
}

TEST(ExpiringCache, FullCacheStartsOver) {
  ExpiringCache<int, int> cache(1000, 2);
  cache.put(1, 1, 0, cache.generation());
  cache.put(2, 2, 0, cache.generation());
  cache.put(3, 3, 0, cache.generation());
  EXPECT_FALSE(cache.get(1, 1));
  EXPECT_EQ(cache.get(3, 1), 3);
}

TEST(ExpiringCache, ClockGoingBackwardsExpiresTheEntry) {
  ExpiringCache<int, int> cache(1000, 10);
  cache.put(1, 1, 500, cache.generation());
  EXPECT_FALSE(cache.get(1, 499));
}

}  // namespace
}  // namespace axon::api
