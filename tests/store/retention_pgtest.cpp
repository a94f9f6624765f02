// PostgreSQL-only retention and counter behaviour: the counters migration counts the rows
// already stored, a purge leaves no orphans, and counters written by several sessions sum
// up and survive folding.
#include <gtest/gtest.h>

#include "store/postgres/pg_connection.hpp"
#include "store/postgres/pg_schema.hpp"
#include "support/pg_server.hpp"

namespace axon::test {
namespace {

constexpr Millis kNow = 1'764'000'000'000;

// Rows of an older schema: 3 events, 6 deliveries (2 pending, 3 succeeded, 1 dead), 4 attempts.
constexpr const char* kOldRows = R"sql(
INSERT INTO axon.tenants VALUES ('ten_1', 'acme', 0);
INSERT INTO axon.events (id, tenant_id, type, payload, deliveries, created_at) VALUES
  ('evt_1', 'ten_1', 'a.b', '{}', 2, 1000), ('evt_2', 'ten_1', 'a.b', '{}', 2, 2000),
  ('evt_3', 'ten_1', 'a.b', '{}', 2, 3000);
INSERT INTO axon.deliveries (id, tenant_id, event_id, endpoint_id, event_type, status,
                             next_attempt_at, created_at, updated_at) VALUES
  ('dlv_1', 'ten_1', 'evt_1', 'ep_1', 'a.b', 'succeeded', 0, 1000, 1000),
  ('dlv_2', 'ten_1', 'evt_1', 'ep_2', 'a.b', 'dead', 0, 1000, 1000),
  ('dlv_3', 'ten_1', 'evt_2', 'ep_1', 'a.b', 'succeeded', 0, 2000, 2000),
  ('dlv_4', 'ten_1', 'evt_2', 'ep_2', 'a.b', 'pending', 0, 2000, 2000),
  ('dlv_5', 'ten_1', 'evt_3', 'ep_1', 'a.b', 'succeeded', 0, 3000, 3000),
  ('dlv_6', 'ten_1', 'evt_3', 'ep_2', 'a.b', 'pending', 99999999999999, 3000, 3000);
INSERT INTO axon.attempts (delivery_id, n, started_at) VALUES
  ('dlv_1', 1, 1000), ('dlv_2', 1, 1000), ('dlv_2', 2, 1100), ('dlv_3', 1, 2000);
)sql";


}  // namespace

TEST(PostgresRetention, MigrationCountsExistingRowsAndPurgeLeavesNoOrphans) {
  PgServer* server = PgServer::shared();
  ASSERT_NE(server, nullptr);
  const std::string url = database_before(*server, pg::retention_schema_version(), kOldRows);
  pg::PgConnection conn(url);

  auto store = open_postgres_store(url);
  ASSERT_TRUE(store) << store.error().message;
  ASSERT_TRUE((*store)->migrate());
  auto counts = (*store)->delivery_counts(kNow);
  ASSERT_TRUE(counts) << counts.error().message;
  EXPECT_EQ(counts->pending_due, 1);  // dlv_4; dlv_6 waits for a far retry
  EXPECT_EQ(counts->pending_scheduled, 1);
  EXPECT_EQ(counts->succeeded, 3);
  EXPECT_EQ(counts->dead, 1);

  // evt_1 is finished; evt_2 and evt_3 each have a pending delivery.
  auto step = (*store)->purge_finished_events(kNow, std::nullopt, 100);
  ASSERT_TRUE(step) << step.error().message;
  EXPECT_EQ(step->events, 1);
  EXPECT_EQ(step->deliveries, 2);
  EXPECT_EQ(step->attempts, 3);
  EXPECT_FALSE(step->next);
  EXPECT_EQ(pg_scalar(conn,
                   "SELECT count(*) FROM axon.attempts a WHERE NOT EXISTS "
                   "(SELECT 1 FROM axon.deliveries d WHERE d.id = a.delivery_id)"),
            0);
  EXPECT_EQ(pg_scalar(conn,
                   "SELECT count(*) FROM axon.deliveries d WHERE NOT EXISTS "
                   "(SELECT 1 FROM axon.events v WHERE v.id = d.event_id)"),
            0);
  EXPECT_EQ(pg_scalar(conn, "SELECT count(*) FROM axon.events"), 2);
  EXPECT_EQ(pg_scalar(conn, "SELECT count(*) FROM axon.attempts"), 1);  // dlv_3's, kept with evt_2
  auto after = (*store)->delivery_counts(kNow);
  ASSERT_TRUE(after);
  EXPECT_EQ(after->succeeded, 2);
  EXPECT_EQ(after->dead, 0);
  EXPECT_EQ(after->pending_due + after->pending_scheduled, 2);
}

TEST(PostgresRetention, CountersOfSeveralSessionsSumAndSurviveFolding) {
  PgServer* server = PgServer::shared();
  ASSERT_NE(server, nullptr);
  std::string url;
  auto store = open_migrated_pg_store(*server, &url);
  auto tenant = add_tenant(*store, kNow);
  add_endpoint(*store, tenant.id, kNow);
  {
    // Another process: its own sessions, hence its own counter rows, then gone.
    auto other = open_postgres_store(url);
    ASSERT_TRUE(other);
    for (int i = 0; i < 3; ++i) add_event(**other, tenant.id, "a.b", kNow);
  }
  for (int i = 0; i < 2; ++i) add_event(*store, tenant.id, "a.b", kNow);
  pg::PgConnection conn(url);
  EXPECT_GE(pg_scalar(conn, "SELECT count(*) FROM axon.delivery_counts WHERE shard <> 0"), 2);
  // The other store's sessions have ended once its connections are closed; fold them.
  ASSERT_TRUE(store->reclaim_space());
  auto counts = store->delivery_counts(kNow);
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->pending_due, 5);
  EXPECT_EQ(pg_scalar(conn, "SELECT sum(n) FROM axon.delivery_counts WHERE status = 'pending'"), 5);
}

}  // namespace axon::test
