// The dispatcher's functions (store/postgres/pg_migrations_dispatch.cpp): the migration that
// creates them on rows written by the schema before it, the one body per event a claim
// returns, and calls that leave no session state behind. Claim and outcome semantics
// themselves are in the store conformance suite.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <set>
#include <string_view>
#include <thread>

#include "store/postgres/pg_connection.hpp"
#include "store/postgres/pg_pool.hpp"
#include "store/postgres/pg_schema.hpp"
#include "support/pg_server.hpp"

namespace axon::test {
namespace {

constexpr Millis kNow = 1'764'000'000'000;
constexpr Millis kLease = 60'000;

// Written by the schema before the functions: one tenant with a parallel and a FIFO
// endpoint; evt_1's deliveries are due (dlv_2 leased by a node that stopped, its lease
// expired after one attempt), evt_2's FIFO delivery waits behind evt_1's.
constexpr const char* kOldRows = R"sql(
INSERT INTO axon.tenants VALUES ('ten_1', 'acme', 0);
INSERT INTO axon.endpoints (id, tenant_id, url, secret_sealed, created_at, updated_at, ordering)
VALUES ('ep_1', 'ten_1', 'http://127.0.0.1:9/a', 'sealed-1', 0, 0, 'parallel'),
       ('ep_2', 'ten_1', 'http://127.0.0.1:9/b', 'sealed-2', 0, 0, 'fifo');
INSERT INTO axon.events (id, tenant_id, type, payload, deliveries, created_at) VALUES
  ('evt_1', 'ten_1', 'a.b', '{"n":1}', 2, 1000), ('evt_2', 'ten_1', 'a.b', '{"n":2}', 1, 2000);
INSERT INTO axon.deliveries (id, tenant_id, event_id, endpoint_id, event_type, status, attempts,
                             next_attempt_at, lease_owner, lease_expires_at, created_at,
                             updated_at) VALUES
  ('dlv_1', 'ten_1', 'evt_1', 'ep_1', 'a.b', 'pending', 0, 1000, NULL, NULL, 1000, 1000),
  ('dlv_2', 'ten_1', 'evt_1', 'ep_2', 'a.b', 'pending', 1, 1000, 'gone-node', 5000, 1000, 1000),
  ('dlv_3', 'ten_1', 'evt_2', 'ep_2', 'a.b', 'pending', 0, 2000, NULL, NULL, 2000, 2000);
INSERT INTO axon.attempts (delivery_id, n, started_at) VALUES ('dlv_2', 1, 2000);
)sql";

AttemptRecord succeeded(const DeliveryJob& job) {
  return attempt_outcome(job, DeliveryStatus::succeeded, kNow, 204);
}

TEST(PgDispatchFunctions, MigrationKeepsPendingDeliveriesClaimableAndCompletable) {
  PgServer* server = PgServer::shared();
  ASSERT_NE(server, nullptr);
  const std::string url =
      database_before(*server, pg::dispatch_functions_schema_version(), kOldRows);
  pg::PgConnection conn(url);
  EXPECT_EQ(pg_scalar(conn, "SELECT count(*) FROM pg_proc WHERE proname = 'claim_due'"), 0);

  auto opened = open_postgres_store(url);
  ASSERT_TRUE(opened) << opened.error().message;
  Store& store = **opened;
  ASSERT_TRUE(store.migrate());

  // The expired lease is taken over; the FIFO endpoint offers only its oldest delivery.
  auto jobs = store.claim_due("node-2", kNow, kLease, 10);
  ASSERT_TRUE(jobs) << jobs.error().message;
  ASSERT_EQ(jobs->size(), 2u);
  std::map<std::string, DeliveryJob> by_id;
  for (const DeliveryJob& job : *jobs) by_id[job.delivery_id] = job;
  ASSERT_EQ(by_id.count("dlv_1"), 1u);
  ASSERT_EQ(by_id.count("dlv_2"), 1u);
  EXPECT_EQ(by_id["dlv_2"].attempt, 2);
  EXPECT_EQ(by_id["dlv_2"].ordering, Ordering::fifo);
  EXPECT_EQ(by_id["dlv_2"].url, "http://127.0.0.1:9/b");
  EXPECT_EQ(by_id["dlv_2"].lease_expires_at, kNow + kLease);
  ASSERT_TRUE(by_id["dlv_1"].payload);
  EXPECT_EQ(*by_id["dlv_1"].payload, R"({"n":1})");
  EXPECT_EQ(by_id["dlv_1"].payload, by_id["dlv_2"].payload);  // one body per event
  auto leased = store.get_delivery("ten_1", "dlv_2");
  ASSERT_TRUE(leased) << leased.error().message;
  EXPECT_EQ(leased->lease_owner, "node-2");
  EXPECT_EQ(store.get_delivery("ten_1", "dlv_1")->lease_owner, "node-2");

  const AttemptRecord outcomes[] = {succeeded(by_id["dlv_1"]), succeeded(by_id["dlv_2"])};
  ASSERT_TRUE(store.complete_attempts("node-2", outcomes, kNow));
  EXPECT_EQ(pg_scalar(conn, "SELECT count(*) FROM axon.deliveries WHERE status = 'succeeded'"), 2);
  EXPECT_EQ(pg_scalar(conn, "SELECT count(*) FROM axon.attempts"), 3);

  // The FIFO endpoint's next delivery is due now that its predecessor is done.
  auto due = store.next_due_at();
  ASSERT_TRUE(due) << due.error().message;
  EXPECT_EQ(*due, std::optional<Millis>(2000));
  auto next = store.claim_due("node-2", kNow, kLease, 10);
  ASSERT_TRUE(next) << next.error().message;
  ASSERT_EQ(next->size(), 1u);
  EXPECT_EQ((*next)[0].delivery_id, "dlv_3");
  auto counts = store.delivery_counts(kNow);
  ASSERT_TRUE(counts) << counts.error().message;
  EXPECT_EQ(counts->succeeded, 2);
  EXPECT_EQ(counts->pending_due + counts->pending_scheduled, 1);
}

// A tenant whose event's deliveries are taken in two rounds of one claim (the other tenant
// could not use its share) still gets that event's body once, shared by all its jobs.
TEST(PgDispatchFunctions, AClaimReturnsEachEventsBodyOnceAcrossRounds) {
  PgServer* server = PgServer::shared();
  ASSERT_NE(server, nullptr);
  std::string url;
  auto store = open_migrated_pg_store(*server, &url);
  Tenant busy = add_tenant(*store, kNow);
  Tenant quiet = add_tenant(*store, kNow);
  for (int i = 0; i < 3; ++i) add_endpoint(*store, busy.id, kNow);
  add_endpoint(*store, quiet.id, kNow);
  const IngestResult event = add_event(*store, busy.id, "order.created", kNow);
  add_event(*store, quiet.id, "order.created", kNow);

  // Limit 4 over two tenants: 2 each, the quiet one has 1, so a second round gives the busy
  // one its third delivery of the same event. On the wire: two bodies for two events.
  {
    pg::PgConnection conn(url);
    pg::Transaction tx(conn);  // rolled back: the store claims them below
    pg::PgResult r = tx.exec(
        "SELECT count(*), count(payload) FROM axon.claim_due('w', $1::bigint, $2::bigint, 4, "
        "'', 1024) WHERE delivery_id IS NOT NULL",
        pg::Params(kNow, kLease));
    EXPECT_EQ(r.i64(0, 0), 4);
    EXPECT_EQ(r.i64(0, 1), 2);
  }
  auto jobs = store->claim_due("w", kNow, kLease, 4);
  ASSERT_TRUE(jobs) << jobs.error().message;
  ASSERT_EQ(jobs->size(), 4u);
  std::set<const std::string*> bodies;
  int of_event = 0;
  for (const DeliveryJob& job : *jobs) {
    ASSERT_TRUE(job.payload) << job.delivery_id;
    if (job.event_id != event.event.id) continue;
    ++of_event;
    bodies.insert(job.payload.get());
  }
  EXPECT_EQ(of_event, 3);
  EXPECT_EQ(bodies.size(), 1u);
}

// A migrated database with one tenant, endpoint and due delivery.
class PgOneDueDelivery : public ::testing::Test {
 protected:
  void SetUp() override {
    PgServer* server = PgServer::shared();
    ASSERT_NE(server, nullptr) << "no PostgreSQL server";
    store = open_migrated_pg_store(*server, &url);
    Tenant t = add_tenant(*store, kNow);
    add_endpoint(*store, t.id, kNow);
    add_event(*store, t.id, "order.created", kNow);
  }
  std::string url;
  std::unique_ptr<Store> store;
};

// The functions set their planner settings for their own statements only: a pooled session
// keeps its own (a transaction-mode pooler hands it to other clients next), and nothing is
// prepared at the session level.
TEST_F(PgOneDueDelivery, CallsLeaveTheSessionsSettingsAsTheyWere) {
  pg::PgConnection conn(url);
  const char* kSettings =
      "SELECT current_setting('enable_seqscan') || current_setting('plan_cache_mode') || "
      "current_setting('jit')";
  const std::string before = conn.exec(kSettings).text(0, 0);
  pg::PgResult claimed = conn.exec(
      "SELECT * FROM axon.claim_due('w', $1::bigint, $2::bigint, 10, '', 1024)",
      pg::Params(kNow, kLease));
  ASSERT_EQ(claimed.rows(), 2);  // the cursor row and the delivery
  EXPECT_EQ(conn.exec(kSettings).text(0, 0), before);
  EXPECT_EQ(pg_scalar(conn, "SELECT count(*) FROM pg_prepared_statements"), 0);
}

// Sends a marker notification from another session, then counts the notifications `conn`
// (which LISTENs) receives before it; they arrive in commit order. -1 if no marker in 10 s.
int notifications_before_marker(pg::PgConnection& conn, const std::string& url) {
  pg::PgConnection(url).exec_script("NOTIFY axon_work, 'marker'");
  int count = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    PQconsumeInput(conn.raw());
    while (PGnotify* n = PQnotifies(conn.raw())) {
      const bool marker = std::string_view(n->extra) == "marker";
      PQfreemem(n);
      if (marker) return count;
      ++count;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return -1;
}

// A hand-back is one autocommit statement that wakes the other processes (NOTIFY
// axon_work) when, and only when, it gave a lease back.
TEST_F(PgOneDueDelivery, AHandBackWakesOtherProcessesWhenItReleasedALease) {
  auto jobs = store->claim_due("w", kNow, kLease, 10);
  ASSERT_TRUE(jobs) << jobs.error().message;
  ASSERT_EQ(jobs->size(), 1u);
  pg::PgConnection listener(url);
  listener.exec_script("LISTEN axon_work");

  const std::string ids[] = {(*jobs)[0].delivery_id};
  ASSERT_TRUE(store->release_deliveries("w", ids, kNow + 1));
  ASSERT_TRUE(store->release_deliveries("w", ids, kNow + 1));  // no longer ours: no-op
  EXPECT_EQ(notifications_before_marker(listener, url), 1);

  auto again = store->claim_due("w2", kNow + 1, kLease, 10);
  ASSERT_TRUE(again) << again.error().message;
  ASSERT_EQ(again->size(), 1u);
  ASSERT_TRUE(store->release_leases("w2"));
  ASSERT_TRUE(store->release_leases("w2"));  // nothing left to release
  EXPECT_EQ(notifications_before_marker(listener, url), 1);
}

}  // namespace
}  // namespace axon::test
