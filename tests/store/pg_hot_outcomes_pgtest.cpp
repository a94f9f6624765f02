// The hot-outcomes migration (store/postgres/pg_migrations_hot_outcomes.cpp) on rows written
// by the schema before it: every delivery survives, the listings by status and the dead
// letters give the same answers, replays still work; and from then on an outcome that does
// not kill its delivery is a HOT update (no index entry written).
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "store/postgres/pg_connection.hpp"
#include "store/postgres/pg_schema.hpp"
#include "support/pg_server.hpp"

namespace axon::test {
namespace {

constexpr Millis kNow = 1'764'000'000'000;
constexpr Millis kLease = 60'000;

// ten_1 has endpoints ep_a and ep_b. dlv_1 is pending (never tried), dlv_2 succeeded, dlv_3
// and dlv_4 are dead, dlv_5 was dead and has been replayed (pending again, its series
// restarted). ten_2 has a dead delivery of its own that ten_1 must never see.
constexpr const char* kOldRows = R"sql(
INSERT INTO axon.tenants VALUES ('ten_1', 'acme', 0), ('ten_2', 'other', 0);
INSERT INTO axon.endpoints (id, tenant_id, url, secret_sealed, created_at, updated_at)
VALUES ('ep_a', 'ten_1', 'http://127.0.0.1:9/a', 'sealed', 0, 0),
       ('ep_b', 'ten_1', 'http://127.0.0.1:9/b', 'sealed', 0, 0),
       ('ep_z', 'ten_2', 'http://127.0.0.1:9/z', 'sealed', 0, 0);
INSERT INTO axon.events (id, tenant_id, type, payload, deliveries, created_at) VALUES
  ('evt_1', 'ten_1', 'a.b', '{"n":1}', 2, 1000), ('evt_2', 'ten_1', 'a.b', '{"n":2}', 2, 2000),
  ('evt_3', 'ten_1', 'a.b', '{"n":3}', 1, 3000), ('evt_9', 'ten_2', 'a.b', '{"n":9}', 1, 1000);
INSERT INTO axon.deliveries (id, tenant_id, event_id, endpoint_id, event_type, status, attempts,
                             series_start, next_attempt_at, created_at, updated_at) VALUES
  ('dlv_1', 'ten_1', 'evt_1', 'ep_a', 'a.b', 'pending', 0, 0, 1000, 1000, 1000),
  ('dlv_2', 'ten_1', 'evt_1', 'ep_b', 'a.b', 'succeeded', 1, 0, 0, 1000, 1000),
  ('dlv_3', 'ten_1', 'evt_2', 'ep_b', 'a.b', 'dead', 5, 0, 0, 2000, 2000),
  ('dlv_4', 'ten_1', 'evt_2', 'ep_a', 'a.b', 'dead', 5, 0, 0, 2000, 2000),
  ('dlv_5', 'ten_1', 'evt_3', 'ep_a', 'a.b', 'pending', 5, 5, 3000, 3000, 3000),
  ('dlv_9', 'ten_2', 'evt_9', 'ep_z', 'a.b', 'dead', 5, 0, 0, 1000, 1000);
INSERT INTO axon.queue (delivery_id, tenant_id, endpoint_id, due_at) VALUES
  ('dlv_1', 'ten_1', 'ep_a', 1000), ('dlv_5', 'ten_1', 'ep_a', 3000);
)sql";

using Ids = std::vector<std::string>;

// The ids of one page of ten_1's deliveries.
Ids listed(Store& store, std::optional<DeliveryStatus> status,
           std::optional<std::string> endpoint_id = std::nullopt, int limit = 50,
           std::optional<std::string> after = std::nullopt) {
  DeliveryFilter filter;
  filter.status = status;
  filter.endpoint_id = std::move(endpoint_id);
  PageRequest page;
  page.limit = limit;
  page.after = std::move(after);
  auto r = store.list_deliveries("ten_1", filter, page);
  EXPECT_TRUE(r) << r.error().message;
  Ids ids;
  if (r) {
    for (const Delivery& d : r->items) ids.push_back(d.id);
  }
  return ids;
}

TEST(PgHotOutcomes, MigrationKeepsEveryDeliveryAndTheSameListings) {
  PgServer* server = PgServer::shared();
  ASSERT_NE(server, nullptr);
  ASSERT_GT(pg::hot_outcomes_schema_version(), 0);
  const std::string url = database_before(*server, pg::hot_outcomes_schema_version(), kOldRows);
  pg::PgConnection conn(url);

  auto opened = open_postgres_store(url);
  ASSERT_TRUE(opened) << opened.error().message;
  Store& store = **opened;
  ASSERT_TRUE(store.migrate());

  // Every row is still there; exactly the dead ones are marked; no index keyed on status is
  // left; the table leaves room for HOT updates.
  EXPECT_EQ(pg_scalar(conn, "SELECT count(*) FROM axon.deliveries"), 6);
  EXPECT_EQ(conn.exec("SELECT string_agg(id, ',' ORDER BY id) FROM axon.deliveries WHERE dead")
                .text(0, 0),
            "dlv_3,dlv_4,dlv_9");
  EXPECT_EQ(pg_scalar(conn,
                      "SELECT count(*) FROM pg_indexes WHERE indexname IN "
                      "('deliveries_by_endpoint', 'deliveries_by_tenant_status')"),
            0);
  EXPECT_EQ(pg_scalar(conn,
                      "SELECT count(*) FROM pg_class WHERE oid = 'axon.deliveries'::regclass "
                      "AND 'fillfactor=50' = ANY (reloptions)"),
            1);

  // The listings give what the rows say, newest first, and only ten_1's.
  EXPECT_EQ(listed(store, std::nullopt), (Ids{"dlv_5", "dlv_4", "dlv_3", "dlv_2", "dlv_1"}));
  EXPECT_EQ(listed(store, DeliveryStatus::pending), (Ids{"dlv_5", "dlv_1"}));
  EXPECT_EQ(listed(store, DeliveryStatus::succeeded), Ids{"dlv_2"});
  EXPECT_EQ(listed(store, DeliveryStatus::dead), (Ids{"dlv_4", "dlv_3"}));
  EXPECT_EQ(listed(store, DeliveryStatus::dead, "ep_a"), Ids{"dlv_4"});
  EXPECT_EQ(listed(store, DeliveryStatus::pending, "ep_a"), (Ids{"dlv_5", "dlv_1"}));
  EXPECT_EQ(listed(store, std::nullopt, "ep_b"), (Ids{"dlv_3", "dlv_2"}));
  EXPECT_EQ(listed(store, DeliveryStatus::dead, std::nullopt, 1, "dlv_4"), Ids{"dlv_3"});

  // The replayed delivery is claimable with its restarted series, next to the pending one.
  auto jobs = store.claim_due("node", kNow, kLease, 10);
  ASSERT_TRUE(jobs) << jobs.error().message;
  EXPECT_EQ(jobs->size(), 2u);

  // Dead letters are replayed one by one and in bulk, and leave the dead-letter list.
  auto bulk = store.replay_dead_since("ten_1", "ep_b", 0, kNow, 10);
  ASSERT_TRUE(bulk) << bulk.error().message;
  EXPECT_EQ(*bulk, 1);
  EXPECT_EQ(listed(store, DeliveryStatus::dead), Ids{"dlv_4"});
  auto one = store.replay_delivery("ten_1", "dlv_4", kNow);
  ASSERT_TRUE(one) << one.error().message;
  EXPECT_EQ(one->status, DeliveryStatus::pending);
  EXPECT_TRUE(listed(store, DeliveryStatus::dead).empty());
  EXPECT_EQ(listed(store, DeliveryStatus::pending), (Ids{"dlv_5", "dlv_4", "dlv_3", "dlv_1"}));
  EXPECT_EQ(pg_scalar(conn, "SELECT count(*) FROM axon.deliveries WHERE dead"), 1);  // ten_2's
}

// axon.deliveries' update counters of this database, once the statistics of `expected_updates`
// updates have been reported (a session reports its own when it ends, or after a while idle).
struct UpdateCounts {
  std::int64_t updates = 0;
  std::int64_t hot = 0;
};
UpdateCounts wait_for_update_counts(pg::PgConnection& conn, std::int64_t expected_updates) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  UpdateCounts c;
  do {
    pg::PgResult r = conn.exec(
        "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables "
        "WHERE schemaname = 'axon' AND relname = 'deliveries'");
    c = {r.i64(0, 0), r.i64(0, 1)};
    if (c.updates >= expected_updates) return c;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  } while (std::chrono::steady_clock::now() < deadline);
  return c;
}

