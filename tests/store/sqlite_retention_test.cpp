// SQLite-only retention and counter behaviour: the counters migration counts the rows
// already stored, a purge leaves no orphans, and freed pages are reused or handed back.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>

#include "store/sqlite/sqlite_schema.hpp"
#include "store/store.hpp"
#include "support/sqlite_store.hpp"
#include "support/temp_dir.hpp"

namespace axon::test {
namespace {

constexpr Millis kNow = 1'764'000'000'000;

// Rows of an older schema: 3 events, 6 deliveries (2 pending, 3 succeeded, 1 dead), 4 attempts.
constexpr const char* kOldRows = R"sql(
INSERT INTO tenants VALUES ('ten_1', 'acme', 0);
INSERT INTO events (id, tenant_id, type, payload, deliveries, created_at) VALUES
  ('evt_1', 'ten_1', 'a.b', '{}', 2, 1000), ('evt_2', 'ten_1', 'a.b', '{}', 2, 2000),
  ('evt_3', 'ten_1', 'a.b', '{}', 2, 3000);
INSERT INTO deliveries (id, tenant_id, event_id, endpoint_id, event_type, status,
                        next_attempt_at, claimable_at, created_at, updated_at) VALUES
  ('dlv_1', 'ten_1', 'evt_1', 'ep_1', 'a.b', 'succeeded', 0, NULL, 1000, 1000),
  ('dlv_2', 'ten_1', 'evt_1', 'ep_2', 'a.b', 'dead', 0, NULL, 1000, 1000),
  ('dlv_3', 'ten_1', 'evt_2', 'ep_1', 'a.b', 'succeeded', 0, NULL, 2000, 2000),
  ('dlv_4', 'ten_1', 'evt_2', 'ep_2', 'a.b', 'pending', 0, 0, 2000, 2000),
  ('dlv_5', 'ten_1', 'evt_3', 'ep_1', 'a.b', 'succeeded', 0, NULL, 3000, 3000),
  ('dlv_6', 'ten_1', 'evt_3', 'ep_2', 'a.b', 'pending', 99999999999999, 99999999999999,
   3000, 3000);
INSERT INTO attempts (delivery_id, n, started_at) VALUES
  ('dlv_1', 1, 1000), ('dlv_2', 1, 1000), ('dlv_2', 2, 1100), ('dlv_3', 1, 2000);
)sql";

// A raw connection for setting up old schemas and looking behind the store's back.
class RawDb {
 public:
  explicit RawDb(const std::string& path) { sqlite3_open(path.c_str(), &db_); }
  ~RawDb() { sqlite3_close(db_); }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;
  void exec(const std::string& sql) {
    char* error = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
      std::string message = error ? error : "?";
      sqlite3_free(error);
      throw std::runtime_error("sqlite: " + message);
    }
  }
  std::int64_t scalar(const std::string& sql) {
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr);
    std::int64_t value = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    return value;
  }

 private:
  sqlite3* db_ = nullptr;
};

// Applies the migrations older than the first one containing `marker`, as an older build did.
void migrate_to_before(RawDb& db, const std::string& marker) {
  db.exec("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER)");
  auto all = sqlite::migrations();
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (std::string(all[i]).find(marker) != std::string::npos) return;
    db.exec(all[i]);
    db.exec("INSERT INTO schema_migrations VALUES (" + std::to_string(i + 1) + ", 0)");
  }
  throw std::runtime_error("no migration contains " + marker);
}

void migrate_to_before_counters(RawDb& db) { migrate_to_before(db, "CREATE TABLE delivery_counts"); }

// The counters in delivery_counts against the rows, status by status.
void expect_counts_match_rows(RawDb& raw) {
  for (const std::string status : {"pending", "succeeded", "dead"}) {
    EXPECT_EQ(raw.scalar("SELECT n FROM delivery_counts WHERE status = '" + status + "'"),
              raw.scalar("SELECT count(*) FROM deliveries WHERE status = '" + status + "'"))
        << status;
  }
}

}  // namespace

TEST(SqliteRetention, MigrationCountsExistingRowsAndPurgeLeavesNoOrphans) {
  TempDir dir;
  const std::string path = dir.file("old.db");
  RawDb raw(path);
  migrate_to_before_counters(raw);
  raw.exec(kOldRows);

  auto store = open_migrated_sqlite_store(path);
  auto counts = store->delivery_counts(kNow);
  ASSERT_TRUE(counts) << counts.error().message;
  EXPECT_EQ(counts->pending_due, 1);  // dlv_4; dlv_6 waits for a far retry
  EXPECT_EQ(counts->pending_scheduled, 1);
  EXPECT_EQ(counts->succeeded, 3);
  EXPECT_EQ(counts->dead, 1);

  auto step = store->purge_finished_events(kNow, std::nullopt, 100);
  ASSERT_TRUE(step) << step.error().message;
  EXPECT_EQ(step->events, 1);  // evt_1; the others have a pending delivery
  EXPECT_EQ(step->deliveries, 2);
  EXPECT_EQ(step->attempts, 3);
  EXPECT_EQ(raw.scalar("SELECT count(*) FROM attempts a WHERE NOT EXISTS"
                       " (SELECT 1 FROM deliveries d WHERE d.id = a.delivery_id)"),
            0);
  EXPECT_EQ(raw.scalar("SELECT count(*) FROM deliveries d WHERE NOT EXISTS"
                       " (SELECT 1 FROM events v WHERE v.id = d.event_id)"),
            0);
  EXPECT_EQ(raw.scalar("SELECT count(*) FROM events"), 2);
  EXPECT_EQ(raw.scalar("SELECT n FROM delivery_counts WHERE status = 'succeeded'"), 2);
  EXPECT_EQ(raw.scalar("SELECT n FROM delivery_counts WHERE status = 'dead'"), 0);
}

