// PostgresStore's QueueVacuum on a real server: recorded outcomes make the node (whose role
// owns the table) VACUUM axon.queue, as pg_stat_user_tables counts.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "store/postgres/pg_connection.hpp"
#include "store/postgres/postgres_store.hpp"
#include "support/pg_server.hpp"

namespace axon::test {
namespace {

constexpr Millis kNow = 1'764'000'000'000;

TEST(PgQueueVacuum, OutcomesMakeTheNodeVacuumTheQueue) {
  PgServer* server = PgServer::shared();
  ASSERT_NE(server, nullptr);
  std::string url;
  open_migrated_pg_store(*server, &url);  // a migrated database; this store is not used
  pg::PostgresOptions options;
  options.pool_size = 2;
  options.queue_vacuum = {.min_rows = 20, .min_interval_ms = 0};
  pg::PostgresStore store(url, options);
  pg::PgConnection conn(url);

  const Tenant tenant = add_tenant(store, kNow);
  add_endpoint(store, tenant.id, kNow);
  for (int i = 0; i < 30; ++i) add_event(store, tenant.id, "a.b", kNow);
  auto jobs = store.claim_due("node-1", kNow, 30'000, 100);
  ASSERT_TRUE(jobs) << jobs.error().message;
  ASSERT_EQ(jobs->size(), 30u);
  std::vector<AttemptRecord> records;
  for (const DeliveryJob& job : *jobs) {
    records.push_back(attempt_outcome(job, DeliveryStatus::succeeded, kNow, 204));
  }
  ASSERT_TRUE(store.complete_attempts("node-1", records, kNow));

  // The vacuum runs on the store's own thread: wait for it (up to 10 s).
  std::int64_t vacuums = 0;
  for (int i = 0; i < 200 && vacuums == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    vacuums = pg_scalar(conn,
                        "SELECT vacuum_count FROM pg_stat_user_tables "
                        "WHERE schemaname = 'axon' AND relname = 'queue'");
  }
  EXPECT_GE(vacuums, 1);
}

}  // namespace
}  // namespace axon::test
