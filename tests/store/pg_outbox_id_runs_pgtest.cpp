// The outbox's delivery ids drawn as one run (migration kOutboxIdRuns, axon.new_ids in
// store/postgres/pg_migrations_ids.cpp): after upgrading a database that holds a keyed event
// and pending deliveries, keys still work, a new event fans out with its
// delivery count written with it and its deliveries' ids one consecutive run, and the old and
// new deliveries are all claimable.
#include <gtest/gtest.h>

#include "store/postgres/pg_connection.hpp"
#include "store/postgres/pg_schema.hpp"
#include "support/pg_old_rows.hpp"
#include "support/pg_server.hpp"

namespace axon::test {
namespace {

TEST(PgOutboxIdRuns, EmitEventAfterTheMigrationKeepsKeysAndQueuesARunOfIds) {
  PgServer* server = PgServer::shared();
  ASSERT_NE(server, nullptr);
  ASSERT_GT(pg::outbox_id_runs_schema_version(), 0);
  std::string url;
  auto upgraded = open_upgraded_pg_store(*server, pg::outbox_id_runs_schema_version(),
                                         kTenantWithAKeyedEvent, &url);
  Store& store = *upgraded;
  pg::PgConnection conn(url);

  // The old event's key is older than the window (its rows are stamped in 2025, emit_event
  // uses the database's clock): a new event takes it over, and the next call replays that.
  const std::string keyed =
      conn.exec("SELECT axon.emit_event('ten_1', 'a.b', '{\"n\":2}', 'k-1')").text(0, 0);
  EXPECT_NE(keyed, "evt_1");
  EXPECT_EQ(conn.exec("SELECT axon.emit_event('ten_1', 'a.b', '{\"n\":2}', 'k-1')").text(0, 0),
            keyed);
  const std::string id =
      conn.exec("SELECT axon.emit_event('ten_1', 'a.b', '{\"n\":3}')").text(0, 0);
  EXPECT_NE(id, keyed);
  EXPECT_EQ(pg_scalar(conn, "SELECT deliveries FROM axon.events WHERE id = '" + id + "'"), 2);
  pg::PgResult made = conn.exec(
      "SELECT d.id, d.endpoint_id FROM axon.deliveries d JOIN axon.queue q ON q.delivery_id = d.id "
      "WHERE d.event_id = $1 ORDER BY d.endpoint_id",
      pg::Params(id));
  ASSERT_EQ(made.rows(), 2);
  // In endpoint order, one run: the same head (prefix, time, high half), ids increasing.
  EXPECT_EQ(made.text(0, 1), "ep_a");
  EXPECT_EQ(made.text(1, 1), "ep_b");
  EXPECT_EQ(made.text(0, 0).substr(0, 22), made.text(1, 0).substr(0, 22));
  EXPECT_LT(made.text(0, 0), made.text(1, 0));

  // emit_event stamps its rows with the database's clock.
  const Millis later = pg_scalar(conn, "SELECT axon.now_ms() + 60000");
  auto jobs = store.claim_due("node", later, 60'000, 10);
  ASSERT_TRUE(jobs) << jobs.error().message;
  EXPECT_EQ(jobs->size(), 6u);  // two from before, two per new event
}

}  // namespace
}  // namespace axon::test