// Rows counted by the old triggers stay counted once the statements keep the counters: an
// outcome, an ingest, a replay and an endpoint deletion after the migration move them in step.
TEST(SqliteRetention, CountsInStatementsMigrationKeepsEarlierCountsInStep) {
  TempDir dir;
  const std::string path = dir.file("old.db");
  RawDb raw(path);
  migrate_to_before(raw, "DROP TRIGGER IF EXISTS deliveries_count_insert");
  raw.exec(kOldRows);  // counted by the triggers of the older schema
  raw.exec(
      "INSERT INTO endpoints (id, tenant_id, url, secret_sealed, created_at, updated_at) VALUES"
      " ('ep_1', 'ten_1', 'https://a.example/', 's', 0, 0),"
      " ('ep_2', 'ten_1', 'https://b.example/', 's', 0, 0)");

  auto store = open_migrated_sqlite_store(path);
  EXPECT_EQ(raw.scalar("SELECT count(*) FROM sqlite_master WHERE type = 'trigger'"
                       " AND name IN ('deliveries_count_insert', 'deliveries_count_status')"),
            0);
  expect_counts_match_rows(raw);

  auto jobs = store->claim_due("w", kNow, 60'000, 10);  // dlv_4, due
  ASSERT_TRUE(jobs) << jobs.error().message;
  ASSERT_EQ(jobs->size(), 1u);
  AttemptRecord done;
  done.delivery_id = (*jobs)[0].delivery_id;
  done.endpoint_id = (*jobs)[0].endpoint_id;
  done.attempt.n = (*jobs)[0].attempt;
  done.attempt.started_at = kNow;
  done.attempt.status_code = 200;
  done.new_status = DeliveryStatus::succeeded;
  ASSERT_TRUE(store->complete_attempts("w", std::span(&done, 1), kNow));
  expect_counts_match_rows(raw);
  EXPECT_EQ(raw.scalar("SELECT n FROM delivery_counts WHERE status = 'succeeded'"), 4);

  int seq = 0;
  NewEvent ev{"evt_9", "ten_1", "a.b", "{}", std::nullopt, kNow};
  ASSERT_TRUE(store->ingest_event(ev, kNow, [&] { return "dlv_new" + std::to_string(++seq); }));
  EXPECT_EQ(raw.scalar("SELECT n FROM delivery_counts WHERE status = 'pending'"), 3);
  expect_counts_match_rows(raw);

  ASSERT_TRUE(store->replay_delivery("ten_1", "dlv_2", kNow));  // dead -> pending
  expect_counts_match_rows(raw);
  ASSERT_TRUE(store->delete_endpoint("ten_1", "ep_2"));  // its pending ones -> dead
  expect_counts_match_rows(raw);
  EXPECT_EQ(raw.scalar("SELECT n FROM delivery_counts WHERE status = 'dead'"), 3);
  ASSERT_TRUE(store->delete_tenant("ten_1"));  // cascades: the delete trigger counts them
  EXPECT_EQ(raw.scalar("SELECT sum(n) FROM delivery_counts"), 0);
}

TEST(SqliteRetention, FreedPagesAreReusedAndTheSurplusHandedBack) {
  TempDir dir;
  const std::string path = dir.file("pages.db");
  auto store = open_migrated_sqlite_store(path);
  ASSERT_TRUE(store->create_tenant(Tenant{"ten_1", "acme", 0}));
  // Events without endpoints: finished at once, so all of them are purgeable.
  const std::string data(2000, 'x');
  auto ingest_round = [&](int round) {
    for (int i = 0; i < 1000; ++i) {
      NewEvent ev;
      ev.id = "evt_" + std::to_string(round) + "_" + std::to_string(100000 + i);
      ev.tenant_id = "ten_1";
      ev.type = "a.b";
      ev.payload = R"({"data":")" + data + R"("})";
      ev.created_at = kNow;
      ASSERT_TRUE(store->ingest_event(ev, kNow, [] { return std::string("unused"); }));
    }
  };
  auto purge_all = [&] {
    std::optional<EventCursor> cursor;
    do {
      auto step = store->purge_finished_events(kNow + 1, cursor, 100);
      ASSERT_TRUE(step) << step.error().message;
      cursor = step->next;
    } while (cursor);
  };
  RawDb raw(path);
  EXPECT_EQ(raw.scalar("PRAGMA auto_vacuum"), 2);  // a new database is incremental
  ingest_round(1);
  const auto full = raw.scalar("PRAGMA page_count");
  purge_all();
  EXPECT_GT(raw.scalar("PRAGMA freelist_count"), full / 2);
  // Refilling reuses the free pages: the file does not grow.
  ingest_round(2);
  EXPECT_LE(raw.scalar("PRAGMA page_count"), full + full / 10);
  purge_all();
  // Reclaiming hands back free pages beyond a quarter of the file, in bounded steps.
  for (int i = 0; i < 100 && raw.scalar("PRAGMA freelist_count") >
                                 raw.scalar("PRAGMA page_count") / 4 + 1;
       ++i) {
    ASSERT_TRUE(store->reclaim_space());
  }
  EXPECT_LE(raw.scalar("PRAGMA freelist_count"), raw.scalar("PRAGMA page_count") / 4 + 1);
  EXPECT_LT(raw.scalar("PRAGMA page_count"), full / 2);
  auto bytes = store->storage_bytes();
  ASSERT_TRUE(bytes);
  EXPECT_GT(*bytes, 0);
}

}  // namespace axon::test
