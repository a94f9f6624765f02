#include "core/subscription.hpp"

#include <gtest/gtest.h>

namespace axon {
namespace {

TEST(Subscription, PatternValidation) {
  for (const char* p : {"*", "order", "order.updated", "order.*", "order.item.*", "a_1.*"}) {
    EXPECT_TRUE(is_valid_subscription_pattern(p)) << p;
  }
  for (const char* p : {"", ".*", "*.*", "order.", "order*", "order.*.x", "*.order", "or*der",
                        "order.**", "order..*", "order .*", "**"}) {
    EXPECT_FALSE(is_valid_subscription_pattern(p)) << p;
  }
  EXPECT_TRUE(is_valid_subscription_pattern(std::string(128, 'a') + ".*"));
  EXPECT_FALSE(is_valid_subscription_pattern(std::string(129, 'a')));
}

TEST(Subscription, ExactMatch) {
  EXPECT_TRUE(pattern_matches("order.updated", "order.updated"));
  EXPECT_FALSE(pattern_matches("order.updated", "order.updated.x"));
  EXPECT_FALSE(pattern_matches("order.updated", "order"));
  EXPECT_FALSE(pattern_matches("order.updated", "Order.updated"));  // case-sensitive
}

TEST(Subscription, TrailingWildcard) {
  EXPECT_TRUE(pattern_matches("order.*", "order.created"));
  EXPECT_TRUE(pattern_matches("order.*", "order.item.added"));
  EXPECT_FALSE(pattern_matches("order.*", "order"));
  EXPECT_FALSE(pattern_matches("order.*", "orders.created"));
  EXPECT_FALSE(pattern_matches("order.*", "xorder.created"));
  EXPECT_TRUE(pattern_matches("order.item.*", "order.item.added"));
  EXPECT_FALSE(pattern_matches("order.item.*", "order.items"));
}

TEST(Subscription, StarMatchesEverything) {
  EXPECT_TRUE(pattern_matches("*", "a"));
  EXPECT_TRUE(pattern_matches("*", "order.item.added"));
}

TEST(Subscription, ListSemantics) {
  EXPECT_TRUE(subscriptions_match(std::nullopt, "anything.at_all"));
  std::optional<std::vector<std::string>> empty = std::vector<std::string>{};
  EXPECT_FALSE(subscriptions_match(empty, "order.created"));
  std::optional<std::vector<std::string>> some =
      std::vector<std::string>{"invoice.paid", "order.*"};
  EXPECT_TRUE(subscriptions_match(some, "invoice.paid"));
  EXPECT_TRUE(subscriptions_match(some, "order.shipped"));
  EXPECT_FALSE(subscriptions_match(some, "invoice.created"));
  EXPECT_FALSE(subscriptions_match(some, "order"));
  std::optional<std::vector<std::string>> all = std::vector<std::string>{"*"};
  EXPECT_TRUE(subscriptions_match(all, "x"));
}

}  // namespace
}  // namespace axon
