// The one-call ingest (migration kOneCallIngest, store/postgres/pg_migrations_ingest.cpp):
// idempotency keys taken under the schema before it still replay their events; an event fans
// out to every matching endpoint even when the store's hint of the fan-out is stale (the
// function asks for more delivery ids); and the function's own rules, called directly: more
// endpoints than ids writes nothing, an event id taken is a conflict unless the call is the
// rerun of a call whose connection broke.
#include <gtest/gtest.h>

#include "store/postgres/pg_connection.hpp"
#include "store/postgres/pg_schema.hpp"
#include "store/rules.hpp"
#include "support/pg_old_rows.hpp"
#include "support/pg_server.hpp"

namespace axon::test {
namespace {

constexpr Millis kNow = 1'764'000'000'000;

constexpr const char* kOldRows = kTenantWithAKeyedEvent;

NewEvent event_of(std::string id, std::string tenant_id, std::optional<std::string> key) {
  NewEvent ev;
  ev.id = std::move(id);
  ev.tenant_id = std::move(tenant_id);
  ev.type = "a.b";
  ev.payload = "{\"n\":2}";
  ev.idempotency_key = std::move(key);
  ev.created_at = kNow;
  return ev;
}

std::function<std::string()> delivery_ids() {
  return [] { return test_id("dlv_new_"); };
}

TEST(PgOneCallIngest, KeysTakenBeforeTheMigrationStillReplay) {
  PgServer* server = PgServer::shared();
  ASSERT_NE(server, nullptr);
  ASSERT_GT(pg::one_call_ingest_schema_version(), 0);
  std::string url;
  auto upgraded =
      open_upgraded_pg_store(*server, pg::one_call_ingest_schema_version(), kOldRows, &url);
  Store& store = *upgraded;
  pg::PgConnection conn(url);

  auto replayed = store.ingest_event(event_of("evt_2", "ten_1", "k-1"), kNow, delivery_ids());
  ASSERT_TRUE(replayed) << replayed.error().message;
  EXPECT_TRUE(replayed->replayed);
  EXPECT_EQ(replayed->event.id, "evt_1");
  EXPECT_EQ(replayed->event.payload, "{\"n\":1}");
  EXPECT_EQ(replayed->event.deliveries, 2);
  EXPECT_EQ(pg_scalar(conn, "SELECT count(*) FROM axon.events"), 1);

  // A new key stores the event and queues one delivery per endpoint, as before.
  auto created = store.ingest_event(event_of("evt_3", "ten_1", "k-2"), kNow, delivery_ids());
  ASSERT_TRUE(created) << created.error().message;
  EXPECT_FALSE(created->replayed);
  EXPECT_EQ(created->event.deliveries, 2);
  EXPECT_EQ(pg_scalar(conn,
                      "SELECT count(*) FROM axon.queue q JOIN axon.deliveries d "
                      "ON d.id = q.delivery_id WHERE d.event_id = 'evt_3'"),
            2);
  EXPECT_EQ(pg_scalar(conn,
                      "SELECT count(*) FROM axon.idempotency_keys WHERE key = 'k-2' "
                      "AND event_id = 'evt_3'"),
            1);
  // And the deliveries written before the migration are still claimable.
  auto jobs = store.claim_due("node", kNow, 60'000, 10);
  ASSERT_TRUE(jobs) << jobs.error().message;
  EXPECT_EQ(jobs->size(), 4u);
}

TEST(PgOneCallIngest, FansOutToEveryEndpointWhenTheTenantGainsSome) {
  PgServer* server = PgServer::shared();
  ASSERT_NE(server, nullptr);
  auto store = open_migrated_pg_store(*server);
  const Tenant tenant = add_tenant(*store, kNow);
  add_endpoint(*store, tenant.id, kNow);
  // The store learns a fan-out of 1 for this tenant...
  ASSERT_EQ(add_event(*store, tenant.id, "a.b", kNow).event.deliveries, 1);
  for (int i = 0; i < 4; ++i) add_endpoint(*store, tenant.id, kNow);
  // ...and the next event, which needs 5 delivery ids, gets them all.
  int drawn = 0;
  auto result = store->ingest_event(event_of(test_id("evt_"), tenant.id, std::nullopt), kNow, [&] {
    ++drawn;
    return test_id("dlv_");
  });
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->event.deliveries, 5);
  EXPECT_EQ(drawn, 5);
  auto jobs = store->claim_due("node", kNow, 60'000, 100);
  ASSERT_TRUE(jobs) << jobs.error().message;
  EXPECT_EQ(jobs->size(), 6u);
}

TEST(PgOneCallIngest, TheFunctionsOwnRules) {
  PgServer* server = PgServer::shared();
  ASSERT_NE(server, nullptr);
  std::string url;
  auto store = open_migrated_pg_store(*server, &url);
  const Tenant tenant = add_tenant(*store, kNow);
  add_endpoint(*store, tenant.id, kNow);
  add_endpoint(*store, tenant.id, kNow);
  pg::PgConnection conn(url);
  auto call = [&](const std::string& id, const std::string& ids, bool rerun) {
    return conn.exec(
        "SELECT r_outcome, r_deliveries FROM axon.ingest_event($1, $2, 'a.b', "
        "'{}', NULL, 0, $3::bigint, false, $4::bigint, $5::text[], $6::boolean)",
        pg::Params(tenant.id, id, kNow, store_rules::kIdempotencyWindowMs, ids, rerun));
  };

  // Two endpoints match, one id given: it asks for two and writes nothing.
  auto short_of_ids = call("evt_x", "{dlv_x1}", false);
  EXPECT_EQ(short_of_ids.text(0, 0), "need_ids");
  EXPECT_EQ(short_of_ids.i32(0, 1), 2);
  EXPECT_EQ(pg_scalar(conn, "SELECT count(*) FROM axon.events WHERE id = 'evt_x'"), 0);
  EXPECT_EQ(pg_scalar(conn, "SELECT count(*) FROM axon.deliveries"), 0);

  auto stored = call("evt_x", "{dlv_x1,dlv_x2,dlv_x3}", false);
  EXPECT_EQ(stored.text(0, 0), "created");
  EXPECT_EQ(stored.i32(0, 1), 2);
  EXPECT_EQ(pg_scalar(conn,
                      "SELECT count(*) FROM axon.deliveries WHERE id IN "
                      "('dlv_x1', 'dlv_x2')"),
            2);  // the first ids, in order; the spare one is not used

  // The same id again: a conflict (23505); as the rerun after a broken connection, the
  // first run's event, with nothing written twice.
  try {
    call("evt_x", "{dlv_y1,dlv_y2}", false);
    ADD_FAILURE() << "an event id taken was stored again";
  } catch (const pg::PgError& e) {
    EXPECT_EQ(e.errc(), Errc::conflict) << e.what();
  }
  auto rerun = call("evt_x", "{dlv_y1,dlv_y2}", true);
  EXPECT_EQ(rerun.text(0, 0), "created");
  EXPECT_EQ(rerun.i32(0, 1), 2);
  EXPECT_EQ(pg_scalar(conn, "SELECT count(*) FROM axon.deliveries"), 2);

  // A tenant that does not exist: nothing written.
  auto nobody = conn.exec(
      "SELECT r_outcome FROM axon.ingest_event('ten_none', 'evt_z', 'a.b', "
      "'{}', NULL, 0, 0, false, 1, '{}'::text[], false)");
  EXPECT_EQ(nobody.text(0, 0), "no_tenant");
  EXPECT_EQ(pg_scalar(conn, "SELECT count(*) FROM axon.events WHERE id = 'evt_z'"), 0);
}

}  // namespace
}  // namespace axon::test
