// The delivery queue migration (store/postgres/pg_migrations_queue.cpp) on rows written by the
// schema before it: every pending delivery is queued as claimable as it was (a live lease
// stays its owner's, a FIFO delivery still waits behind it, a retry keeps its time), nothing
// finished is queued again, and the queue follows the deliveries from then on.
#include <gtest/gtest.h>

#include "store/postgres/pg_connection.hpp"
#include "store/postgres/pg_schema.hpp"
#include "support/pg_server.hpp"

namespace axon::test {
namespace {

constexpr Millis kNow = 1'764'000'000'000;
constexpr Millis kLease = 60'000;
constexpr Millis kRetryAt = kNow + 30'000;

// One tenant with a parallel endpoint (ep_p) and a FIFO one (ep_f). dlv_1 is due; dlv_2 is
// leased by a node still running (lease live until kNow + kLease); dlv_3, FIFO, waits behind
// dlv_2; dlv_4 failed once and is scheduled for kRetryAt; dlv_5 succeeded, dlv_6 is dead.
constexpr const char* kOldRows = R"sql(
INSERT INTO axon.tenants VALUES ('ten_1', 'acme', 0);
INSERT INTO axon.endpoints (id, tenant_id, url, secret_sealed, created_at, updated_at, ordering)
VALUES ('ep_p', 'ten_1', 'http://127.0.0.1:9/p', 'sealed', 0, 0, 'parallel'),
       ('ep_f', 'ten_1', 'http://127.0.0.1:9/f', 'sealed', 0, 0, 'fifo');
INSERT INTO axon.events (id, tenant_id, type, payload, deliveries, created_at) VALUES
  ('evt_1', 'ten_1', 'a.b', '{"n":1}', 2, 1000), ('evt_2', 'ten_1', 'a.b', '{"n":2}', 2, 2000),
  ('evt_3', 'ten_1', 'a.b', '{"n":3}', 2, 3000);
INSERT INTO axon.deliveries (id, tenant_id, event_id, endpoint_id, event_type, status, attempts,
                             next_attempt_at, lease_owner, lease_expires_at, created_at,
                             updated_at) VALUES
  ('dlv_1', 'ten_1', 'evt_1', 'ep_p', 'a.b', 'pending', 0, 1000, NULL, NULL, 1000, 1000),
  ('dlv_2', 'ten_1', 'evt_1', 'ep_f', 'a.b', 'pending', 0, 1000, 'live-node', 1764000060000,
   1000, 1000),
  ('dlv_3', 'ten_1', 'evt_2', 'ep_f', 'a.b', 'pending', 0, 2000, NULL, NULL, 2000, 2000),
  ('dlv_4', 'ten_1', 'evt_2', 'ep_p', 'a.b', 'pending', 1, 1764000030000, NULL, NULL, 2000,
   2000),
  ('dlv_5', 'ten_1', 'evt_3', 'ep_p', 'a.b', 'succeeded', 1, 0, NULL, NULL, 3000, 3000),
  ('dlv_6', 'ten_1', 'evt_3', 'ep_f', 'a.b', 'dead', 5, 0, NULL, NULL, 3000, 3000);
INSERT INTO axon.attempts (delivery_id, n, started_at) VALUES
  ('dlv_4', 1, 2000), ('dlv_5', 1, 3000), ('dlv_6', 5, 3000);
)sql";
// (The times in the rows above, written out.)
static_assert(kNow + kLease == 1764000060000 && kRetryAt == 1764000030000);

AttemptRecord succeeded(const DeliveryJob& job, Millis at) {
  return attempt_outcome(job, DeliveryStatus::succeeded, at, 204);
}

// The ids of one claim, in claim order.
std::vector<std::string> claim_ids(Store& store, std::string_view owner, Millis now) {
  auto jobs = store.claim_due(owner, now, kLease, 10);
  EXPECT_TRUE(jobs) << jobs.error().message;
  std::vector<std::string> ids;
  if (jobs) {
    for (const DeliveryJob& job : *jobs) ids.push_back(job.delivery_id);
  }
  return ids;
}

DeliveryJob claim_one(Store& store, std::string_view owner, Millis now) {
  auto jobs = store.claim_due(owner, now, kLease, 10);
  EXPECT_TRUE(jobs) << jobs.error().message;
  EXPECT_EQ(jobs ? jobs->size() : 0u, 1u);
  return jobs && !jobs->empty() ? jobs->front() : DeliveryJob{};
}

using Ids = std::vector<std::string>;

TEST(PgDeliveryQueue, MigrationQueuesEveryPendingDeliveryAsClaimableAsBefore) {
  PgServer* server = PgServer::shared();
  ASSERT_NE(server, nullptr);
  const std::string url = database_before(*server, pg::delivery_queue_schema_version(), kOldRows);
  pg::PgConnection conn(url);

  auto opened = open_postgres_store(url);
  ASSERT_TRUE(opened) << opened.error().message;
  Store& store = **opened;
  ASSERT_TRUE(store.migrate());

  // Only pending deliveries are queued; the lease moved with its owner and expiry, and the
  // delivery rows no longer carry one; the claim-only indexes are gone.
  EXPECT_EQ(pg_scalar(conn, "SELECT count(*) FROM axon.queue"), 4);
  EXPECT_EQ(pg_scalar(conn, "SELECT count(*) FROM axon.queue WHERE delivery_id IN "
                         "('dlv_5', 'dlv_6')"),
            0);
  EXPECT_EQ(pg_scalar(conn, "SELECT count(*) FROM axon.deliveries WHERE lease_owner IS NOT NULL"),
            0);
  EXPECT_EQ(pg_scalar(conn, "SELECT count(*) FROM pg_indexes WHERE indexname IN "
                         "('deliveries_claimable', 'deliveries_claimable_by_tenant', "
                         "'deliveries_by_lease_owner')"),
            0);
  auto leased = store.get_delivery("ten_1", "dlv_2");
  ASSERT_TRUE(leased) << leased.error().message;
  EXPECT_EQ(leased->lease_owner, "live-node");
  EXPECT_EQ(leased->lease_expires_at, kNow + kLease);
  auto scheduled = store.get_delivery("ten_1", "dlv_4");
  ASSERT_TRUE(scheduled) << scheduled.error().message;
  EXPECT_EQ(scheduled->next_attempt_at, kRetryAt);
  EXPECT_FALSE(scheduled->lease_owner.has_value());

  // Now: only dlv_1 (dlv_2's lease is live, dlv_3 waits behind it, dlv_4 is not due yet).
  EXPECT_EQ(claim_ids(store, "node-2", kNow), Ids{"dlv_1"});
  auto due = store.next_due_at();
  ASSERT_TRUE(due) << due.error().message;
  EXPECT_EQ(*due, std::optional<Millis>(kRetryAt));

  // The node that held dlv_2 before the upgrade still completes it; then dlv_3 is offered.
  DeliveryJob held;
  held.delivery_id = "dlv_2";
  held.endpoint_id = "ep_f";
  held.attempt = 1;
  const AttemptRecord first[] = {succeeded(held, kNow)};
  ASSERT_TRUE(store.complete_attempts("live-node", first, kNow));
  EXPECT_EQ(claim_ids(store, "node-2", kNow), Ids{"dlv_3"});

  // The retry comes at its time, as its second attempt.
  const DeliveryJob retry = claim_one(store, "node-2", kRetryAt);
  EXPECT_EQ(retry.delivery_id, "dlv_4");
  EXPECT_EQ(retry.attempt, 2);

  // Once every lease has expired, the three deliveries never completed come back, and
  // nothing finished does.
  EXPECT_EQ(claim_ids(store, "node-3", kNow + 100 * kLease), (Ids{"dlv_1", "dlv_3", "dlv_4"}));
  auto counts = store.delivery_counts(kNow);
  ASSERT_TRUE(counts) << counts.error().message;
  EXPECT_EQ(counts->succeeded, 2);
  EXPECT_EQ(counts->dead, 1);
  EXPECT_EQ(counts->pending_due + counts->pending_scheduled, 3);
}

// From then on the queue holds exactly the pending deliveries: outcomes, replays, deleting an
// endpoint and deleting a tenant keep it in step.
TEST(PgDeliveryQueue, TheQueueHoldsExactlyThePendingDeliveries) {
  PgServer* server = PgServer::shared();
  ASSERT_NE(server, nullptr);
  std::string url;
  auto store = open_migrated_pg_store(*server, &url);
  pg::PgConnection conn(url);
  auto in_step = [&] {
    return pg_scalar(conn,
                  "SELECT count(*) FROM axon.deliveries d FULL JOIN axon.queue q "
                  "ON q.delivery_id = d.id WHERE (d.status = 'pending') IS DISTINCT FROM "
                  "(q.delivery_id IS NOT NULL)") == 0;
  };
  Tenant tenant = add_tenant(*store, kNow);
  Endpoint kept = add_endpoint(*store, tenant.id, kNow);
  Endpoint dropped = add_endpoint(*store, tenant.id, kNow);
  for (int i = 0; i < 3; ++i) add_event(*store, tenant.id, "order.created", kNow);
  EXPECT_EQ(pg_scalar(conn, "SELECT count(*) FROM axon.queue"), 6);
  EXPECT_TRUE(in_step());

  auto jobs = store->claim_due("w", kNow, kLease, 100);
  ASSERT_TRUE(jobs) << jobs.error().message;
  ASSERT_EQ(jobs->size(), 6u);
  std::vector<AttemptRecord> records;
  for (const DeliveryJob& job : *jobs) {
    if (job.endpoint_id != kept.id) continue;
    AttemptRecord rec = succeeded(job, kNow);
    rec.new_status = records.empty() ? DeliveryStatus::dead : DeliveryStatus::succeeded;
    records.push_back(rec);
  }
  ASSERT_TRUE(store->complete_attempts("w", records, kNow));
  EXPECT_EQ(pg_scalar(conn, "SELECT count(*) FROM axon.queue"), 3);
  EXPECT_TRUE(in_step());

  auto replayed = store->replay_delivery(tenant.id, records[0].delivery_id, kNow + 1);
  ASSERT_TRUE(replayed) << replayed.error().message;
  EXPECT_FALSE(replayed->lease_owner.has_value());
  EXPECT_TRUE(in_step());
  EXPECT_EQ(claim_ids(*store, "w2", kNow + 1), Ids{records[0].delivery_id});

  ASSERT_TRUE(store->delete_endpoint(tenant.id, dropped.id));
  EXPECT_EQ(pg_scalar(conn, "SELECT count(*) FROM axon.queue"), 1);
  EXPECT_TRUE(in_step());

  ASSERT_TRUE(store->delete_tenant(tenant.id));
  EXPECT_EQ(pg_scalar(conn, "SELECT count(*) FROM axon.queue"), 0);
  EXPECT_TRUE(in_step());
}

}  // namespace
}  // namespace axon::test
