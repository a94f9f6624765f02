// FairScheduler on a FakeClock: turn order across tenants and endpoints, the tenant share
// and its reserve, the per-destination cap by address, hand-backs of work that cannot start
// soon, and one shared body per event.
#include "delivery/fair_scheduler.hpp"

#include <gtest/gtest.h>

#include <map>

namespace axon {
namespace {

class FairSchedulerTest : public ::testing::Test {
 protected:
  DeliveryJob job(const std::string& tenant, const std::string& endpoint,
                  const std::string& url = "http://127.0.0.1:9000/", const std::string& event = "") {
    DeliveryJob j;
    j.delivery_id = "dlv_" + std::to_string(++seq_);
    j.tenant_id = tenant;
    j.endpoint_id = endpoint;
    j.event_id = event.empty() ? "evt_" + std::to_string(seq_) : event;
    j.url = url;
    j.payload = std::make_shared<const std::string>("{}");
    j.lease_expires_at = clock_.now_ms() + 60'000;
    return j;
  }

  // Starts everything allowed; returns the started jobs.
  std::vector<FairScheduler::Start> drain(FairScheduler& s) {
    std::vector<FairScheduler::Start> started;
    while (auto start = s.next_ready()) started.push_back(std::move(*start));
    return started;
  }

  FakeClock clock_;
  int seq_ = 0;
};

TEST_F(FairSchedulerTest, TenantsTakeTurnsWhateverTheirBacklog) {
  FairScheduler s(clock_, {.max_in_flight = 1000, .max_per_destination = 1000});
  for (int i = 0; i < 50; ++i) s.enqueue(job("noisy", "ep_n" + std::to_string(i)));
  s.enqueue(job("quiet", "ep_q"));
  s.enqueue(job("quiet", "ep_q"));
  std::vector<std::string> order;
  for (int i = 0; i < 4; ++i) order.push_back(s.next_ready()->job.tenant_id);
  EXPECT_EQ(order, (std::vector<std::string>{"noisy", "quiet", "noisy", "quiet"}));
}

TEST_F(FairSchedulerTest, EndpointsOfOneTenantTakeTurns) {
  FairScheduler s(clock_, {.max_in_flight = 1000, .max_per_destination = 1000});
  for (int i = 0; i < 3; ++i) s.enqueue(job("t", "ep_a"));
  s.enqueue(job("t", "ep_b"));
  std::vector<std::string> order;
  for (const auto& start : drain(s)) order.push_back(start.job.endpoint_id);
  EXPECT_EQ(order, (std::vector<std::string>{"ep_a", "ep_b", "ep_a", "ep_a"}));
}

TEST_F(FairSchedulerTest, ATenantAloneLeavesAReserveForLaterTenants) {
  FairScheduler s(clock_, {.max_in_flight = 100, .max_per_destination = 1000});
  for (int i = 0; i < 200; ++i) {
    s.enqueue(job("noisy", "ep_" + std::to_string(i), "http://10.0.0." + std::to_string(i % 200) + "/"));
  }
  EXPECT_EQ(drain(s).size(), 75u);  // a quarter stays free
  s.enqueue(job("late", "ep_late", "http://127.0.0.1:1/"));
  auto start = s.next_ready();
  ASSERT_TRUE(start);
  EXPECT_EQ(start->job.tenant_id, "late");
}

TEST_F(FairSchedulerTest, ShareShrinksAsTenantsArriveAndFinishedAttemptsFreeIt) {
  FairScheduler s(clock_, {.max_in_flight = 40, .max_per_destination = 1000});
  for (int i = 0; i < 100; ++i) s.enqueue(job("a", "ep_a" + std::to_string(i)));
  auto a_started = drain(s);
  EXPECT_EQ(a_started.size(), 30u);
  for (int i = 0; i < 100; ++i) s.enqueue(job("b", "ep_b" + std::to_string(i)));
  EXPECT_EQ(s.tenant_share(), 15);
  EXPECT_EQ(drain(s).size(), 10u);  // b gets the reserve; a is over its new share
  for (auto& start : a_started) s.finished(start.slot, 10);
  std::map<std::string, int> started;
  for (const auto& start : drain(s)) ++started[start.job.tenant_id];
  EXPECT_EQ(started, (std::map<std::string, int>{{"a", 15}, {"b", 5}}));  // both up to 15
}

TEST_F(FairSchedulerTest, DestinationCapCountsTheAddressNotTheHostAndPort) {
  FairScheduler s(clock_, {.max_in_flight = 1000, .max_per_destination = 4});
  for (int port = 9000; port < 9020; ++port) {
    s.enqueue(job("t", "ep_" + std::to_string(port), "http://127.0.0.1:" + std::to_string(port) + "/"));
  }
  EXPECT_EQ(drain(s).size(), 4u);
  // Another tenant has its own count at the same address.
  s.enqueue(job("other", "ep_o", "http://127.0.0.1:9000/"));
  EXPECT_EQ(drain(s).size(), 1u);
}

TEST_F(FairSchedulerTest, EachHostAndPortHasItsOwnSmallerCap) {
  FairScheduler s(clock_, {.max_in_flight = 1000, .max_per_destination = 100, .max_per_service = 2});
  for (int i = 0; i < 5; ++i) s.enqueue(job("t", "ep_a" + std::to_string(i), "http://127.0.0.1:1/"));
  for (int i = 0; i < 5; ++i) s.enqueue(job("t", "ep_b" + std::to_string(i), "http://127.0.0.1:2/"));
  EXPECT_EQ(drain(s).size(), 4u);
}

TEST_F(FairSchedulerTest, AHungEndpointCannotHoldAFullDestinationAgainstItsNeighbour) {
  FairScheduler s(clock_, {.max_in_flight = 1000, .max_per_destination = 4});
  for (int i = 0; i < 10; ++i) s.enqueue(job("t", "ep_hung", "http://127.0.0.1:1/"));
  EXPECT_EQ(drain(s).size(), 4u);  // the hung endpoint alone fills the cap
  for (int i = 0; i < 10; ++i) s.enqueue(job("t", "ep_ok", "http://127.0.0.1:2/"));
  auto started = drain(s);
  ASSERT_EQ(started.size(), 2u);  // its neighbour still gets its equal part (4 / 2)
  EXPECT_EQ(started[0].job.endpoint_id, "ep_ok");
}

TEST_F(FairSchedulerTest, HostNamesShareTheCapOfTheAddressTheyConnectedTo) {
  FairScheduler s(clock_, {.max_in_flight = 1000, .max_per_destination = 2});
  s.learn_address("http://a.example:80/", "192.0.2.7");
  s.learn_address("http://b.example:81/", "192.0.2.7");
  for (int i = 0; i < 3; ++i) s.enqueue(job("t", "ep_a" + std::to_string(i), "http://a.example/"));
  for (int i = 0; i < 3; ++i) s.enqueue(job("t", "ep_b" + std::to_string(i), "http://b.example:81/"));
  auto started = drain(s);
  ASSERT_EQ(started.size(), 2u);
  EXPECT_EQ(started[0].slot.destination, "t 192.0.2.7");
  s.finished(started[0].slot, 5);
  EXPECT_EQ(drain(s).size(), 1u);
}

TEST_F(FairSchedulerTest, HungDestinationHandsBackItsSurplus) {
  FairScheduler s(clock_, {.max_in_flight = 1000, .max_per_destination = 2});
  for (int i = 0; i < 100; ++i) s.enqueue(job("t", "ep_" + std::to_string(i % 50)));
  EXPECT_EQ(drain(s).size(), 2u);
  clock_.advance(3'000);  // nothing came back
  std::vector<Handback> back;
  s.collect_handbacks(clock_.now_ms(), back);
  std::size_t handed = 0;
  for (const auto& h : back) {
    handed += h.delivery_ids.size();
    EXPECT_GT(h.due_at, clock_.now_ms());
  }
  EXPECT_EQ(s.queued(), 6u);  // two rounds of the cap (plus two) stay queued
  EXPECT_EQ(handed, 92u);
}

// A hung address is not re-leased and handed back over and over: each new batch of its
// surplus is due later than the last (doubling, at most 4 s), until an attempt there ends.
TEST_F(FairSchedulerTest, HungDestinationBacksOffItsHandbacksUntilItAnswers) {
  FairScheduler s(clock_, {.max_in_flight = 1000, .max_per_destination = 2});
  std::vector<FairScheduler::Start> hung;
  auto surplus_delay = [&] {
    for (int i = 0; i < 100; ++i) s.enqueue(job("t", "ep_" + std::to_string(i % 50)));
    for (auto& start : drain(s)) hung.push_back(std::move(start));
    clock_.advance(3'000);  // still nothing came back
    std::vector<Handback> back;
    s.collect_handbacks(clock_.now_ms(), back);
    Millis latest = 0;
    for (const auto& h : back) latest = std::max(latest, h.due_at - clock_.now_ms());
    return latest;
  };
  std::vector<Millis> delays;
  for (int round = 0; round < 5; ++round) delays.push_back(surplus_delay());
  EXPECT_EQ(delays, (std::vector<Millis>{1'000, 2'000, 4'000, 4'000, 4'000}));

  ASSERT_FALSE(hung.empty());
  s.finished(hung.front().slot, 20);  // it answers again
  EXPECT_EQ(surplus_delay(), 1'000);
}

// The surplus a full address handed back is recalled once the address answers with room to
// spare, not left to wait out its backoff; a timeout, or an answer while it stays full,
// recalls nothing, and work already due again needs no recall.
TEST_F(FairSchedulerTest, FullAddressSurplusIsRecalledWhenItAnswersAgain) {
  FairScheduler s(clock_, {.max_in_flight = 1000, .max_per_destination = 4});
  for (int i = 0; i < 100; ++i) s.enqueue(job("t", "ep_" + std::to_string(i % 50)));
  auto hung = drain(s);
  ASSERT_EQ(hung.size(), 4u);
  clock_.advance(3'000);
  std::vector<Handback> back;
  s.collect_handbacks(clock_.now_ms(), back);
  ASSERT_FALSE(back.empty());
  std::vector<std::string> handed_back;
  for (const auto& h : back) {
    EXPECT_GT(h.due_at, clock_.now_ms());
    handed_back.insert(handed_back.end(), h.delivery_ids.begin(), h.delivery_ids.end());
  }
  EXPECT_TRUE(s.take_recalls(clock_.now_ms()).empty());

  s.finished(hung[0].slot, 3'000, /*answered=*/false);  // a timeout
  s.finished(hung[1].slot, 3'000, /*answered=*/true);   // answers, but 2 of 4 still hang: full
  EXPECT_TRUE(s.take_recalls(clock_.now_ms()).empty());
  s.finished(hung[2].slot, 3'000, /*answered=*/true);  // 1 of 4 left: room again
  auto recalls = s.take_recalls(clock_.now_ms());
  std::vector<std::string> recalled;
  for (const auto& r : recalls) {
    EXPECT_EQ(r.handed_back_due, back.front().due_at);
    recalled.insert(recalled.end(), r.delivery_ids.begin(), r.delivery_ids.end());
  }
  EXPECT_EQ(recalled, handed_back);
  EXPECT_TRUE(s.take_recalls(clock_.now_ms()).empty()) << "each hand-back is recalled once";

  // Handed back again while full; by the time the address answers that work is due anyway.
  for (auto& start : drain(s)) hung.push_back(std::move(start));
  for (int i = 0; i < 100; ++i) s.enqueue(job("t", "ep_" + std::to_string(i % 50)));
  for (auto& start : drain(s)) hung.push_back(std::move(start));
  clock_.advance(3'000);
  back.clear();
  s.collect_handbacks(clock_.now_ms(), back);
  ASSERT_FALSE(back.empty());
  clock_.advance(10'000);
  for (std::size_t i = 3; i < hung.size(); ++i) s.finished(hung[i].slot, 20, true);
  EXPECT_TRUE(s.take_recalls(clock_.now_ms()).empty());
}

// A slow endpoint's own surplus (it, not its address, was full) is recalled once it answers
// with room to spare; a rate-limited endpoint's surplus waits for its tokens instead.
TEST_F(FairSchedulerTest, SlowEndpointSurplusIsRecalledButRateLimitedIsNot) {
  FairScheduler s(clock_, {.max_in_flight = 1000, .max_per_destination = 1000});
  for (int i = 0; i < 100; ++i) {
    auto slow = job("t", "ep_slow", "http://127.0.0.1:9001/");
    slow.max_in_flight = 2;
    s.enqueue(std::move(slow));
    auto limited = job("t", "ep_limited", "http://127.0.0.1:9002/");
    limited.rate_limit = 1.0;
    s.enqueue(std::move(limited));
  }
  auto started = drain(s);
  clock_.advance(5'000);
  std::vector<Handback> back;
  s.collect_handbacks(clock_.now_ms(), back);
  ASSERT_EQ(back.size(), 2u);  // both endpoints hand surplus back

  std::vector<FairScheduler::Start> slow;
  for (auto& start : started) {
    if (start.job.endpoint_id == "ep_slow") slow.push_back(std::move(start));
    else s.finished(start.slot, 5, true);  // the limited one answers at once
  }
  ASSERT_EQ(slow.size(), 2u);
  s.finished(slow[0].slot, 5'000, true);  // one of its two still in flight: no room yet
  EXPECT_TRUE(s.take_recalls(clock_.now_ms()).empty());
  s.finished(slow[1].slot, 5'000, true);
  auto recalls = s.take_recalls(clock_.now_ms());
  ASSERT_EQ(recalls.size(), 1u);
  const Handback& slow_back = back[0].delivery_ids == recalls[0].delivery_ids ? back[0] : back[1];
  EXPECT_EQ(recalls[0].delivery_ids, slow_back.delivery_ids);
  EXPECT_EQ(recalls[0].handed_back_due, slow_back.due_at);
  EXPECT_GT(recalls[0].delivery_ids.size(), 80u);
}

TEST_F(FairSchedulerTest, StalledTenantKeepsLittleQueued) {
  FairScheduler s(clock_, {.max_in_flight = 80, .max_per_destination = 1000});
  for (int i = 0; i < 200; ++i) {
    s.enqueue(job("t", "ep_" + std::to_string(i), "http://10.0.1." + std::to_string(i) + "/"));
  }
  EXPECT_EQ(drain(s).size(), 60u);
  std::vector<Handback> back;
  s.collect_handbacks(clock_.now_ms(), back);
  EXPECT_EQ(s.queued(), 140u);  // just started: not stalled yet
  clock_.advance(1'000);
  s.collect_handbacks(clock_.now_ms(), back);
  EXPECT_EQ(s.queued(), 7u);  // an eighth of its share
}

TEST_F(FairSchedulerTest, FastEndpointKeepsItsBacklog) {
  FairScheduler s(clock_, {.max_in_flight = 1000, .max_per_destination = 64, .max_per_service = 64});
  for (int i = 0; i < 500; ++i) s.enqueue(job("t", "ep"));
  auto started = drain(s);
  ASSERT_EQ(started.size(), 64u);
  for (auto& start : started) s.finished(start.slot, 2);
  std::vector<Handback> back;
  s.collect_handbacks(clock_.now_ms(), back);
  EXPECT_TRUE(back.empty());
  EXPECT_EQ(s.queued(), 436u);
}

TEST_F(FairSchedulerTest, JobsOfOneEventShareOneBody) {
  FairScheduler s(clock_, {.max_in_flight = 1000, .max_per_destination = 1000});
  auto first = job("t", "ep_1", "http://127.0.0.1:1/", "evt_big");
  auto second = job("t", "ep_2", "http://127.0.0.1:1/", "evt_big");  // a separate claim's copy
  s.enqueue(first);
  s.enqueue(second);
  auto started = drain(s);
  ASSERT_EQ(started.size(), 2u);
  EXPECT_EQ(started[0].job.payload.get(), started[1].job.payload.get());
  EXPECT_EQ(started[0].job.payload.get(), first.payload.get());
}

TEST_F(FairSchedulerTest, RateLimitedEndpointSaysWhenItsNextTokenComes) {
  FairScheduler s(clock_, {.max_in_flight = 1000, .max_per_destination = 1000});
  for (int i = 0; i < 3; ++i) {
    auto j = job("t", "ep");
    j.rate_limit = 10;  // burst 1, then one per 100 ms
    s.enqueue(j);
  }
  EXPECT_EQ(drain(s).size(), 1u);
  ASSERT_TRUE(s.next_rate_wakeup());
  EXPECT_EQ(*s.next_rate_wakeup(), clock_.steady_ms() + 100);
  clock_.advance(100);
  EXPECT_EQ(drain(s).size(), 1u);
}

TEST_F(FairSchedulerTest, ExpiringLeasesAndDroppedEndpointsLeaveTheQueue) {
  FairScheduler s(clock_, {.max_in_flight = 1000, .max_per_destination = 1});
  auto soon = job("t", "ep_a");
  soon.lease_expires_at = clock_.now_ms() + 1'000;
  s.enqueue(job("t", "ep_a"));
  s.enqueue(soon);
  s.enqueue(job("t", "ep_b", "http://127.0.0.1:2/"));
  EXPECT_EQ(drain(s).size(), 1u);  // one destination, cap 1
  std::vector<Handback> back;
  s.collect_expiring(clock_.now_ms(), clock_.now_ms() + 5'000, back);
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].delivery_ids, std::vector<std::string>{soon.delivery_id});
  EXPECT_EQ(s.drop_endpoint("ep_b").size(), 1u);
  EXPECT_EQ(s.queued(), 0u);
}

}  // namespace
}  // namespace axon
