// Store conformance: recording attempt outcomes (success, retry, dead letters, disabling),
// replaying dead letters, releasing leases and scheduling.
#include "store/store_conformance.hpp"

namespace axon::test {

// ================================ completing ================================

TEST_P(StoreConformance, CompleteSucceeded) {
  auto tenant = add_tenant();
  auto e = add_endpoint(tenant);
  ingest(tenant, "a.b", T0);
  auto job = claim(T0).at(0);
  auto record = outcome(job, DeliveryStatus::succeeded, T0 + 1);
  complete({record}, T0 + 20);

  auto d = delivery(tenant, job.delivery_id);
  EXPECT_EQ(d.status, DeliveryStatus::succeeded);
  EXPECT_EQ(d.attempts, 1);
  EXPECT_FALSE(d.lease_owner.has_value());
  EXPECT_FALSE(d.lease_expires_at.has_value());
  EXPECT_EQ(d.updated_at, T0 + 20);
  ASSERT_EQ(d.attempt_log.size(), 1u);
  const auto& a = d.attempt_log[0];
  EXPECT_EQ(a.n, 1);
  EXPECT_EQ(a.started_at, T0 + 1);
  EXPECT_EQ(a.duration_ms, 12);
  EXPECT_EQ(a.status_code, 200);
  EXPECT_EQ(a.error, "");
  EXPECT_EQ(a.response_excerpt, "thanks");
  ASSERT_TRUE(d.last_attempt.has_value());
  EXPECT_EQ(d.last_attempt->n, 1);
  EXPECT_TRUE(claim(T0 + kDay).empty());
  EXPECT_FALSE(must(store().get_endpoint(tenant.id, e.id)).failing_since.has_value());
}

TEST_P(StoreConformance, CompleteRetryWaitsForNextAttemptAndTracksFailingSince) {
  auto tenant = add_tenant();
  auto e = add_endpoint(tenant);
  ingest(tenant, "a.b", T0);
  auto job = claim(T0).at(0);
  complete({outcome(job, DeliveryStatus::pending, T0 + 1, T0 + 5 * kSecond)}, T0 + 2);

  auto d = delivery(tenant, job.delivery_id);
  EXPECT_EQ(d.status, DeliveryStatus::pending);
  EXPECT_EQ(d.attempts, 1);
  EXPECT_EQ(d.next_attempt_at, T0 + 5 * kSecond);
  EXPECT_FALSE(d.lease_owner.has_value());
  EXPECT_EQ(must(store().get_endpoint(tenant.id, e.id)).failing_since, T0 + 1);

  EXPECT_TRUE(claim(T0 + 5 * kSecond - 1).empty());
  auto second = claim(T0 + 5 * kSecond);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].attempt, 2);
  EXPECT_EQ(second[0].attempt_in_series, 2);
  complete({outcome(second[0], DeliveryStatus::pending, T0 + 6 * kSecond, T0 + kMinute)},
           T0 + 6 * kSecond);
  // The streak started at the first failure.
  EXPECT_EQ(must(store().get_endpoint(tenant.id, e.id)).failing_since, T0 + 1);

  auto third = claim(T0 + kMinute).at(0);
  EXPECT_EQ(third.attempt, 3);
  complete({outcome(third, DeliveryStatus::succeeded, T0 + kMinute)}, T0 + kMinute);
  EXPECT_FALSE(must(store().get_endpoint(tenant.id, e.id)).failing_since.has_value());
  d = delivery(tenant, job.delivery_id);
  EXPECT_EQ(d.status, DeliveryStatus::succeeded);
  ASSERT_EQ(d.attempt_log.size(), 3u);
  EXPECT_EQ(d.attempt_log[0].n, 1);
  EXPECT_EQ(d.attempt_log[1].n, 2);
  EXPECT_EQ(d.attempt_log[2].n, 3);
  EXPECT_EQ(d.attempt_log[1].started_at, T0 + 6 * kSecond);
  EXPECT_EQ(d.attempt_log[1].error, "http");
  EXPECT_EQ(d.attempt_log[1].error_message, "HTTP 500");
  EXPECT_EQ(d.attempt_log[2].status_code, 200);
}

