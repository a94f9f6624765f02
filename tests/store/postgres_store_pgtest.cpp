// PostgreSQL-only behaviour of PostgresStore: concurrent migrations, several processes
// (store instances) sharing the work, LISTEN/NOTIFY wake-ups, surviving a server restart.
// The Store semantics common to both backends are in the conformance suite.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include "store/postgres/pg_connection.hpp"
#include "store/postgres/pg_schema.hpp"
#include "store/store_conformance.hpp"
#include "support/pg_server.hpp"

namespace axon::test {
namespace {

using namespace std::chrono_literals;
constexpr Millis kNow = 1'764'000'000'000;

// Counts work-callback calls; lets a test wait (with a deadline) for the count to grow.
class WakeCounter {
 public:
  std::function<void()> callback() {
    return [this] {
      std::lock_guard lock(mu_);
      ++count_;
      cv_.notify_all();
    };
  }
  int count() {
    std::lock_guard lock(mu_);
    return count_;
  }
  bool wait_above(int n, std::chrono::milliseconds timeout = 10s) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return count_ > n; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int count_ = 0;
};

class PostgresStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = PgServer::shared();
    ASSERT_NE(server_, nullptr) << "no PostgreSQL server";
    store_ = open_migrated_pg_store(*server_, &url_);
  }
  // A second store on the same database: another process, as far as the database sees.
  std::unique_ptr<Store> open_second() {
    auto other = open_postgres_store(url_);
    EXPECT_TRUE(other.has_value());
    return std::move(*other);
  }
  std::vector<int> schema_versions() {
    pg::PgConnection conn(url_);
    pg::PgResult r = conn.exec("SELECT version FROM axon.schema_migrations ORDER BY version");
    std::vector<int> out;
    for (int row = 0; row < r.rows(); ++row) out.push_back(r.i32(row, 0));
    return out;
  }

  PgServer* server_ = nullptr;
  std::string url_;
  std::unique_ptr<Store> store_;
};

std::vector<int> all_versions() {
  std::vector<int> out;
  for (int v = 1; v <= pg::latest_schema_version(); ++v) out.push_back(v);
  return out;
}

TEST_F(PostgresStoreTest, MigrateTwiceAppliesEachVersionOnce) {
  ASSERT_TRUE(store_->migrate().has_value());
  ASSERT_TRUE(store_->migrate().has_value());
  EXPECT_EQ(schema_versions(), all_versions());
}

TEST_F(PostgresStoreTest, ConcurrentMigrationsOnAFreshDatabaseAreSafe) {
  url_ = server_->create_database();
  std::vector<std::unique_ptr<Store>> stores;
  for (int i = 0; i < 3; ++i) stores.push_back(open_second());
  std::vector<Result<void>> results(3);
  std::vector<std::thread> threads;
  for (int i = 0; i < 3; ++i) {
    threads.emplace_back([&, i] { results[i] = stores[i]->migrate(); });
  }
  for (auto& t : threads) t.join();
  for (const auto& r : results) EXPECT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(schema_versions(), all_versions());
  // And the schema works from every one of them.
  Tenant t = add_tenant(*stores[0], kNow);
  EXPECT_TRUE(stores[2]->get_tenant(t.id).has_value());
}

