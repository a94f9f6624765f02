// Deliveries without a foreign key to their event (migration kDeliveriesWithoutEventKey,
// store/postgres/pg_migrations_counts.cpp): on a database upgraded with a keyed event, its
// pending deliveries and an attempt in it, the key is gone, and deleting the tenant still
// deletes the event's deliveries, their attempts and queue rows, and their counts.
#include <gtest/gtest.h>

#include "store/postgres/pg_connection.hpp"
#include "store/postgres/pg_schema.hpp"
#include "support/pg_old_rows.hpp"
#include "support/pg_server.hpp"

namespace axon::test {
namespace {

constexpr Millis kNow = 1'764'000'000'000;

TEST(PgDeliveriesWithoutEventKey, DeletingATenantStillDeletesItsDeliveries) {
  PgServer* server = PgServer::shared();
  ASSERT_NE(server, nullptr);
  ASSERT_GT(pg::deliveries_without_event_key_schema_version(), 0);
  const std::string rows = std::string(kTenantWithAKeyedEvent) +
                           "INSERT INTO axon.attempts (delivery_id, n, started_at, duration_ms, "
                           "status_code) VALUES ('dlv_1', 1, 1763999950000, 5, 500);";
  std::string url;
  auto upgraded = open_upgraded_pg_store(*server, pg::deliveries_without_event_key_schema_version(),
                                         rows, &url);
  Store& store = *upgraded;
  pg::PgConnection conn(url);
  EXPECT_EQ(pg_scalar(conn,
                      "SELECT count(*) FROM pg_constraint "
                      "WHERE conrelid = 'axon.deliveries'::regclass AND contype = 'f'"),
            0);
  // A second tenant's event, stored after the migration, stays.
  const Tenant other = add_tenant(store, kNow);
  add_endpoint(store, other.id, kNow);
  const std::string kept = add_event(store, other.id, "a.b", kNow).event.id;
  auto before = store.delivery_counts(kNow);
  ASSERT_TRUE(before) << before.error().message;
  EXPECT_EQ(before->pending_due + before->pending_scheduled, 3);

  ASSERT_TRUE(store.delete_tenant("ten_1"));
  EXPECT_EQ(pg_scalar(conn, "SELECT count(*) FROM axon.deliveries WHERE event_id = 'evt_1'"), 0);
  EXPECT_EQ(pg_scalar(conn, "SELECT count(*) FROM axon.attempts"), 0);
  EXPECT_EQ(pg_scalar(conn, "SELECT count(*) FROM axon.queue WHERE tenant_id = 'ten_1'"), 0);
  EXPECT_EQ(pg_scalar(conn,
                      "SELECT count(*) FROM axon.deliveries d JOIN axon.queue q "
                      "ON q.delivery_id = d.id WHERE d.event_id = '" +
                          kept + "'"),
            1);
  auto after = store.delivery_counts(kNow);
  ASSERT_TRUE(after) << after.error().message;
  EXPECT_EQ(after->pending_due + after->pending_scheduled, 1);
}

}  // namespace
}  // namespace axon::test