TEST_P(StoreConformance, CompleteDeadMakesADeadLetter) {
  auto tenant = add_tenant();
  add_endpoint(tenant);
  ingest(tenant, "a.b", T0);
  auto job = make_dead(T0, 3);
  auto d = delivery(tenant, job.delivery_id);
  EXPECT_EQ(d.status, DeliveryStatus::dead);
  EXPECT_EQ(d.attempts, 3);
  EXPECT_EQ(d.attempt_log.size(), 3u);
  EXPECT_FALSE(d.lease_owner.has_value());
  EXPECT_TRUE(claim(T0 + kDay).empty());
  EXPECT_EQ(ids_of(deliveries(tenant, {DeliveryStatus::dead, {}, {}})),
            std::vector<std::string>{job.delivery_id});
}

TEST_P(StoreConformance, CompleteCanDisableTheEndpoint) {
  auto tenant = add_tenant();
  auto gone = add_endpoint(tenant);
  auto fine = add_endpoint(tenant);
  ingest(tenant, "a.b", T0);
  ingest(tenant, "a.b", T0);
  auto jobs = claim(T0, 100);
  ASSERT_EQ(jobs.size(), 4u);
  DeliveryJob gone_job;
  for (const auto& j : jobs) {
    if (j.endpoint_id == gone.id) gone_job = j;
  }
  // The 410 for one delivery; the endpoint's other in-flight delivery is handed back.
  auto record = outcome(gone_job, DeliveryStatus::dead, T0 + 1);
  record.attempt.status_code = 410;
  record.disable_endpoint = true;
  record.disable_reason = "410 Gone";
  complete({record}, T0 + 2);
  must(store().release_leases("w1"));

  auto e = must(store().get_endpoint(tenant.id, gone.id));
  EXPECT_TRUE(e.disabled);
  EXPECT_EQ(e.disabled_reason, "410 Gone");
  EXPECT_EQ(delivery(tenant, gone_job.delivery_id).status, DeliveryStatus::dead);
  auto again = claim(T0 + kHour);
  ASSERT_EQ(again.size(), 2u);
  for (const auto& j : again) EXPECT_EQ(j.endpoint_id, fine.id);
  // Its other delivery waits, pending and unclaimable, and no longer counts as due work.
  EXPECT_EQ(deliveries(tenant, {DeliveryStatus::pending, gone.id, {}}).size(), 1u);
  EXPECT_EQ(must(store().next_due_at()), T0 + kHour + kLease);
}

TEST_P(StoreConformance, CompleteBatchesAndIgnoresDuplicateAttemptNumbers) {
  auto tenant = add_tenant();
  add_endpoint(tenant);
  auto jobs = ingest_and_claim(tenant, 5);
  std::vector<AttemptRecord> records;
  for (const auto& j : jobs) records.push_back(outcome(j, DeliveryStatus::succeeded, T0 + 1));
  // The same attempt reported twice (e.g. a retried batch) keeps the first record.
  auto dup = records[0];
  dup.attempt.status_code = 299;
  records.push_back(dup);
  complete(records, T0 + 2);
  EXPECT_EQ(deliveries(tenant, {DeliveryStatus::succeeded, {}, {}}).size(), 5u);
  auto d = delivery(tenant, jobs[0].delivery_id);
  ASSERT_EQ(d.attempt_log.size(), 1u);
  EXPECT_EQ(d.attempt_log[0].status_code, 200);
  // An empty batch is fine.
  must(store().complete_attempts("w1", {}, T0));
}

TEST_P(StoreConformance, CompleteFromAStaleLeaseOnlyRecordsTheAttempt) {
  auto tenant = add_tenant();
  add_endpoint(tenant);
  ingest(tenant, "a.b", T0);
  auto slow = must(store().claim_due("slow", T0, kLease, 1)).at(0);
  auto fast = must(store().claim_due("fast", T0 + kLease, kLease, 1)).at(0);
  ASSERT_EQ(fast.delivery_id, slow.delivery_id);

  // The slow worker finally reports a failure: on record, but the delivery stays fast's.
  auto late = outcome(slow, DeliveryStatus::pending, T0 + 1, T0 + kDay);
  late.attempt.n = 1;
  complete({late}, T0 + kLease + 5, "slow");
  auto d = delivery(tenant, slow.delivery_id);
  EXPECT_EQ(d.lease_owner, "fast");
  EXPECT_EQ(d.status, DeliveryStatus::pending);
  ASSERT_EQ(d.attempt_log.size(), 1u);
  EXPECT_EQ(d.attempt_log[0].status_code, 500);

  auto done = outcome(fast, DeliveryStatus::succeeded, T0 + kLease + 1);
  done.attempt.n = 2;
  complete({done}, T0 + kLease + 6, "fast");
  d = delivery(tenant, slow.delivery_id);
  EXPECT_EQ(d.status, DeliveryStatus::succeeded);
  EXPECT_FALSE(d.lease_owner.has_value());
  EXPECT_EQ(d.attempt_log.size(), 2u);
  EXPECT_EQ(d.attempts, 2);
}