TEST_F(PostgresStoreTest, TwoStoresClaimingConcurrentlyNeverGetTheSameDelivery) {
  Tenant t = add_tenant(*store_, kNow);
  add_endpoint(*store_, t.id, kNow);
  add_endpoint(*store_, t.id, kNow);
  constexpr int kEvents = 150;  // 300 deliveries
  for (int i = 0; i < kEvents; ++i) add_event(*store_, t.id, "order.created", kNow);

  auto other = open_second();
  std::mutex mu;
  std::vector<std::string> claimed;
  std::atomic<int> errors{0};
  auto worker = [&](Store& store, std::string owner) {
    for (;;) {
      auto jobs = store.claim_due(owner, kNow + 1, 60'000, 7);
      if (!jobs) {
        ++errors;
        return;
      }
      if (jobs->empty()) return;
      std::lock_guard lock(mu);
      for (const auto& job : *jobs) claimed.push_back(job.delivery_id);
    }
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < 2; ++i) {
    threads.emplace_back(worker, std::ref(*store_), "a" + std::to_string(i));
    threads.emplace_back(worker, std::ref(*other), "b" + std::to_string(i));
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(errors.load(), 0);
  std::set<std::string> unique(claimed.begin(), claimed.end());
  EXPECT_EQ(unique.size(), claimed.size()) << "a delivery was leased twice";
  EXPECT_EQ(claimed.size(), 2u * kEvents);
}

TEST_F(PostgresStoreTest, ConcurrentIngestsWithOneIdempotencyKeyCreateOneEvent) {
  Tenant t = add_tenant(*store_, kNow);
  add_endpoint(*store_, t.id, kNow);
  auto other = open_second();
  constexpr int kThreads = 6;
  std::vector<Result<IngestResult>> results(kThreads, fail(Errc::internal, "not run"));
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    Store& store = i % 2 ? *other : *store_;
    threads.emplace_back([&, i] {
      NewEvent ev;
      ev.id = test_id("evt_");
      ev.tenant_id = t.id;
      ev.type = "order.created";
      ev.payload = "{}";
      ev.idempotency_key = "same-key";
      ev.created_at = kNow;
      results[i] = store.ingest_event(ev, kNow, [] { return test_id("dlv_"); });
    });
  }
  for (auto& th : threads) th.join();
  std::set<std::string> ids;
  int created = 0;
  for (const auto& r : results) {
    ASSERT_TRUE(r.has_value()) << r.error().message;
    ids.insert(r->event.id);
    if (!r->replayed) ++created;
  }
  EXPECT_EQ(created, 1);
  EXPECT_EQ(ids.size(), 1u);
  auto deliveries = store_->list_deliveries(t.id, {}, {});
  ASSERT_TRUE(deliveries.has_value());
  EXPECT_EQ(deliveries->items.size(), 1u);
}

TEST_F(PostgresStoreTest, FifoEndpointHasOneDeliveryLeasedAcrossStores) {
  Tenant t = add_tenant(*store_, kNow);
  EndpointSpec spec;
  spec.ordering = Ordering::fifo;
  Endpoint fifo = add_endpoint(*store_, t.id, kNow, spec);
  std::vector<std::string> events;
  for (int i = 0; i < 3; ++i) events.push_back(add_event(*store_, t.id, "a.b", kNow).event.id);
  auto other = open_second();

  auto first = store_->claim_due("a", kNow, 60'000, 10);
  ASSERT_TRUE(first.has_value());
  ASSERT_EQ(first->size(), 1u);
  EXPECT_EQ((*first)[0].event_id, events[0]);
  EXPECT_EQ((*first)[0].ordering, Ordering::fifo);
  auto none = other->claim_due("b", kNow, 60'000, 10);
  ASSERT_TRUE(none.has_value());
  EXPECT_TRUE(none->empty()) << "a second delivery of a fifo endpoint was leased";

  AttemptRecord done;
  done.delivery_id = (*first)[0].delivery_id;
  done.endpoint_id = fifo.id;
  done.attempt.n = 1;
  done.attempt.started_at = kNow;
  done.attempt.status_code = 200;
  done.new_status = DeliveryStatus::succeeded;
  ASSERT_TRUE(store_->complete_attempts("a", std::span(&done, 1), kNow + 5).has_value());

  auto second = other->claim_due("b", kNow + 5, 60'000, 10);
  ASSERT_TRUE(second.has_value());
  ASSERT_EQ(second->size(), 1u);
  EXPECT_EQ((*second)[0].event_id, events[1]);
}

TEST_F(PostgresStoreTest, NotifyFromAnotherStoreWakesTheWorkCallback) {
  WakeCounter wakes;
  store_->set_work_callback(wakes.callback());
  // The listener calls back once when it (re)connects; after that it is listening.
  ASSERT_TRUE(wakes.wait_above(0));
  const int before = wakes.count();
  auto other = open_second();
  Tenant t = add_tenant(*other, kNow);
  add_endpoint(*other, t.id, kNow);
  add_event(*other, t.id, "order.created", kNow);
  EXPECT_TRUE(wakes.wait_above(before)) << "no wake-up within 10 s";
  store_->set_work_callback(nullptr);
}

TEST_F(PostgresStoreTest, DuplicateIdIsConflictAndMissingRowIsNotFound) {
  Tenant t = add_tenant(*store_, kNow);
  auto again = store_->create_tenant(t);
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, Errc::conflict);
  auto missing = store_->get_tenant("ten_missing");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, Errc::not_found);
}

TEST_F(PostgresStoreTest, ResponseExcerptWithInvalidUtf8AndNulIsStored) {
  Tenant t = add_tenant(*store_, kNow);
  Endpoint ep = add_endpoint(*store_, t.id, kNow);
  add_event(*store_, t.id, "a.b", kNow);
  auto jobs = store_->claim_due("w", kNow, 60'000, 1);
  ASSERT_TRUE(jobs.has_value());
  ASSERT_EQ(jobs->size(), 1u);
  AttemptRecord rec;
  rec.delivery_id = (*jobs)[0].delivery_id;
  rec.endpoint_id = ep.id;
  rec.attempt.n = 1;
  rec.attempt.started_at = kNow;
  rec.attempt.status_code = 500;
  rec.attempt.error = "http";
  rec.attempt.response_excerpt = std::string("ok\0bad\xff\xfe caf\xc3\xa9", 15);
  rec.new_status = DeliveryStatus::pending;
  rec.next_attempt_at = kNow + 5000;
  ASSERT_TRUE(store_->complete_attempts("w", std::span(&rec, 1), kNow).has_value());
  auto d = store_->get_delivery(t.id, rec.delivery_id);
  ASSERT_TRUE(d.has_value());
  ASSERT_EQ(d->attempt_log.size(), 1u);
  EXPECT_EQ(d->attempt_log[0].response_excerpt, "okbad\xEF\xBF\xBD\xEF\xBF\xBD caf\xC3\xA9");
}

TEST(PgErrorTest, DiskFullIsStorageFullAndOtherResourceTroubleIsUnavailable) {
  EXPECT_EQ(pg::PgError("53100", "could not extend file").errc(), Errc::storage_full);
  EXPECT_EQ(pg::PgError("53200", "out of memory").errc(), Errc::unavailable);
  EXPECT_EQ(pg::PgError("53300", "too many connections").errc(), Errc::unavailable);
  EXPECT_EQ(pg::PgError("42P01", "no such table").errc(), Errc::internal);
}

TEST_F(PostgresStoreTest, OpenFailsFastWhenNoServerListens) {
  auto store = open_postgres_store("postgres://postgres@127.0.0.1:1/none");
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().code, Errc::unavailable);
}

// Restarts the shared server: runs last-ish but is independent of order (every test opens
// its own store, and the server is started again even if an assertion fails).
TEST_F(PostgresStoreTest, RecoversAfterServerRestartWithoutReopening) {
  Tenant t = add_tenant(*store_, kNow);
  WakeCounter wakes;
  store_->set_work_callback(wakes.callback());
  ASSERT_TRUE(wakes.wait_above(0));
  // Taken before the stop: the listener may reconnect before pg_ctl start returns.
  const int before = wakes.count();

  server_->stop();
  struct Restart {
    PgServer* server;
    ~Restart() {
      try {
        server->start();
      } catch (...) {
      }
    }
  };
  {
    Restart guard{server_};
    auto down = store_->get_tenant(t.id);
    ASSERT_FALSE(down.has_value());
    EXPECT_EQ(down.error().code, Errc::unavailable) << down.error().message;
    auto ping = store_->ping();
    ASSERT_FALSE(ping.has_value());
    EXPECT_EQ(ping.error().code, Errc::unavailable);
  }
  // Every pooled connection died with the server; the same store works again.
  auto back = store_->get_tenant(t.id);
  ASSERT_TRUE(back.has_value()) << back.error().message;
  EXPECT_EQ(back->id, t.id);
  Tenant t2 = add_tenant(*store_, kNow);
  EXPECT_TRUE(store_->get_tenant(t2.id).has_value());
  // The listener reconnects too (and calls back once on reconnecting).
  EXPECT_TRUE(wakes.wait_above(before));
  store_->set_work_callback(nullptr);
}

// A database at the schema just before the client-certificate migration, with an endpoint
// written by that schema: the migration keeps it whole and it takes a certificate after.
TEST(PostgresMigrations, ClientCertificateMigrationKeepsExistingEndpoints) {
  PgServer* server = PgServer::shared();
  ASSERT_NE(server, nullptr);
  const std::string url = server->create_database();
  {
    pg::PgConnection conn(url);
    conn.exec_script(
        "CREATE SCHEMA axon; CREATE TABLE axon.schema_migrations ("
        "  version integer PRIMARY KEY, applied_at bigint NOT NULL)");
    bool found = false;
    for (const pg::Migration& m : pg::migrations()) {
      if (m.sql.find("tls_client_certificate") != std::string_view::npos) {
        found = true;
        break;
      }
      conn.exec_script(m.sql);
      conn.exec_script("INSERT INTO axon.schema_migrations VALUES (" +
                       std::to_string(m.version) + ", 0)");
    }
    ASSERT_TRUE(found) << "the client-certificate migration is missing";
    conn.exec_script("SET search_path TO axon;" + std::string(kEndpointBeforeClientCertificates));
  }
  auto store = open_postgres_store(url);
  ASSERT_TRUE(store.has_value()) << store.error().message;
  ASSERT_TRUE((*store)->migrate().has_value());
  expect_endpoint_survived_client_certificate_migration(**store);
}

}  // namespace
}  // namespace axon::test
