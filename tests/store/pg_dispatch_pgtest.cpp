// PostgreSQL-only checks of the dispatcher path's statements (claim_due planned per call with
// index-only plans, complete_attempts as one statement): large batches, a FIFO endpoint
// among parallel ones, mixed outcomes in one batch, and no session state left behind (for
// transaction-mode poolers). The Store semantics themselves are in the conformance suite.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "store/postgres/pg_connection.hpp"
#include "store/postgres/pg_pool.hpp"
#include "store/postgres/pg_schema.hpp"
#include "support/pg_server.hpp"

namespace axon::test {
namespace {

constexpr Millis kNow = 1'764'000'000'000;
constexpr Millis kLease = 60'000;

// The version of the migration that adds deliveries_claimable_by_tenant.
int claim_by_tenant_version() {
  for (const pg::Migration& m : pg::migrations()) {
    if (m.sql.find("CREATE INDEX deliveries_claimable_by_tenant") != std::string_view::npos) {
      return m.version;
    }
  }
  throw std::runtime_error("no migration adds deliveries_claimable_by_tenant");
}

class PgDispatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = PgServer::shared();
    ASSERT_NE(server_, nullptr) << "no PostgreSQL server";
    store_ = open_migrated_pg_store(*server_, &url_);
  }

  std::string setting(pg::PgConnection& conn, const char* name) {
    return conn.exec(std::string("SELECT current_setting('") + name + "')").text(0, 0);
  }

  AttemptRecord outcome(const DeliveryJob& job, DeliveryStatus status, int code) {
    AttemptRecord rec;
    rec.delivery_id = job.delivery_id;
    rec.endpoint_id = job.endpoint_id;
    rec.attempt.n = job.attempt;
    rec.attempt.started_at = kNow + 1;
    rec.attempt.status_code = code;
    rec.new_status = status;
    rec.next_attempt_at = status == DeliveryStatus::pending ? kNow + 10'000 : 0;
    return rec;
  }

  PgServer* server_ = nullptr;
  std::string url_;
  std::unique_ptr<Store> store_;
};

// A transaction-mode pooler hands one server session to many clients between transactions:
// JIT is off inside ours, and nothing of ours (a SET, a named prepared statement) outlives it.
TEST_F(PgDispatchTest, TransactionsRunWithoutJitAndLeaveNoSessionState) {
  pg::PgConnection conn(url_);
  const std::string session_jit = setting(conn, "jit");
  {
    pg::Transaction tx(conn);
    EXPECT_EQ(setting(conn, "jit"), "off");
    tx.exec("SELECT count(*) FROM axon.deliveries WHERE status = $1", pg::Params("pending"));
    tx.commit();
  }
  EXPECT_EQ(setting(conn, "jit"), session_jit);
  EXPECT_EQ(conn.exec("SELECT count(*) FROM pg_prepared_statements").i64(0, 0), 0);
}