// ================================ replay ================================

TEST_P(StoreConformance, ReplayRequeuesADeadLetterWithAFreshSeries) {
  auto tenant = add_tenant();
  add_endpoint(tenant);
  ingest(tenant, "a.b", T0);
  auto job = make_dead(T0, 4);

  auto replayed = must(store().replay_delivery(tenant.id, job.delivery_id, T0 + kHour));
  EXPECT_EQ(replayed.status, DeliveryStatus::pending);
  EXPECT_EQ(replayed.next_attempt_at, T0 + kHour);
  EXPECT_EQ(replayed.attempts, 4);
  EXPECT_EQ(replayed.series_start, 4);
  EXPECT_EQ(delivery(tenant, job.delivery_id).status, DeliveryStatus::pending);

  EXPECT_TRUE(claim(T0 + kHour - 1).empty());
  auto again = claim(T0 + kHour);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].attempt, 5);
  EXPECT_EQ(again[0].attempt_in_series, 1);

  EXPECT_EQ(error_of(store().replay_delivery(tenant.id, job.delivery_id, T0 + kHour)),
            Errc::conflict);
  complete({outcome(again[0], DeliveryStatus::succeeded, T0 + kHour)}, T0 + kHour);
  EXPECT_EQ(error_of(store().replay_delivery(tenant.id, job.delivery_id, T0 + kHour)),
            Errc::conflict);
  EXPECT_EQ(delivery(tenant, job.delivery_id).attempt_log.back().n, 5);
  EXPECT_EQ(error_of(store().replay_delivery(tenant.id, "dlv_missing", T0)), Errc::not_found);
}

TEST_P(StoreConformance, ReplayDeadSinceRecoversAnEndpointInBatches) {
  auto tenant = add_tenant();
  auto e = add_endpoint(tenant);
  auto other = add_endpoint(tenant);
  // Five dead letters for e (created at T0..T0+4), five for the other endpoint.
  for (int i = 0; i < 5; ++i) ingest(tenant, "a.b", T0 + i);
  std::vector<AttemptRecord> records;
  for (const auto& j : claim(T0 + 10)) records.push_back(outcome(j, DeliveryStatus::dead, T0 + 10));
  ASSERT_EQ(records.size(), 10u);
  complete(records, T0 + 10);

  // Since T0+1: four of e's, replayed oldest first, two at a time.
  EXPECT_EQ(must(store().replay_dead_since(tenant.id, e.id, T0 + 1, T0 + kHour, 2)), 2);
  auto pending = deliveries(tenant, {DeliveryStatus::pending, e.id, {}});
  ASSERT_EQ(pending.size(), 2u);
  for (const auto& d : pending) {
    EXPECT_GE(d.created_at, T0 + 1);
    EXPECT_LE(d.created_at, T0 + 2);
    EXPECT_EQ(d.next_attempt_at, T0 + kHour);
    EXPECT_EQ(d.series_start, 1);
  }
  EXPECT_EQ(must(store().replay_dead_since(tenant.id, e.id, T0 + 1, T0 + kHour, 2)), 2);
  EXPECT_EQ(must(store().replay_dead_since(tenant.id, e.id, T0 + 1, T0 + kHour, 2)), 0);
  EXPECT_EQ(deliveries(tenant, {DeliveryStatus::pending, e.id, {}}).size(), 4u);
  EXPECT_EQ(deliveries(tenant, {DeliveryStatus::dead, e.id, {}}).size(), 1u);
  EXPECT_EQ(deliveries(tenant, {DeliveryStatus::dead, other.id, {}}).size(), 5u);
  EXPECT_EQ(claim(T0 + kHour).size(), 4u);
  EXPECT_EQ(error_of(store().replay_dead_since(tenant.id, "ep_missing", T0, T0, 10)),
            Errc::not_found);
}

// ============================ releasing, scheduling ============================