// Ten deliveries fit on one page with room for a new version of each: every outcome that
// leaves its delivery pending or delivered is HOT; the one that kills its delivery is not
// (it enters the dead-letter indexes).
TEST(PgHotOutcomes, OutcomesThatDoNotKillAreHotUpdates) {
  PgServer* server = PgServer::shared();
  ASSERT_NE(server, nullptr);
  std::string url;
  auto store = open_migrated_pg_store(*server, &url);
  pg::PgConnection conn(url);
  Tenant tenant = add_tenant(*store, kNow);
  add_endpoint(*store, tenant.id, kNow);
  for (int i = 0; i < 10; ++i) add_event(*store, tenant.id, "order.created", kNow);

  auto jobs = store->claim_due("w", kNow, kLease, 100);
  ASSERT_TRUE(jobs) << jobs.error().message;
  ASSERT_EQ(jobs->size(), 10u);
  std::vector<AttemptRecord> records;
  for (const DeliveryJob& job : *jobs) {
    const bool delivered = records.size() < 8;
    records.push_back(
        attempt_outcome(job, delivered ? DeliveryStatus::succeeded : DeliveryStatus::pending, kNow,
                        delivered ? 204 : 500));
    records.back().next_attempt_at = kNow + 1000;
  }
  records.back().new_status = DeliveryStatus::dead;
  const UpdateCounts before = wait_for_update_counts(conn, 0);
  ASSERT_TRUE(store->complete_attempts("w", records, kNow));
  store.reset();  // its sessions end and report their statistics now

  const UpdateCounts after = wait_for_update_counts(conn, before.updates + 10);
  EXPECT_EQ(after.updates - before.updates, 10);
  EXPECT_EQ(after.hot - before.hot, 9);
}

}  // namespace
}  // namespace axon::test
