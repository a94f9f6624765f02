// The lean-writes migration (store/postgres/pg_migrations_counts.cpp) on rows written by the
// schema before it: every pending delivery stays claimable, the counters stay exact once
// status changes count themselves, and attempts still go with their deliveries although
// their foreign key is gone.
#include <gtest/gtest.h>

#include "store/postgres/pg_connection.hpp"
#include "store/postgres/pg_schema.hpp"
#include "support/pg_server.hpp"

namespace axon::test {
namespace {

constexpr Millis kNow = 1'764'000'000'000;
constexpr Millis kLease = 60'000;

// One tenant and endpoint; evt_1 has a succeeded delivery (with an attempt), evt_2 a due
// pending delivery and one leased by a node that stopped (lease expired, one attempt made).
constexpr const char* kOldRows = R"sql(
INSERT INTO axon.tenants VALUES ('ten_1', 'acme', 0);
INSERT INTO axon.endpoints (id, tenant_id, url, secret_sealed, created_at, updated_at)
VALUES ('ep_1', 'ten_1', 'http://127.0.0.1:9/hook', 'sealed', 0, 0);
INSERT INTO axon.events (id, tenant_id, type, payload, deliveries, created_at) VALUES
  ('evt_1', 'ten_1', 'a.b', '{}', 1, 1000), ('evt_2', 'ten_1', 'a.b', '{}', 2, 2000);
INSERT INTO axon.deliveries (id, tenant_id, event_id, endpoint_id, event_type, status, attempts,
                             next_attempt_at, lease_owner, lease_expires_at, created_at,
                             updated_at) VALUES
  ('dlv_1', 'ten_1', 'evt_1', 'ep_1', 'a.b', 'succeeded', 1, 0, NULL, NULL, 1000, 1000),
  ('dlv_2', 'ten_1', 'evt_2', 'ep_1', 'a.b', 'pending', 0, 2000, NULL, NULL, 2000, 2000),
  ('dlv_3', 'ten_1', 'evt_2', 'ep_1', 'a.b', 'pending', 1, 2000, 'gone-node', 5000, 2000, 2000);
INSERT INTO axon.attempts (delivery_id, n, started_at) VALUES ('dlv_1', 1, 1000), ('dlv_3', 1, 2000);
)sql";

AttemptRecord outcome(const DeliveryJob& job, DeliveryStatus status) {
  return attempt_outcome(job, status, kNow, status == DeliveryStatus::succeeded ? 200 : 500);
}

}  // namespace

TEST(PostgresLeanWrites, MigrationKeepsPendingDeliveriesCountsAndAttempts) {
  PgServer* server = PgServer::shared();
  ASSERT_NE(server, nullptr);
  const std::string url = database_before(*server, pg::lean_writes_schema_version(), kOldRows);
  pg::PgConnection conn(url);

  auto opened = open_postgres_store(url);
  ASSERT_TRUE(opened) << opened.error().message;
  Store& store = **opened;
  ASSERT_TRUE(store.migrate());
  EXPECT_EQ(pg_scalar(conn, "SELECT count(*) FROM pg_trigger"
                            " WHERE tgname = 'deliveries_count_update'"),
            0);
  EXPECT_EQ(pg_scalar(conn, "SELECT count(*) FROM pg_constraint WHERE conname IN"
                         " ('attempts_delivery_id_fkey', 'deliveries_tenant_id_fkey')"),
            0);
  auto counts = store.delivery_counts(kNow);
  ASSERT_TRUE(counts) << counts.error().message;
  EXPECT_EQ(counts->pending_due, 2);
  EXPECT_EQ(counts->succeeded, 1);

  // Both pending deliveries are claimable (dlv_3's lease has expired); a claim counts nothing.
  auto jobs = store.claim_due("node-2", kNow, kLease, 10);
  ASSERT_TRUE(jobs) << jobs.error().message;
  ASSERT_EQ(jobs->size(), 2u);
  EXPECT_EQ((*jobs)[0].delivery_id, "dlv_2");
  EXPECT_EQ((*jobs)[1].delivery_id, "dlv_3");
  EXPECT_EQ((*jobs)[1].attempt, 2);
  auto leased = store.delivery_counts(kNow);
  ASSERT_TRUE(leased);
  EXPECT_EQ(leased->pending_due + leased->pending_scheduled, 2);
  EXPECT_EQ(leased->succeeded, 1);

  // Outcomes move the counters in the same statement.
  const AttemptRecord outcomes[] = {outcome((*jobs)[0], DeliveryStatus::succeeded),
                                    outcome((*jobs)[1], DeliveryStatus::dead)};
  ASSERT_TRUE(store.complete_attempts("node-2", outcomes, kNow));
  auto done = store.delivery_counts(kNow);
  ASSERT_TRUE(done);
  EXPECT_EQ(done->pending_due + done->pending_scheduled, 0);
  EXPECT_EQ(done->succeeded, 2);
  EXPECT_EQ(done->dead, 1);
  EXPECT_EQ(pg_scalar(conn, "SELECT count(*) FROM axon.attempts"), 4);
  EXPECT_EQ(pg_scalar(conn, "SELECT sum(n) FROM axon.delivery_counts"), 3);

  // Deleting the tenant cascades to its events and their deliveries, and the deliveries'
  // attempts go with them.
  ASSERT_TRUE(store.delete_tenant("ten_1"));
  EXPECT_EQ(pg_scalar(conn, "SELECT count(*) FROM axon.deliveries"), 0);
  EXPECT_EQ(pg_scalar(conn, "SELECT count(*) FROM axon.attempts"), 0);
  EXPECT_EQ(pg_scalar(conn, "SELECT coalesce(sum(n), 0) FROM axon.delivery_counts"), 0);
}

TEST(PostgresLeanWrites, AnOutcomeForADeletedDeliveryLeavesNoAttempt) {
  PgServer* server = PgServer::shared();
  ASSERT_NE(server, nullptr);
  std::string url;
  auto store = open_migrated_pg_store(*server, &url);
  Tenant tenant = add_tenant(*store, kNow);
  add_endpoint(*store, tenant.id, kNow);
  add_event(*store, tenant.id, "a.b", kNow);
  auto jobs = store->claim_due("w", kNow, kLease, 10);
  ASSERT_TRUE(jobs);
  ASSERT_EQ(jobs->size(), 1u);
  ASSERT_TRUE(store->delete_tenant(tenant.id));
  const AttemptRecord late[] = {outcome((*jobs)[0], DeliveryStatus::succeeded)};
  ASSERT_TRUE(store->complete_attempts("w", late, kNow));
  pg::PgConnection conn(url);
  EXPECT_EQ(pg_scalar(conn, "SELECT count(*) FROM axon.attempts"), 0);
  EXPECT_EQ(pg_scalar(conn, "SELECT coalesce(sum(n), 0) FROM axon.delivery_counts"), 0);
}

}  // namespace axon::test