TEST_P(StoreConformance, ReleaseLeasesGivesBackOnlyThatOwnersLeases) {
  auto tenant = add_tenant();
  add_endpoint(tenant);
  for (int i = 0; i < 4; ++i) ingest(tenant, "a.b", T0);
  auto mine = must(store().claim_due("me", T0, kLease, 3));
  auto theirs = must(store().claim_due("them", T0, kLease, 3));
  ASSERT_EQ(mine.size(), 3u);
  ASSERT_EQ(theirs.size(), 1u);

  must(store().release_leases("me"));
  auto retaken = must(store().claim_due("next", T0 + 1, kLease, 10));
  EXPECT_EQ(sorted(delivery_ids(retaken)), sorted(delivery_ids(mine)));
  for (const auto& j : retaken) EXPECT_EQ(j.attempt, 1);
  EXPECT_EQ(delivery(tenant, theirs[0].delivery_id).lease_owner, "them");
  must(store().release_leases("nobody"));
}

TEST_P(StoreConformance, ReleaseDeliveriesMakesThemDueLater) {
  auto tenant = add_tenant();
  add_endpoint(tenant);
  auto jobs = ingest_and_claim(tenant, 3);
  std::vector<std::string> give_back{jobs[0].delivery_id, jobs[1].delivery_id};
  must(store().release_deliveries("someone-else", give_back, T0));  // not theirs: no effect
  EXPECT_TRUE(claim(T0 + 1).empty());

  must(store().release_deliveries("w1", give_back, T0 + kSecond));
  auto d = delivery(tenant, jobs[0].delivery_id);
  EXPECT_FALSE(d.lease_owner.has_value());
  EXPECT_EQ(d.next_attempt_at, T0 + kSecond);
  EXPECT_EQ(d.attempts, 0);
  EXPECT_EQ(delivery(tenant, jobs[2].delivery_id).lease_owner, "w1");
  EXPECT_TRUE(claim(T0 + kSecond - 1).empty());
  EXPECT_EQ(sorted(delivery_ids(claim(T0 + kSecond))), sorted(give_back));
}

// A hand-back brought forward moves only if nothing happened to it since: a delivery
// attempted (and retrying on its own schedule), leased again or finished stays as it is.
TEST_P(StoreConformance, BringForwardMovesOnlyUntouchedHandbacks) {
  auto tenant = add_tenant();
  add_endpoint(tenant);
  auto jobs = ingest_and_claim(tenant, 4);
  std::vector<std::string> ids = delivery_ids(jobs);
  const Millis handed_back_due = T0 + 4 * kSecond;
  must(store().release_deliveries("w1", ids, handed_back_due));
  EXPECT_TRUE(claim(T0 + 1).empty());

  // ids[0]: claimed by another node when due and now retrying an hour later.
  auto retried = claim(handed_back_due, 1, "w2").at(0);
  ASSERT_EQ(retried.delivery_id, ids[0]);
  complete({outcome(retried, DeliveryStatus::pending, handed_back_due, T0 + kHour)},
           handed_back_due, "w2");
  // ids[1]: succeeded. ids[2]: leased again (no longer handed back).
  auto done = claim(handed_back_due, 1, "w2").at(0);
  ASSERT_EQ(done.delivery_id, ids[1]);
  complete({outcome(done, DeliveryStatus::succeeded, handed_back_due)}, handed_back_due, "w2");
  auto leased = claim(handed_back_due, 1, "w2").at(0);
  ASSERT_EQ(leased.delivery_id, ids[2]);

  // Another hand-back of ids[3] due elsewhere, or a stale due time, moves nothing.
  EXPECT_EQ(must(store().bring_forward_deliveries(ids, handed_back_due + 1, T0 + 2)), 0);
  EXPECT_EQ(must(store().bring_forward_deliveries(ids, handed_back_due, T0 + 2)), 1);
  EXPECT_EQ(delivery(tenant, ids[3]).next_attempt_at, T0 + 2);
  EXPECT_EQ(delivery(tenant, ids[0]).next_attempt_at, T0 + kHour);
  EXPECT_EQ(delivery(tenant, ids[1]).status, DeliveryStatus::succeeded);
  EXPECT_EQ(delivery(tenant, ids[2]).lease_owner, "w2");
  EXPECT_EQ(must(store().bring_forward_deliveries({}, handed_back_due, T0 + 2)), 0);

  auto now_due = claim(T0 + 2);
  ASSERT_EQ(now_due.size(), 1u);
  EXPECT_EQ(now_due[0].delivery_id, ids[3]);
  EXPECT_EQ(now_due[0].attempt, 1) << "no attempt recorded by a hand-back";
}

