#include "core/retry_policy.hpp"

#include <gtest/gtest.h>

namespace axon {
namespace {

// Returns the same 64-bit value forever, so next_unit() is fixed: 0 -> 0.0, 1<<63 -> 0.5,
// all ones -> just below 1.0. Jitter factor = 0.8 + 0.4 * unit.
class FixedRandom final : public Random {
 public:
  explicit FixedRandom(std::uint64_t v) : v_(v) {}
  void fill(std::span<std::uint8_t> out) override {
    for (std::size_t i = 0; i < out.size(); ++i) {
      out[i] = static_cast<std::uint8_t>(v_ >> (56 - 8 * (i % 8)));
    }
  }

 private:
  std::uint64_t v_;
};

constexpr Millis kNow = 1'764'000'000'000;
constexpr Millis kSec = 1000;
constexpr Millis kHour = 3'600'000;
// "Sun, 06 Nov 1994 08:49:37 GMT" (date -u -d '…' +%s = 784111777)
constexpr Millis kRfcExample = 784'111'777'000;

AttemptResult status(int code, std::optional<std::string> retry_after = std::nullopt) {
  return AttemptResult{code, code >= 200 && code < 300 ? AttemptError::none : AttemptError::http,
                       std::move(retry_after)};
}

TEST(RetryPolicy, DefaultSchedule) {
  RetryPolicy p;
  EXPECT_EQ(p.schedule(), (std::vector<Millis>{5 * kSec, 300 * kSec, 1800 * kSec, 2 * kHour,
                                               5 * kHour, 10 * kHour, 10 * kHour}));
  EXPECT_EQ(p.max_attempts(), 8);
  EXPECT_EQ(p.largest_delay(), 10 * kHour);
  EXPECT_EQ(RetryPolicy(std::vector<Millis>{}).largest_delay(), 0);
}

TEST(RetryPolicy, TwoHundredsSucceed) {
  RetryPolicy p;
  FixedRandom r(0);
  for (int code : {200, 201, 202, 204, 299}) {
    Decision d = p.decide(status(code), 1, kNow, r);
    EXPECT_EQ(d.verdict, Verdict::succeeded) << code;
    EXPECT_FALSE(d.disable_endpoint);
  }
  // Even on the last allowed attempt, and beyond it.
  EXPECT_EQ(p.decide(status(200), 8, kNow, r).verdict, Verdict::succeeded);
}

TEST(RetryPolicy, GoneDisablesEndpoint) {
  RetryPolicy p;
  FixedRandom r(0);
  Decision d = p.decide(status(410), 1, kNow, r);
  EXPECT_EQ(d.verdict, Verdict::dead);
  EXPECT_TRUE(d.disable_endpoint);
  EXPECT_EQ(d.reason, "endpoint answered 410 Gone");
}

TEST(RetryPolicy, EachScheduleStepWithoutJitter) {
  RetryPolicy p;
  FixedRandom mid(1ull << 63);  // factor exactly 1.0
  for (int n = 1; n <= 7; ++n) {
    Decision d = p.decide(status(500), n, kNow, mid);
    ASSERT_EQ(d.verdict, Verdict::retry) << n;
    EXPECT_EQ(d.next_attempt_at, kNow + p.schedule()[n - 1]) << n;
    EXPECT_FALSE(d.disable_endpoint);
  }
}

TEST(RetryPolicy, JitterExtremes) {
  RetryPolicy p({10 * kSec});
  FixedRandom low(0), high(~0ull);
  EXPECT_EQ(p.decide(status(500), 1, kNow, low).next_attempt_at, kNow + 8 * kSec);
  EXPECT_EQ(p.decide(status(500), 1, kNow, high).next_attempt_at, kNow + 12 * kSec);
}

TEST(RetryPolicy, JitterStaysWithinTwentyPercentOverManyDraws) {
  RetryPolicy p;
  SeededRandom r(12345);
  for (int n = 1; n <= 7; ++n) {
    const Millis base = p.schedule()[n - 1];
    Millis lo = base * 2, hi = 0;
    for (int i = 0; i < 5000; ++i) {
      Millis wait = p.decide(status(503), n, kNow, r).next_attempt_at - kNow;
      ASSERT_GE(wait, base * 8 / 10);
      ASSERT_LE(wait, base * 12 / 10);
      lo = std::min(lo, wait);
      hi = std::max(hi, wait);
    }
    // The draws actually spread over the band.
    EXPECT_LT(lo, base * 81 / 100) << n;
    EXPECT_GT(hi, base * 119 / 100) << n;
  }
}

TEST(RetryPolicy, FailuresOfEveryKindRetry) {
  RetryPolicy p;
  FixedRandom mid(1ull << 63);
  for (int code : {300, 301, 302, 304, 307, 308, 400, 401, 404, 409, 429, 500, 502, 503}) {
    Decision d = p.decide(status(code), 1, kNow, mid);
    EXPECT_EQ(d.verdict, Verdict::retry) << code;
    EXPECT_EQ(d.next_attempt_at, kNow + 5 * kSec) << code;
  }
  for (AttemptError e : {AttemptError::timeout, AttemptError::dns, AttemptError::connect,
                         AttemptError::tls, AttemptError::blocked, AttemptError::other}) {
    Decision d = p.decide(AttemptResult{0, e, std::nullopt}, 2, kNow, mid);
    EXPECT_EQ(d.verdict, Verdict::retry) << attempt_error_name(e);
    EXPECT_EQ(d.next_attempt_at, kNow + 300 * kSec);
  }
}

TEST(RetryPolicy, ExhaustionMakesADeadLetter) {
  RetryPolicy p;
  FixedRandom r(0);
  Decision d = p.decide(status(500), 8, kNow, r);
  EXPECT_EQ(d.verdict, Verdict::dead);
  EXPECT_FALSE(d.disable_endpoint);
  EXPECT_EQ(d.reason, "attempts exhausted (8)");
  EXPECT_EQ(p.decide(status(0), 12, kNow, r).reason, "attempts exhausted (12)");

  RetryPolicy none(std::vector<Millis>{});
  EXPECT_EQ(none.max_attempts(), 1);
  EXPECT_EQ(none.decide(status(500), 1, kNow, r).verdict, Verdict::dead);

  RetryPolicy two({kSec, 2 * kSec});
  EXPECT_EQ(two.decide(status(500), 2, kNow, r).verdict, Verdict::retry);
  EXPECT_EQ(two.decide(status(500), 3, kNow, r).verdict, Verdict::dead);
}

TEST(RetryPolicy, RetryAfterSecondsOn429And503) {
  RetryPolicy p;
  FixedRandom mid(1ull << 63);
  for (int code : {429, 503}) {
    EXPECT_EQ(p.decide(status(code, "120"), 1, kNow, mid).next_attempt_at, kNow + 120 * kSec);
    // Shorter than the jittered delay: the delay wins.
    EXPECT_EQ(p.decide(status(code, "1"), 1, kNow, mid).next_attempt_at, kNow + 5 * kSec);
    // Unparseable: ignored.
    EXPECT_EQ(p.decide(status(code, "soon"), 1, kNow, mid).next_attempt_at, kNow + 5 * kSec);
  }
}

TEST(RetryPolicy, RetryAfterIgnoredOnOtherStatuses) {
  RetryPolicy p;
  FixedRandom mid(1ull << 63);
  for (int code : {500, 502, 400, 301}) {
    EXPECT_EQ(p.decide(status(code, "120"), 1, kNow, mid).next_attempt_at, kNow + 5 * kSec);
  }
}

TEST(RetryPolicy, RetryAfterHttpDate) {
  RetryPolicy p;
  FixedRandom mid(1ull << 63);
  const Millis now = kRfcExample - 90 * kSec;
  Decision d = p.decide(status(503, "Sun, 06 Nov 1994 08:49:37 GMT"), 1, now, mid);
  EXPECT_EQ(d.next_attempt_at, kRfcExample);
}

TEST(RetryPolicy, RetryAfterCappedAtLargestDelay) {
  RetryPolicy p({kSec, 60 * kSec, 10 * kSec});
  FixedRandom mid(1ull << 63);
  EXPECT_EQ(p.decide(status(429, "86400"), 1, kNow, mid).next_attempt_at, kNow + 60 * kSec);
  EXPECT_EQ(p.decide(status(429, "30"), 1, kNow, mid).next_attempt_at, kNow + 30 * kSec);
  RetryPolicy dflt;
  EXPECT_EQ(dflt.decide(status(429, "99999999999999999999"), 1, kNow, mid).next_attempt_at,
            kNow + 10 * kHour);
}

TEST(RetryAfter, DeltaSeconds) {
  EXPECT_EQ(parse_retry_after("0", kNow), 0);
  EXPECT_EQ(parse_retry_after("120", kNow), 120 * kSec);
  EXPECT_EQ(parse_retry_after(" 5 ", kNow), 5 * kSec);
  EXPECT_GT(*parse_retry_after("99999999999999999999999", kNow), 365 * 24 * kHour);
  for (const char* bad : {"", " ", "-5", "5.5", "5s", "1e3", "+5", "0x10"}) {
    EXPECT_FALSE(parse_retry_after(bad, kNow)) << bad;
  }
}

TEST(RetryAfter, HttpDateForms) {
  const Millis now = kRfcExample - 30 * kSec;
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now), 30 * kSec);   // IMF
  EXPECT_EQ(parse_retry_after("Sunday, 06-Nov-94 08:49:37 GMT", now), 30 * kSec);  // RFC 850
  EXPECT_EQ(parse_retry_after("Sun Nov  6 08:49:37 1994", now), 30 * kSec);        // asctime
  EXPECT_EQ(parse_retry_after("Thu Nov 10 08:49:37 1994", now), 4 * 24 * kHour + 30 * kSec);
  // In the past: clamp to zero.
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", kNow), 0);
  // Leap day and year boundary.
  EXPECT_EQ(parse_retry_after("Thu, 29 Feb 2024 00:00:00 GMT", 1709164800000 - kSec), kSec);
  EXPECT_EQ(parse_retry_after("Thu, 01 Jan 1970 00:00:10 GMT", 0), 10 * kSec);
}

