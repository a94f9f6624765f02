// A tenant's events in one call (migration kOneCallBatchIngest, axon.ingest_events in
// store/postgres/pg_migrations_ingest.cpp): keys and pending deliveries written under the
// schema before it still replay and still go out; a batch fans out to every matching endpoint
// when the store's hint of the fan-out is stale (the function asks for more ids); and the
// function's own rules, called directly: too few ids writes nothing, an id taken is a
// conflict for the whole call unless the call is the rerun of one whose connection broke
// (then the first run's answer is read back), an unknown tenant writes nothing.
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

TEST(PgOneCallBatchIngest, KeysAndDeliveriesFromBeforeTheMigrationStillCount) {
  PgServer* server = PgServer::shared();
  ASSERT_NE(server, nullptr);
  ASSERT_GT(pg::one_call_batch_ingest_schema_version(), 0);
  std::string url;
  auto upgraded =
      open_upgraded_pg_store(*server, pg::one_call_batch_ingest_schema_version(), kOldRows, &url);
  Store& store = *upgraded;
  pg::PgConnection conn(url);

  const std::vector<NewEvent> events = {
      event_of("evt_2", "ten_1", "k-1"),  // the key taken before the migration
      event_of("evt_3", "ten_1", "k-2"),  // new
      event_of("evt_4", "ten_1", "k-2"),  // the one just above
      event_of("evt_5", "ten_1", std::nullopt)};
  auto results = store.ingest_events(events, kNow, [] { return test_id("dlv_new_"); });
  ASSERT_TRUE(results) << results.error().message;
  ASSERT_EQ(results->size(), 4u);
  EXPECT_TRUE((*results)[0].replayed);
  EXPECT_EQ((*results)[0].event.id, "evt_1");
  EXPECT_EQ((*results)[0].event.payload, "{\"n\":1}");
  EXPECT_EQ((*results)[0].event.created_at, 1763999940000);
  EXPECT_FALSE((*results)[1].replayed);
  EXPECT_EQ((*results)[1].event.deliveries, 2);
  EXPECT_TRUE((*results)[2].replayed);
  EXPECT_EQ((*results)[2].event.id, "evt_3");
  EXPECT_EQ((*results)[2].event.deliveries, 2);
  EXPECT_FALSE((*results)[3].replayed);
  EXPECT_EQ((*results)[3].event.id, "evt_5");
  EXPECT_EQ(pg_scalar(conn, "SELECT count(*) FROM axon.events"), 3);
  EXPECT_EQ(pg_scalar(conn,
                      "SELECT count(*) FROM axon.idempotency_keys WHERE key = 'k-2' "
                      "AND event_id = 'evt_3'"),
            1);
  // The deliveries from before and the four new ones are all claimable.
  auto jobs = store.claim_due("node", kNow, 60'000, 10);
  ASSERT_TRUE(jobs) << jobs.error().message;
  EXPECT_EQ(jobs->size(), 6u);
}

TEST(PgOneCallBatchIngest, FansOutToEveryEndpointWhenTheTenantGainsSome) {
  PgServer* server = PgServer::shared();
  ASSERT_NE(server, nullptr);
  auto store = open_migrated_pg_store(*server);
  const Tenant tenant = add_tenant(*store, kNow);
  add_endpoint(*store, tenant.id, kNow);
  // The store learns a fan-out of 1 for this tenant...
  ASSERT_EQ(add_event(*store, tenant.id, "a.b", kNow).event.deliveries, 1);
  for (int i = 0; i < 2; ++i) add_endpoint(*store, tenant.id, kNow);
  // ...and a batch of three events, which needs nine delivery ids, gets them all, in order.
  std::vector<NewEvent> events;
  for (int i = 0; i < 3; ++i) events.push_back(event_of(test_id("evt_"), tenant.id, std::nullopt));
  std::vector<std::string> drawn;
  auto results = store->ingest_events(events, kNow, [&] {
    drawn.push_back(test_id("dlv_"));
    return drawn.back();
  });
  ASSERT_TRUE(results) << results.error().message;
  for (const IngestResult& result : *results) EXPECT_EQ(result.event.deliveries, 3);
  ASSERT_EQ(drawn.size(), 9u);
  auto page = store->list_deliveries(tenant.id, {}, {100, std::nullopt});
  ASSERT_TRUE(page) << page.error().message;
  for (const Delivery& d : page->items) {
    if (d.event_id == events.front().id) {
      EXPECT_TRUE(d.id == drawn[0] || d.id == drawn[1] || d.id == drawn[2]) << d.id;
    }
  }
  auto jobs = store->claim_due("node", kNow, 60'000, 100);
  ASSERT_TRUE(jobs) << jobs.error().message;
  EXPECT_EQ(jobs->size(), 10u);
}

TEST(PgOneCallBatchIngest, TheFunctionsOwnRules) {
  PgServer* server = PgServer::shared();
  ASSERT_NE(server, nullptr);
  std::string url;
  auto store = open_migrated_pg_store(*server, &url);
  const Tenant tenant = add_tenant(*store, kNow);
  add_endpoint(*store, tenant.id, kNow);
  add_endpoint(*store, tenant.id, kNow);
  pg::PgConnection conn(url);
  // Two events, the second with a key; ids as given.
  auto call = [&](const std::string& tenant_id, const std::string& ids, bool rerun) {
    return conn.exec(
        "SELECT r_outcome, r_deliveries, r_id FROM axon.ingest_events($1, "
        "'{evt_x,evt_y}', '{a.b,a.b}', ARRAY['{}', '{}'], ARRAY[NULL, 'k-9'], "
        "'{0,0}', "
        "$2::bigint, $3::bigint, $4::text[], $5::boolean)",
        pg::Params(tenant_id, kNow, store_rules::kIdempotencyWindowMs, ids, rerun));
  };

  // Two endpoints each: four ids needed, three given. Nothing is written.
  auto short_of_ids = call(tenant.id, "{d1,d2,d3}", false);
  ASSERT_EQ(short_of_ids.rows(), 1);
  EXPECT_EQ(short_of_ids.text(0, 0), "need_ids");
  EXPECT_EQ(short_of_ids.i32(0, 1), 4);
  EXPECT_EQ(pg_scalar(conn, "SELECT count(*) FROM axon.events"), 0);
  EXPECT_EQ(pg_scalar(conn, "SELECT count(*) FROM axon.idempotency_keys"), 0);

  auto stored = call(tenant.id, "{d1,d2,d3,d4,d5}", false);
  ASSERT_EQ(stored.rows(), 2);
  EXPECT_EQ(stored.text(0, 0), "created");
  EXPECT_EQ(stored.i32(0, 1), 2);
  EXPECT_EQ(stored.text(1, 0), "created");
  EXPECT_EQ(pg_scalar(conn,
                      "SELECT count(*) FROM axon.deliveries WHERE event_id = 'evt_x' "
                      "AND id IN ('d1', 'd2')"),
            2);  // the first ids go to the first event; the spare one is not used
  EXPECT_EQ(pg_scalar(conn, "SELECT count(*) FROM axon.queue"), 4);
  EXPECT_EQ(pg_scalar(conn,
                      "SELECT count(*) FROM axon.idempotency_keys WHERE key = 'k-9' "
                      "AND event_id = 'evt_y'"),
            1);

  // The same ids again: a conflict for the whole call; as the rerun after a broken
  // connection, the first run's answer, with nothing written twice.
  try {
    call(tenant.id, "{d6,d7,d8,d9}", false);
    ADD_FAILURE() << "event ids taken were stored again";
  } catch (const pg::PgError& e) {
    EXPECT_EQ(e.errc(), Errc::conflict) << e.what();
  }
  auto rerun = call(tenant.id, "{d6,d7,d8,d9}", true);
  ASSERT_EQ(rerun.rows(), 2);
  EXPECT_EQ(rerun.text(0, 0), "created");
  EXPECT_EQ(rerun.i32(0, 1), 2);
  EXPECT_EQ(rerun.text(1, 0), "created");
  EXPECT_EQ(rerun.text(1, 2), "evt_y");
  EXPECT_EQ(pg_scalar(conn, "SELECT count(*) FROM axon.deliveries"), 4);

  // An unknown tenant: one row, nothing written.
  auto nobody = call("ten_none", "{d10,d11,d12,d13}", false);
  ASSERT_EQ(nobody.rows(), 1);
  EXPECT_EQ(nobody.text(0, 0), "no_tenant");
  EXPECT_EQ(pg_scalar(conn, "SELECT count(*) FROM axon.events"), 2);
}

}  // namespace
}  // namespace axon::test
