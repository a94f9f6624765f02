// Migration kQueueRowsByKey (store/postgres/pg_migrations_queue.cpp): outcome batches
// recorded on deliveries queued under the schema before it still finish, retry and leave
// other nodes' leases alone; and they reach their queue rows by key even when the planner's
// statistics say the queue is nearly empty while it holds thousands of rows (what a VACUUM
// leaves behind), counted as index entries read, not timed.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "store/postgres/pg_connection.hpp"
#include "store/postgres/pg_schema.hpp"
#include "support/pg_server.hpp"

namespace axon::test {
namespace {

constexpr Millis kNow = 1'764'000'000'000;
constexpr int kBacklog = 20'000;

// ten_1's endpoint ep_a has kBacklog pending deliveries, queued by the schema before the
// migration: dlv_00001..dlv_00100 leased by node-1, dlv_00101 by node-2, the rest due and
// free. Autovacuum is off on the queue so that nothing corrects the statistics the test leaves.
constexpr const char* kOldRows = R"sql(
INSERT INTO axon.tenants VALUES ('ten_1', 'acme', 0);
INSERT INTO axon.endpoints (id, tenant_id, url, secret_sealed, created_at, updated_at)
VALUES ('ep_a', 'ten_1', 'http://127.0.0.1:9/a', 'sealed', 0, 0);
INSERT INTO axon.events (id, tenant_id, type, payload, idempotency_key, deliveries, created_at)
VALUES ('evt_1', 'ten_1', 'a.b', '{"n":1}', NULL, 20000, 1763999940000);
INSERT INTO axon.deliveries (id, tenant_id, event_id, endpoint_id, event_type, status, attempts,
                             series_start, next_attempt_at, created_at, updated_at)
SELECT 'dlv_' || lpad(i::text, 5, '0'), 'ten_1', 'evt_1', 'ep_a', 'a.b', 'pending', 0, 0,
       1763999940000, 0, 0
  FROM generate_series(1, 20000) AS i;
INSERT INTO axon.queue (delivery_id, tenant_id, endpoint_id, due_at, lease_owner,
                        lease_expires_at)
SELECT 'dlv_' || lpad(i::text, 5, '0'), 'ten_1', 'ep_a', 1763999940000,
       CASE WHEN i <= 100 THEN 'node-1' WHEN i = 101 THEN 'node-2' END,
       CASE WHEN i <= 101 THEN 1764000030000 END
  FROM generate_series(1, 20000) AS i;
ALTER TABLE axon.queue SET (autovacuum_enabled = false);
)sql";

// Outcomes of dlv_00001..dlv_00099 (delivered), dlv_00100 (retry at kNow + 60 s) and
// dlv_00101 (delivered, but node-2 holds its lease) as node-1 records them.
std::string outcome_records() {
  nlohmann::json rows = nlohmann::json::array();
  for (int i = 1; i <= 101; ++i) {
    char id[16];
    std::snprintf(id, sizeof id, "dlv_%05d", i);
    rows.push_back({{"ord", i},
                    {"delivery_id", id},
                    {"n", 1},
                    {"started_at", kNow},
                    {"duration_ms", 3},
                    {"status_code", i == 100 ? 503 : 204},
                    {"error", ""},
                    {"error_message", ""},
                    {"response_excerpt", ""},
                    {"new_status", i == 100 ? "pending" : "succeeded"},
                    {"next_attempt_at", kNow + 60'000},
                    {"disable_endpoint", false},
                    {"disable_reason", nullptr}});
  }
  return rows.dump();
}

// Entries of the queue's primary key read by this session's open transaction so far.
std::int64_t pkey_entries_read_here(pg::PgConnection& session) {
  return pg_scalar(session, "SELECT pg_stat_get_xact_tuples_returned('axon.queue_pkey'::regclass)");
}

TEST(PgQueueOutcomesByKey, OutcomesFindTheirQueueRowsByKeyWhateverTheStatistics) {
  PgServer* server = PgServer::shared();
  ASSERT_NE(server, nullptr);
  ASSERT_GT(pg::queue_rows_by_key_schema_version(), 0);
  const std::string url =
      database_before(*server, pg::queue_rows_by_key_schema_version(), kOldRows);
  {
    pg::PgConnection migrating(url);
    pg::run_migrations(migrating);
  }
  pg::PgConnection conn(url);
  // The statistics a busy node leaves: a VACUUM found the queue empty (and kept its pages,
  // as QueueVacuum's does), then the backlog came back. Checked: the functions of the schema
  // before read 40,000 and 20,001 entries of the primary key here.
  conn.exec("CREATE TEMPORARY TABLE backlog AS SELECT * FROM axon.queue");
  conn.exec("DELETE FROM axon.queue");
  conn.exec("VACUUM (TRUNCATE false) axon.queue");
  conn.exec("INSERT INTO axon.queue SELECT * FROM backlog");

  // A new session plans the function's statements with those statistics; the entries it
  // read are counted in its own transaction.
  pg::PgConnection node(url);
  node.exec("BEGIN");
  node.exec("SELECT axon.complete_attempts($1::json, $2::bigint, 'node-1', '[]'::json)",
            pg::Params(outcome_records(), kNow));
  const std::int64_t outcome_read = pkey_entries_read_here(node);
  node.exec("COMMIT");

  // Delivered: the queue rows gone, the deliveries succeeded with their attempt logged.
  EXPECT_EQ(pg_scalar(conn, "SELECT count(*) FROM axon.queue WHERE delivery_id <= 'dlv_00099'"), 0);
  EXPECT_EQ(pg_scalar(conn,
                      "SELECT count(*) FROM axon.deliveries "
                      "WHERE id <= 'dlv_00099' AND status = 'succeeded'"),
            99);
  EXPECT_EQ(pg_scalar(conn, "SELECT count(*) FROM axon.attempts WHERE delivery_id <= 'dlv_00099'"),
            99);
  // The retry: due again in a minute, leased by nobody.
  EXPECT_EQ(pg_scalar(conn,
                      "SELECT due_at FROM axon.queue WHERE delivery_id = 'dlv_00100' "
                      "AND lease_owner IS NULL"),
            kNow + 60'000);
  // node-2's lease is not node-1's to finish.
  EXPECT_EQ(pg_scalar(conn,
                      "SELECT count(*) FROM axon.queue WHERE delivery_id = 'dlv_00101' "
                      "AND lease_owner = 'node-2'"),
            1);
  EXPECT_EQ(pg_scalar(conn, "SELECT count(*) FROM axon.queue"), kBacklog - 99);

  // About one primary-key entry per record (a lookup may also step over a neighbour), not a
  // walk of the whole backlog.
  EXPECT_GE(outcome_read, 101);
  EXPECT_LE(outcome_read, 1'000) << "the outcome batch walked the queue's primary key";

  // The same for a claim of 100: it leases the rows it picked by key.
  pg::PgConnection other_node(url);
  other_node.exec("BEGIN");
  EXPECT_EQ(pg_scalar(other_node,
                      "SELECT count(*) FROM axon.claim_due('node-3', "
                      "1764000000000, 30000, 100, '', 16) WHERE delivery_id IS NOT NULL"),
            100);
  const std::int64_t claim_read = pkey_entries_read_here(other_node);
  other_node.exec("COMMIT");
  EXPECT_GE(claim_read, 100);
  EXPECT_LE(claim_read, 1'000) << "the claim walked the queue's primary key";
}

}  // namespace
}  // namespace axon::test
