#include "core/text.hpp"

#include <gtest/gtest.h>

namespace axon {
namespace {

TEST(Text, CaseInsensitiveComparisonIsAsciiOnly) {
  EXPECT_TRUE(iequals("Content-Type", "content-type"));
  EXPECT_FALSE(iequals("Content-Type", "content-typ"));
  EXPECT_FALSE(iequals("\xc3\x89", "\xc3\xa9"));  // É and é: not ASCII, compared as bytes
  EXPECT_TRUE(istarts_with("X-Axon-Event", "x-axon-"));
  EXPECT_FALSE(istarts_with("X-Ax", "x-axon-"));
  EXPECT_EQ(ascii_lower("Retry-After: 5"), "retry-after: 5");
}

TEST(Text, TrimDropsBlanksAndLineEndsAtBothEnds) {
  EXPECT_EQ(trim(" \t5s \r\n"), "5s");
  EXPECT_EQ(trim("a b"), "a b");
  EXPECT_EQ(trim(" \t\r\n"), "");
  EXPECT_EQ(trim(""), "");
}

}  // namespace
}  // namespace axon
