#include "core/duration.hpp"

#include <gtest/gtest.h>

namespace axon {
namespace {

TEST(Duration, Units) {
  EXPECT_EQ(*parse_duration("50ms"), 50);
  EXPECT_EQ(*parse_duration("5s"), 5'000);
  EXPECT_EQ(*parse_duration("5m"), 300'000);
  EXPECT_EQ(*parse_duration("2h"), 7'200'000);
  EXPECT_EQ(*parse_duration("30d"), 2'592'000'000);
  EXPECT_EQ(*parse_duration("0s"), 0);
  EXPECT_EQ(*parse_duration(" 15s "), 15'000);
  EXPECT_EQ(*parse_duration("007s"), 7'000);
}

TEST(Duration, Rejects) {
  for (const char* s : {"", "  ", "5", "s", "-5s", "+5s", "5 s", "5x", "5sec", "1.5s", "5S", "5H", "5D", "1.5d",
                        "ms", "5msx", "9223372036854775807h", "99999999999999999999ms", "0x10s"}) {
    auto r = parse_duration(s);
    EXPECT_FALSE(r) << s;
    if (!r) {
      EXPECT_EQ(r.error().code, Errc::invalid_request);
      EXPECT_FALSE(r.error().message.empty());
    }
  }
}

TEST(Duration, MessagesSayWhatIsWrong) {
  EXPECT_NE(parse_duration("5").error().message.find("missing unit"), std::string::npos);
  EXPECT_NE(parse_duration("5x").error().message.find("unknown unit"), std::string::npos);
  EXPECT_NE(parse_duration("9223372036854775807h").error().message.find("too large"),
            std::string::npos);
}

TEST(DurationList, DefaultSchedule) {
  auto r = parse_duration_list("5s,5m,30m,2h,5h,10h,10h");
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, (std::vector<Millis>{5'000, 300'000, 1'800'000, 7'200'000, 18'000'000, 36'000'000,
                                     36'000'000}));
}

TEST(DurationList, WhitespaceTolerantAndSingle) {
  EXPECT_EQ(*parse_duration_list(" 50ms , 1s,2m "), (std::vector<Millis>{50, 1000, 120'000}));
  EXPECT_EQ(*parse_duration_list("1h"), (std::vector<Millis>{3'600'000}));
}

TEST(DurationList, Rejects) {
  auto empty = parse_duration_list("");
  ASSERT_FALSE(empty);
  EXPECT_NE(empty.error().message.find("empty duration list"), std::string::npos);
  for (const char* s : {" ", "5s,", ",5s", "5s,,5m", "5s;5m", "5s,bad", "5s 5m"}) {
    EXPECT_FALSE(parse_duration_list(s)) << s;
  }
}

}  // namespace
}  // namespace axon