TEST_P(StoreConformance, NextDueAt) {
  EXPECT_EQ(must(store().next_due_at()), std::nullopt);
  auto tenant = add_tenant();
  auto e = add_endpoint(tenant);
  ingest(tenant, "a.b", T0 + 5);
  EXPECT_EQ(must(store().next_due_at()), T0 + 5);
  auto job = claim(T0 + 10).at(0);
  EXPECT_EQ(must(store().next_due_at()), T0 + 10 + kLease) << "claimable again when the lease ends";
  complete({outcome(job, DeliveryStatus::pending, T0 + 10, T0 + kHour)}, T0 + 11);
  EXPECT_EQ(must(store().next_due_at()), T0 + kHour);

  EndpointPatch off;
  off.disabled = true;
  must(store().update_endpoint(tenant.id, e.id, off, T0 + 12));
  EXPECT_EQ(must(store().next_due_at()), std::nullopt);
  EndpointPatch on;
  on.disabled = false;
  must(store().update_endpoint(tenant.id, e.id, on, T0 + 13));
  EXPECT_EQ(must(store().next_due_at()), T0 + kHour);

  auto last = claim(T0 + kHour).at(0);
  complete({outcome(last, DeliveryStatus::succeeded, T0 + kHour)}, T0 + kHour);
  EXPECT_EQ(must(store().next_due_at()), std::nullopt);
}

TEST_P(StoreConformance, DisableFailingEndpoints) {
  auto tenant = add_tenant();
  auto failing = add_endpoint(tenant);
  auto healthy = add_endpoint(tenant);
  ingest(tenant, "a.b", T0);
  std::vector<AttemptRecord> records;
  for (const auto& j : claim(T0)) {
    records.push_back(outcome(
        j, j.endpoint_id == failing.id ? DeliveryStatus::pending : DeliveryStatus::succeeded, T0,
        T0 + kHour));
  }
  complete(records, T0);
  const Millis period = 5 * kDay;

  EXPECT_TRUE(must(store().disable_failing_endpoints(T0 + period - 1, period)).empty());
  auto disabled = must(store().disable_failing_endpoints(T0 + period, period));
  ASSERT_EQ(disabled.size(), 1u);
  EXPECT_EQ(disabled[0].id, failing.id);
  EXPECT_TRUE(disabled[0].disabled);
  EXPECT_FALSE(disabled[0].disabled_reason.empty());
  auto e = must(store().get_endpoint(tenant.id, failing.id));
  EXPECT_TRUE(e.disabled);
  EXPECT_EQ(e.disabled_reason, disabled[0].disabled_reason);
  EXPECT_FALSE(must(store().get_endpoint(tenant.id, healthy.id)).disabled);
  EXPECT_TRUE(must(store().disable_failing_endpoints(T0 + 2 * period, period)).empty());
  EXPECT_TRUE(claim(T0 + 2 * period).empty());
}

TEST_P(StoreConformance, DeliveryCounts) {
  auto zero = must(store().delivery_counts(T0));
  EXPECT_EQ(zero.pending_due + zero.pending_scheduled + zero.succeeded + zero.dead, 0);
  auto tenant = add_tenant();
  add_endpoint(tenant);
  auto jobs = ingest_and_claim(tenant, 6);
  complete(
      {outcome(jobs[0], DeliveryStatus::succeeded, T0),
       outcome(jobs[1], DeliveryStatus::succeeded, T0), outcome(jobs[2], DeliveryStatus::dead, T0),
       outcome(jobs[3], DeliveryStatus::pending, T0, T0 + kHour)},
      T0);
  // jobs[4] and [5] are in flight: pending and due.
  auto counts = must(store().delivery_counts(T0 + kMinute));
  EXPECT_EQ(counts.pending_due, 2);
  EXPECT_EQ(counts.pending_scheduled, 1);
  EXPECT_EQ(counts.succeeded, 2);
  EXPECT_EQ(counts.dead, 1);
  EXPECT_EQ(must(store().delivery_counts(T0 + kHour)).pending_due, 3);
}

}  // namespace axon::test