TEST(RetryAfter, RfcEightFiftyTwoDigitYear) {
  // 2026: "26" is this century; "94" is more than 50 years ahead, so 1994.
  const Millis in_2026 = 1'780'000'000'000;
  EXPECT_EQ(parse_retry_after("Friday, 01-Jan-27 00:00:00 GMT", in_2026),
            1'798'761'600'000 - in_2026);
  EXPECT_EQ(parse_retry_after("Sunday, 06-Nov-94 08:49:37 GMT", in_2026), 0);
}

TEST(RetryAfter, MalformedDates) {
  const Millis now = kRfcExample - 30 * kSec;
  for (const char* bad :
       {"Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 06 Nov 1994 08:49:37",
        "Sun, 6 Nov 1994 08:49:37 GMT", "Sun, 06 Foo 1994 08:49:37 GMT",
        "Sun, 31 Feb 1994 08:49:37 GMT", "Sun, 06 Nov 1994 24:49:37 GMT",
        "Sun, 06 Nov 1994 08:60:37 GMT", "Sun, 06 Nov 94 08:49:37 GMT",
        "Sunday, 06 Nov 1994 08:49:37 GMT", "Sun, 06-Nov-94 08:49:37 GMT",
        "Sun Nov 6 08:49:37 1994", "Sun Nov  6 08:49:37 1994 GMT", "Xyz, 06 Nov 1994 08:49:37 GMT",
        "06 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 1994 08:49:37 GMTx",
        "Sun,  06 Nov 1994 08:49:37 GMT", "tomorrow"}) {
    EXPECT_FALSE(parse_retry_after(bad, now)) << bad;
  }
}

TEST(AttemptError, Names) {
  EXPECT_EQ(attempt_error_name(AttemptError::none), "");
  EXPECT_EQ(attempt_error_name(AttemptError::timeout), "timeout");
  EXPECT_EQ(attempt_error_name(AttemptError::dns), "dns");
  EXPECT_EQ(attempt_error_name(AttemptError::connect), "connect");
  EXPECT_EQ(attempt_error_name(AttemptError::tls), "tls");
  EXPECT_EQ(attempt_error_name(AttemptError::http), "http");
  EXPECT_EQ(attempt_error_name(AttemptError::blocked), "blocked");
  EXPECT_EQ(attempt_error_name(AttemptError::other), "other");
}

}  // namespace
}  // namespace axon
