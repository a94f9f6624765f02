// Retention: the policy's arithmetic, a Purger sweep on a real SQLite store with a FakeClock,
// and the figures /metrics shows (window, purged rows, store size).
#include <gtest/gtest.h>

#include "app/metrics.hpp"
#include "retention/purger.hpp"
#include "retention/retention_policy.hpp"
#include "support/sqlite_store.hpp"
#include "support/temp_dir.hpp"

namespace axon {
namespace {

constexpr Millis kMinute = 60'000;
constexpr Millis kDay = 24 * 60 * kMinute;

TEST(RetentionPolicy, CutoffsAndCadence) {
  RetentionPolicy month;  // the default: 30 days
  const Millis now = 100 * kDay;
  EXPECT_EQ(month.window_ms(), 30 * kDay);
  EXPECT_EQ(month.event_cutoff(now), now - 30 * kDay);
  EXPECT_EQ(month.idempotency_cutoff(now), now - kDay);
  EXPECT_EQ(month.sweep_interval(), 30'000);  // plus a sweep: gone within a minute

  RetentionPolicy short_window(20'000);
  EXPECT_EQ(short_window.sweep_interval(), 5'000);  // gone within 10 s

  RetentionPolicy keep_all(0);
  EXPECT_TRUE(keep_all.keeps_everything());
  EXPECT_FALSE(keep_all.event_cutoff(now));
  EXPECT_EQ(keep_all.idempotency_cutoff(now), now - kDay);  // keys expire regardless
}

TEST(RetentionPolicy, PausesAsLongAsTheStepTookWithinBounds) {
  RetentionPolicy policy;
  EXPECT_EQ(policy.pause_after(0), RetentionPolicy::kMinPauseMs);
  EXPECT_EQ(policy.pause_after(40), 40);
  EXPECT_EQ(policy.pause_after(60'000), RetentionPolicy::kMaxPauseMs);
  EXPECT_GT(policy.events_per_step(), 0);
  EXPECT_GT(policy.keys_per_step(), 0);
}

class PurgerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = test::open_migrated_sqlite_store(dir_.file("axon.db"));
    ASSERT_TRUE(store_->create_tenant(Tenant{"ten_1", "acme", 0}));
  }

  // An event with no endpoint: finished as soon as it exists.
  void add_event(const std::string& id, Millis at, std::optional<std::string> key = {}) {
    NewEvent ev{id, "ten_1", "a.b", "{}", std::move(key), at};
    ASSERT_TRUE(store_->ingest_event(ev, at, [] { return std::string("unused"); }));
  }

  test::TempDir dir_;
  std::unique_ptr<Store> store_;
  FakeClock clock_{1'764'000'000'000};
};

TEST_F(PurgerTest, SweepDeletesExpiredEventsAndOldKeysInSteps) {
  const Millis now = clock_.now_ms();
  // More old events than one step takes, so the sweep continues from its cursor.
  RetentionPolicy policy(kDay);
  const int old_events = policy.events_per_step() + 7;
  for (int i = 0; i < old_events; ++i) {
    add_event("evt_old_" + std::to_string(100000 + i), now - 2 * kDay,
              i == 0 ? std::optional<std::string>("k-old") : std::nullopt);
  }
  add_event("evt_new", now - kMinute, "k-new");

  Purger purger(*store_, clock_, policy);
  purger.run_sweep(/*pause=*/false);
  const PurgeTotals totals = purger.totals();
  EXPECT_EQ(totals.events, old_events);
  EXPECT_EQ(totals.idempotency_keys, 1);
  EXPECT_FALSE(store_->get_event("ten_1", "evt_old_100000"));
  EXPECT_TRUE(store_->get_event("ten_1", "evt_new"));

  clock_.advance(kDay);  // now the newer one has expired too
  purger.run_sweep(false);
  EXPECT_EQ(purger.totals().events, old_events + 1);
  EXPECT_FALSE(store_->get_event("ten_1", "evt_new"));
}

TEST_F(PurgerTest, ZeroWindowKeepsEveryEvent) {
  add_event("evt_ancient", 0);
  Purger purger(*store_, clock_, RetentionPolicy(0));
  purger.run_sweep(false);
  EXPECT_EQ(purger.totals().events, 0);
  EXPECT_TRUE(store_->get_event("ten_1", "evt_ancient"));
}

TEST_F(PurgerTest, StartAndStopPromptly) {
  Purger purger(*store_, clock_, RetentionPolicy(kDay));
  purger.start();
  purger.stop();  // must not wait for the 30 s interval
  SUCCEED();
}

TEST_F(PurgerTest, MetricsShowTheWindowWhatWasPurgedAndTheStoreSize) {
  add_event("evt_old", clock_.now_ms() - 2 * kDay);
  Purger purger(*store_, clock_, RetentionPolicy(kDay));
  purger.run_sweep(false);
  Metrics metrics;
  DispatcherStats stats;
  MetricsRenderer renderer(*store_, metrics, stats, clock_, &purger);
  const std::string text = renderer.render();
  EXPECT_NE(text.find("axon_retention_seconds 86400\n"), std::string::npos) << text;
  EXPECT_NE(text.find("axon_purged_total{kind=\"events\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("axon_purged_total{kind=\"idempotency_keys\"} 0\n"), std::string::npos);
  const std::string sample = "\naxon_store_size_bytes ";
  auto at = text.find(sample);
  ASSERT_NE(at, std::string::npos) << text;
  EXPECT_GT(std::stoll(text.substr(at + sample.size())), 0);
}

}  // namespace
}  // namespace axon