TEST_F(PgDispatchTest, DrainsALargeBacklogInBigBatchesOldestFirstAndOnce) {
  Tenant t = add_tenant(*store_, kNow);
  add_endpoint(*store_, t.id, kNow);
  add_endpoint(*store_, t.id, kNow);
  Endpoint fifo = add_endpoint(*store_, t.id, kNow, {.ordering = Ordering::fifo});
  constexpr int kEvents = 400;  // 1,200 deliveries, 400 of them on the FIFO endpoint
  for (int i = 0; i < kEvents; ++i) add_event(*store_, t.id, "order.created", kNow);

  std::set<std::string> seen;
  std::string last_fifo;
  int fifo_done = 0;
  for (int round = 0; round < 1000; ++round) {
    auto jobs = store_->claim_due("me", kNow + round, kLease, 512);
    ASSERT_TRUE(jobs.has_value()) << jobs.error().message;
    if (jobs->empty()) break;
    int fifo_in_batch = 0;
    std::vector<AttemptRecord> records;
    for (const DeliveryJob& job : *jobs) {
      EXPECT_TRUE(seen.insert(job.delivery_id).second) << "claimed twice: " << job.delivery_id;
      EXPECT_FALSE(job.payload->empty());
      if (job.endpoint_id == fifo.id) {
        ++fifo_in_batch;
        EXPECT_GT(job.delivery_id, last_fifo) << "FIFO out of creation order";
        last_fifo = job.delivery_id;
      }
      records.push_back(outcome(job, DeliveryStatus::succeeded, 204));
    }
    EXPECT_LE(fifo_in_batch, 1) << "a FIFO endpoint had two deliveries in flight";
    fifo_done += fifo_in_batch;
    ASSERT_TRUE(store_->complete_attempts("me", records, kNow + round).has_value());
  }
  EXPECT_EQ(seen.size(), 3u * kEvents);
  EXPECT_EQ(fifo_done, kEvents);
  auto counts = store_->delivery_counts(kNow + 5'000);
  ASSERT_TRUE(counts.has_value());
  EXPECT_EQ(counts->succeeded, 3 * kEvents);
  EXPECT_EQ(counts->pending_due + counts->pending_scheduled, 0);
}

// The claim-by-tenant migration and the ones after it, run again on rows written before
// them: the index is built over them (and dropped again once the queue replaced it), and a
// claim of 2 takes one delivery of each tenant although one tenant's are older.
TEST_F(PgDispatchTest, ClaimByTenantMigrationKeepsEarlierDeliveriesClaimable) {
  {
    pg::PgConnection conn(url_);
    // Back to the schema before the migration that adds the index (later migrations are
    // written to run again). The delivery queue migration has dropped it already.
    conn.exec("DROP INDEX IF EXISTS axon.deliveries_claimable_by_tenant");
    conn.exec("DELETE FROM axon.schema_migrations WHERE version >= $1",
              pg::Params(claim_by_tenant_version()));
  }
  Tenant a = add_tenant(*store_, kNow);
  Tenant b = add_tenant(*store_, kNow);
  add_endpoint(*store_, a.id, kNow);
  add_endpoint(*store_, b.id, kNow);
  for (int i = 0; i < 3; ++i) add_event(*store_, a.id, "order.created", kNow - 10 + i);
  for (int i = 0; i < 3; ++i) add_event(*store_, b.id, "order.created", kNow + i);
  ASSERT_TRUE(store_->migrate().has_value());
  {
    pg::PgConnection conn(url_);
    // The claim reads axon.queue, whose migration drops the index again.
    EXPECT_EQ(conn.exec("SELECT count(*) FROM pg_indexes"
                        " WHERE indexname = 'deliveries_claimable_by_tenant'")
                  .i64(0, 0),
              0);
    EXPECT_EQ(conn.exec("SELECT count(*) FROM axon.queue").i64(0, 0), 6);
  }
  auto jobs = store_->claim_due("w", kNow + 10, kLease, 2);
  ASSERT_TRUE(jobs.has_value()) << jobs.error().message;
  ASSERT_EQ(jobs->size(), 2u);
  EXPECT_NE((*jobs)[0].tenant_id, (*jobs)[1].tenant_id);
}

TEST_F(PgDispatchTest, OneBatchMixesOutcomesEndpointsStaleLeasesAndUnknownDeliveries) {
  Tenant t = add_tenant(*store_, kNow);
  Endpoint ok = add_endpoint(*store_, t.id, kNow);
  Endpoint gone = add_endpoint(*store_, t.id, kNow);
  for (int i = 0; i < 3; ++i) add_event(*store_, t.id, "order.created", kNow);
  auto jobs = store_->claim_due("me", kNow, kLease, 100);
  ASSERT_TRUE(jobs.has_value());
  ASSERT_EQ(jobs->size(), 6u);
  std::map<std::string, std::vector<DeliveryJob>> by_endpoint;
  for (const auto& job : *jobs) by_endpoint[job.endpoint_id].push_back(job);
  ASSERT_EQ(by_endpoint[ok.id].size(), 3u);
  ASSERT_EQ(by_endpoint[gone.id].size(), 3u);

  // One delivery's lease is given back and taken by another owner before we report.
  const DeliveryJob& stolen = by_endpoint[ok.id][2];
  ASSERT_TRUE(store_->release_deliveries("me", {{stolen.delivery_id}}, kNow).has_value());
  auto other = store_->claim_due("other", kNow + 1, kLease, 100);
  ASSERT_TRUE(other.has_value());
  ASSERT_EQ(other->size(), 1u);

  std::vector<AttemptRecord> records;
  records.push_back(outcome(by_endpoint[ok.id][0], DeliveryStatus::succeeded, 204));
  records.push_back(outcome(by_endpoint[ok.id][1], DeliveryStatus::pending, 500));
  records.push_back(outcome(stolen, DeliveryStatus::dead, 500));
  AttemptRecord unknown = outcome(by_endpoint[ok.id][0], DeliveryStatus::succeeded, 204);
  unknown.delivery_id = "dlv_NOSUCHDELIVERY";
  records.push_back(unknown);
  AttemptRecord first_410 = outcome(by_endpoint[gone.id][0], DeliveryStatus::dead, 410);
  first_410.disable_endpoint = true;
  first_410.disable_reason = "410 Gone";
  records.push_back(first_410);
  records.push_back(outcome(by_endpoint[gone.id][1], DeliveryStatus::dead, 410));
  ASSERT_TRUE(store_->complete_attempts("me", records, kNow + 2).has_value());

  auto get = [&](const std::string& id) {
    auto d = store_->get_delivery(t.id, id);
    EXPECT_TRUE(d.has_value());
    return d.value_or(Delivery{});
  };
  EXPECT_EQ(get(by_endpoint[ok.id][0].delivery_id).status, DeliveryStatus::succeeded);
  Delivery retry = get(by_endpoint[ok.id][1].delivery_id);
  EXPECT_EQ(retry.status, DeliveryStatus::pending);
  EXPECT_EQ(retry.next_attempt_at, kNow + 10'000);
  EXPECT_FALSE(retry.lease_owner.has_value());
  // Not ours any more: the attempt is logged, the outcome is not applied.
  Delivery s = get(stolen.delivery_id);
  EXPECT_EQ(s.status, DeliveryStatus::pending);
  EXPECT_EQ(s.lease_owner, "other");
  EXPECT_EQ(s.attempt_log.size(), 1u);
  EXPECT_EQ(get(by_endpoint[gone.id][0].delivery_id).status, DeliveryStatus::dead);
  // The third delivery of the disabled endpoint was not reported: still leased by us.
  EXPECT_EQ(get(by_endpoint[gone.id][2].delivery_id).lease_owner, "me");

  auto e_ok = store_->get_endpoint(t.id, ok.id);
  ASSERT_TRUE(e_ok.has_value());
  EXPECT_FALSE(e_ok->disabled);
  auto e_gone = store_->get_endpoint(t.id, gone.id);
  ASSERT_TRUE(e_gone.has_value());
  EXPECT_TRUE(e_gone->disabled);
  EXPECT_EQ(e_gone->disabled_reason, "410 Gone");
}

}  // namespace
}  // namespace axon::test
