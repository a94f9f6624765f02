#include "core/ids.hpp"

#include <gtest/gtest.h>

#include <set>
#include <thread>
#include <vector>

namespace axon {
namespace {

TEST(Ids, ShapeAndPrefix) {
  FakeClock clock;
  SeededRandom random(1);
  IdGenerator gen(clock, random);
  std::string id = gen.next(id_prefix::event);
  EXPECT_TRUE(id.starts_with("evt_"));
  EXPECT_EQ(id.size(), 4u + 26u);
  EXPECT_TRUE(is_valid_id(id, id_prefix::event));
  EXPECT_FALSE(is_valid_id(id, id_prefix::tenant));
  for (char c : id.substr(4)) {
    EXPECT_NE(std::string("0123456789ABCDEFGHJKMNPQRSTVWXYZ").find(c), std::string::npos) << c;
  }
}

TEST(Ids, KnownEncodingOfTime) {
  // ULID spec example: time 1469918176385 encodes as 01ARYZ6S41.
  FakeClock clock(1469918176385);
  SeededRandom random(1);
  IdGenerator gen(clock, random);
  EXPECT_TRUE(gen.next("").starts_with("01ARYZ6S41"));
}

TEST(Ids, IncreasingClockSortsIncreasing) {
  FakeClock clock(1'700'000'000'000);
  SeededRandom random(3);
  IdGenerator gen(clock, random);
  std::string prev = gen.next(id_prefix::delivery);
  for (int i = 0; i < 1000; ++i) {
    clock.advance(1 + i % 7);
    std::string id = gen.next(id_prefix::delivery);
    ASSERT_LT(prev, id);
    prev = id;
  }
}

TEST(Ids, SameMillisecondStrictlyIncreases) {
  FakeClock clock(1'700'000'000'000);
  SeededRandom random(5);
  IdGenerator gen(clock, random);
  std::string prev = gen.next(id_prefix::tenant);
  for (int i = 0; i < 1000; ++i) {
    std::string id = gen.next(id_prefix::tenant);
    ASSERT_LT(prev, id);
    EXPECT_EQ(id_time_ms(id), 1'700'000'000'000);
    prev = id;
  }
}

TEST(Ids, ClockSteppingBackStaysMonotonic) {
  FakeClock clock(1'700'000'000'000);
  SeededRandom random(5);
  IdGenerator gen(clock, random);
  std::string a = gen.next("ep_");
  clock.advance(-5000);
  std::string b = gen.next("ep_");
  EXPECT_LT(a, b);
}

// A Random that always returns 0xFF so the increment carries across all 80 bits.
class AllOnes final : public Random {
 public:
  void fill(std::span<std::uint8_t> out) override {
    for (auto& b : out) b = 0xFF;
  }
};

TEST(Ids, IncrementCarriesIntoTheMicrosecondBits) {
  FakeClock clock(1'000);
  clock.set_micros(999);
  AllOnes random;
  IdGenerator gen(clock, random);
  std::string a = gen.next("");
  // 999 = 0b11111'00111 then 70 one bits: "Z", "7", then fourteen "Z" from character 10 on.
  EXPECT_EQ(a.substr(10), "Z7ZZZZZZZZZZZZZZ");
  std::string b = gen.next("");  // the carry runs up through the random bits into 999
  EXPECT_LT(a, b);
  EXPECT_EQ(b.substr(10), "Z800000000000000");  // 1000 = 0b11111'01000
  EXPECT_EQ(id_time_ms(b), 1'000);
}

// Two processes on one machine: each generator's ids follow the clock's microseconds, so an
// id drawn after another one (by either generator) sorts after it, however many ids the
// first generator drew in that millisecond and whatever the random bits.
TEST(Ids, IdsOfTwoGeneratorsSortInTheOrderTheyWereDrawn) {
  FakeClock clock(1'700'000'000'000);
  SeededRandom random_a(7), random_b(8);
  IdGenerator a(clock, random_a), b(clock, random_b);
  std::string previous;
  for (int step = 0; step < 400; ++step) {
    clock.set_micros(step * 2 % 1000);
    IdGenerator& gen = (step / 3) % 2 == 0 ? a : b;  // runs of three from each
    std::string id = gen.next("dlv_");
    ASSERT_LT(previous, id) << "step " << step;
    previous = id;
  }
}

TEST(Ids, ConcurrentGenerationIsUnique) {
  FakeClock clock;
  SecureRandom random;
  IdGenerator gen(clock, random);
  std::vector<std::vector<std::string>> out(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) out[t].push_back(gen.next("x_"));
    });
  }
  for (auto& th : threads) th.join();
  std::set<std::string> all;
  for (auto& v : out) all.insert(v.begin(), v.end());
  EXPECT_EQ(all.size(), 2000u);
}

TEST(Ids, TimeRoundTrip) {
  SeededRandom random(11);
  for (Millis t : {Millis{0}, Millis{1}, Millis{1'764'000'000'000}, Millis{281474976710655}}) {
    FakeClock clock(t);
    IdGenerator gen(clock, random);
    std::string id = gen.next(id_prefix::api_key);
    EXPECT_EQ(id_time_ms(id), t) << id;
  }
}

TEST(Ids, Validation) {
  const std::string good = "ten_01ARYZ6S41TSV4RRFFQ69G5FAV";
  EXPECT_TRUE(is_valid_id(good, "ten_"));
  EXPECT_EQ(id_time_ms(good), 1469918176385);
  EXPECT_FALSE(is_valid_id("ten_01ARYZ6S41TSV4RRFFQ69G5FA", "ten_"));    // 25 chars
  EXPECT_FALSE(is_valid_id("ten_01ARYZ6S41TSV4RRFFQ69G5FAVV", "ten_"));  // 27 chars
  EXPECT_FALSE(is_valid_id("ten_01ARYZ6S41TSV4RRFFQ69G5FAU", "ten_"));   // U not Crockford
  EXPECT_FALSE(is_valid_id("ten_01aryz6s41tsv4rrffq69g5fav", "ten_"));   // lower case
  EXPECT_FALSE(is_valid_id("ten_81ARYZ6S41TSV4RRFFQ69G5FAV", "ten_"));   // > 128 bits
  EXPECT_FALSE(is_valid_id("ep_01ARYZ6S41TSV4RRFFQ69G5FAV", "ten_"));
  EXPECT_FALSE(is_valid_id("", "ten_"));
  EXPECT_EQ(id_time_ms("garbage"), -1);
  EXPECT_EQ(id_time_ms("ten_01ARYZ6S41TSV4RRFFQ69G5FA!"), -1);
  EXPECT_EQ(id_time_ms("tenX01ARYZ6S41TSV4RRFFQ69G5FAV"), -1);
}

}  // namespace
}  // namespace axon
