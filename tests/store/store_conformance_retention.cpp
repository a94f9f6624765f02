// The Store conformance suite, retention and counters: purge_finished_events,
// purge_idempotency_keys, reclaim_space, storage_bytes, and delivery_counts kept in step with
// every status change (see store_conformance.hpp for the fixture).
#include <stdexcept>
#include <thread>
#include <vector>

#include "store/store_conformance.hpp"

namespace axon::test {
namespace {

// Runs a whole sweep in steps of `scan_limit`; returns the totals.
PurgeStep sweep(Store& store, Millis cutoff, int scan_limit = 2) {
  PurgeStep total;
  std::optional<EventCursor> cursor;
  for (int steps = 0;; ++steps) {
    if (steps > 10'000) throw std::runtime_error("purge sweep does not end");
    auto step = must(store.purge_finished_events(cutoff, cursor, scan_limit), "purge");
    total.events += step.events;
    total.deliveries += step.deliveries;
    total.attempts += step.attempts;
    if (!step.next) return total;
    cursor = step.next;
  }
}

std::int64_t total(const Store::Counts& c) {
  return c.pending_due + c.pending_scheduled + c.succeeded + c.dead;
}

}  // namespace

TEST_P(StoreConformance, PurgeDeletesFinishedEventsWithDeliveriesAndAttempts) {
  auto tenant = add_tenant();
  add_endpoint(tenant);
  add_endpoint(tenant);
  auto old_ok = ingest(tenant, "a.b", T0).event;  // two deliveries, both succeed
  auto jobs = claim(T0);
  ASSERT_EQ(jobs.size(), 2u);
  complete({outcome(jobs[0], DeliveryStatus::succeeded, T0),
            outcome(jobs[1], DeliveryStatus::succeeded, T0)},
           T0);
  auto old_dead = ingest(tenant, "a.b", T0 + 1).event;  // one succeeds after a retry, one dies
  jobs = claim(T0 + 1);
  ASSERT_EQ(jobs.size(), 2u);
  complete({outcome(jobs[0], DeliveryStatus::pending, T0 + 1, T0 + 2),
            outcome(jobs[1], DeliveryStatus::dead, T0 + 1)},
           T0 + 1);
  jobs = claim(T0 + 2);
  ASSERT_EQ(jobs.size(), 1u);
  complete({outcome(jobs[0], DeliveryStatus::succeeded, T0 + 2)}, T0 + 2);
  auto recent = ingest(tenant, "a.b", T0 + kHour).event;  // newer than the cutoff

  auto purged = sweep(store(), T0 + kMinute);
  EXPECT_EQ(purged.events, 2);
  EXPECT_EQ(purged.deliveries, 4);
  EXPECT_EQ(purged.attempts, 5);
  EXPECT_FALSE(store().get_event(tenant.id, old_ok.id));
  EXPECT_FALSE(store().get_event(tenant.id, old_dead.id));
  EXPECT_TRUE(store().get_event(tenant.id, recent.id));
  auto left = deliveries(tenant);
  ASSERT_EQ(left.size(), 2u);
  for (const auto& d : left) EXPECT_EQ(d.event_id, recent.id);
  // A second sweep finds nothing more.
  EXPECT_EQ(sweep(store(), T0 + kMinute).events, 0);
}

TEST_P(StoreConformance, PurgeKeepsEventsWithAPendingDelivery) {
  auto tenant = add_tenant();
  add_endpoint(tenant);
  add_endpoint(tenant);
  auto half_done = ingest(tenant, "a.b", T0).event;
  auto jobs = claim(T0);
  ASSERT_EQ(jobs.size(), 2u);
  // One finished, one waiting for a retry (pending) far in the future.
  complete({outcome(jobs[0], DeliveryStatus::succeeded, T0),
            outcome(jobs[1], DeliveryStatus::pending, T0, T0 + 30 * kDay)},
           T0);
  auto in_flight = ingest(tenant, "a.b", T0 + 1).event;
  ASSERT_EQ(claim(T0 + 1).size(), 2u);  // leased, pending

  EXPECT_EQ(sweep(store(), T0 + kDay).events, 0);
  EXPECT_TRUE(store().get_event(tenant.id, half_done.id));
  EXPECT_TRUE(store().get_event(tenant.id, in_flight.id));
  EXPECT_EQ(deliveries(tenant).size(), 4u);
  EXPECT_EQ(delivery(tenant, jobs[0].delivery_id).attempt_log.size(), 1u);
}

TEST_P(StoreConformance, PurgeKeepsADeadLetterReplayedBeforeThePurge) {
  auto tenant = add_tenant();
  add_endpoint(tenant);
  auto event = ingest(tenant, "a.b", T0).event;
  auto job = make_dead(T0);
  must(store().replay_delivery(tenant.id, job.delivery_id, T0 + kDay));
  EXPECT_EQ(sweep(store(), T0 + kDay).events, 0);
  auto d = delivery(tenant, job.delivery_id);
  EXPECT_EQ(d.status, DeliveryStatus::pending);
  EXPECT_EQ(d.attempt_log.size(), 1u);
  EXPECT_TRUE(store().get_event(tenant.id, event.id));
}

TEST_P(StoreConformance, PurgeStepsAreBoundedAndResumeFromTheCursor) {
  auto tenant = add_tenant();
  add_endpoint(tenant);
  for (int i = 0; i < 5; ++i) {
    ingest(tenant, "a.b", T0 + i);
    auto jobs = claim(T0 + i);
    ASSERT_EQ(jobs.size(), 1u);
    complete({outcome(jobs[0], DeliveryStatus::succeeded, T0 + i)}, T0 + i);
  }
  auto first = must(store().purge_finished_events(T0 + kMinute, std::nullopt, 2));
  EXPECT_EQ(first.events, 2);
  ASSERT_TRUE(first.next);
  auto second = must(store().purge_finished_events(T0 + kMinute, first.next, 2));
  EXPECT_EQ(second.events, 2);
  ASSERT_TRUE(second.next);
  auto third = must(store().purge_finished_events(T0 + kMinute, second.next, 2));
  EXPECT_EQ(third.events, 1);
  EXPECT_FALSE(third.next);  // fewer than the limit examined: the sweep is over
  EXPECT_TRUE(deliveries(tenant).empty());
}

TEST_P(StoreConformance, PurgeKeepsCountsInStep) {
  auto tenant = add_tenant();
  add_endpoint(tenant);
  auto jobs = ingest_and_claim(tenant, 3);
  complete({outcome(jobs[0], DeliveryStatus::succeeded, T0),
            outcome(jobs[1], DeliveryStatus::dead, T0)},
           T0);
  sweep(store(), T0 + kMinute);
  auto counts = must(store().delivery_counts(T0 + kHour));
  EXPECT_EQ(counts.succeeded, 0);
  EXPECT_EQ(counts.dead, 0);
  EXPECT_EQ(counts.pending_due, 1);
  EXPECT_EQ(total(counts), 1);
}

TEST_P(StoreConformance, CountsFollowReplayEndpointDeletionAndTenantDeletion) {
  auto tenant = add_tenant();
  auto endpoint = add_endpoint(tenant);
  ingest(tenant, "a.b", T0);
  auto job = make_dead(T0);
  EXPECT_EQ(must(store().delivery_counts(T0)).dead, 1);
  must(store().replay_delivery(tenant.id, job.delivery_id, T0));
  auto replayed = must(store().delivery_counts(T0));
  EXPECT_EQ(replayed.dead, 0);
  EXPECT_EQ(replayed.pending_due, 1);
  ingest(tenant, "a.b", T0);
  must(store().delete_endpoint(tenant.id, endpoint.id));  // both pending become dead
  auto after_delete = must(store().delivery_counts(T0));
  EXPECT_EQ(after_delete.dead, 2);
  EXPECT_EQ(total(after_delete), 2);
  must(store().delete_tenant(tenant.id));
  EXPECT_EQ(total(must(store().delivery_counts(T0))), 0);
}

TEST_P(StoreConformance, DueCountIsTheClaimableBacklog) {
  auto tenant = add_tenant();
  add_endpoint(tenant);
  for (int i = 0; i < 4; ++i) ingest(tenant, "a.b", T0);
  auto jobs = claim(T0, 1);  // one in flight: waiting for its lease, not due
  ASSERT_EQ(jobs.size(), 1u);
  auto counts = must(store().delivery_counts(T0));
  EXPECT_EQ(counts.pending_due, 3);
  EXPECT_EQ(counts.pending_scheduled, 1);
}

TEST_P(StoreConformance, PurgeIdempotencyKeysOlderThanTheCutoff) {
  auto tenant = add_tenant();
  add_endpoint(tenant);
  auto old_event = ingest(tenant, "a.b", T0, "old-key").event;
  ingest(tenant, "a.b", T0 + kDay, "new-key");
  EXPECT_EQ(must(store().purge_idempotency_keys(T0 + kHour, 100)), 1);
  EXPECT_EQ(must(store().purge_idempotency_keys(T0 + kHour, 100)), 0);
  // The new key still answers with its event; the old one no longer blocks a new event.
  EXPECT_TRUE(ingest(tenant, "a.b", T0 + kDay + 1, "new-key").replayed);
  auto reused = ingest(tenant, "a.b", T0 + kDay + 1, "old-key");
  EXPECT_FALSE(reused.replayed);
  EXPECT_NE(reused.event.id, old_event.id);
}

TEST_P(StoreConformance, PurgeIdempotencyKeysInBatches) {
  auto tenant = add_tenant();
  add_endpoint(tenant);
  for (int i = 0; i < 5; ++i) ingest(tenant, "a.b", T0, "key-" + std::to_string(i));
  EXPECT_EQ(must(store().purge_idempotency_keys(T0 + 1, 2)), 2);
  EXPECT_EQ(must(store().purge_idempotency_keys(T0 + 1, 2)), 2);
  EXPECT_EQ(must(store().purge_idempotency_keys(T0 + 1, 2)), 1);
  EXPECT_EQ(must(store().purge_idempotency_keys(T0 + 1, 2)), 0);
}

TEST_P(StoreConformance, StorageBytesAndReclaimSpace) {
  auto before = must(store().storage_bytes());
  EXPECT_GT(before, 0);
  auto tenant = add_tenant();
  add_endpoint(tenant);
  for (int i = 0; i < 20; ++i) ingest(tenant, "a.b", T0);
  must(store().reclaim_space());
  EXPECT_GT(must(store().storage_bytes()), 0);
}

TEST_P(StoreConformance, PurgeRacingReplaysNeverDeletesAReplayedDelivery) {
  auto tenant = add_tenant();
  add_endpoint(tenant);
  std::vector<std::string> dead;
  for (int i = 0; i < 40; ++i) {
    ingest(tenant, "a.b", T0 + i);
    dead.push_back(make_dead(T0 + i).delivery_id);
  }
  std::vector<bool> replayed(dead.size(), false);
  std::thread replayer([&] {
    for (std::size_t i = 0; i < dead.size(); ++i) {
      replayed[i] = store().replay_delivery(tenant.id, dead[i], T0 + kDay).has_value();
    }
  });
  for (int sweeps = 0; sweeps < 20; ++sweeps) sweep(store(), T0 + kDay, 3);
  replayer.join();
  // Each one was either purged before its replay (which then found nothing) or replayed,
  // and then it is pending, with its event and its attempt, whatever the purge did.
  for (std::size_t i = 0; i < dead.size(); ++i) {
    auto d = store().get_delivery(tenant.id, dead[i]);
    if (!replayed[i]) {
      EXPECT_FALSE(d) << dead[i];
      continue;
    }
    ASSERT_TRUE(d) << dead[i] << " was replayed, then purged";
    EXPECT_EQ(d->status, DeliveryStatus::pending);
    EXPECT_EQ(d->attempt_log.size(), 1u);
    EXPECT_TRUE(store().get_event(tenant.id, d->event_id));
  }
}

}  // namespace axon::test
