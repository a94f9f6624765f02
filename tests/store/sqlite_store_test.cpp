// The Store conformance suite on SqliteStore, plus SQLite-specific behaviour: the file and
// its directory are created, data survives reopening, migrations are recorded.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <filesystem>

#include <sqlite3.h>

#include "store/sqlite/sqlite_schema.hpp"
#include "store/store_conformance.hpp"
#include "support/sqlite_store.hpp"
#include "support/temp_dir.hpp"

namespace axon::test {
namespace {

// One directory for the whole binary; every store gets its own file in it.
TempDir& shared_dir() {
  static TempDir dir("axon-sqlite-store-");
  return dir;
}

std::unique_ptr<Store> fresh_sqlite_store() {
  static std::atomic<int> counter{0};
  auto path = shared_dir().file("store-" + std::to_string(++counter) + ".db");
  return open_migrated_sqlite_store(path);
}

}  // namespace
}  // namespace axon::test

AXON_INSTANTIATE_STORE_CONFORMANCE(Sqlite, (axon::test::StoreFactory{
                                               "sqlite", axon::test::fresh_sqlite_store}));

namespace axon::test {

TEST(SqliteStore, CreatesTheParentDirectoryAndKeepsDataAcrossReopen) {
  TempDir dir;
  auto path = (dir.path() / "nested" / "deeper" / "axon.db").string();
  {
    auto store = open_sqlite_store(path);
    ASSERT_TRUE(store.has_value()) << store.error().message;
    ASSERT_TRUE((*store)->migrate().has_value());
    ASSERT_TRUE((*store)->create_tenant(Tenant{"ten_1", "acme", 1}).has_value());
    ASSERT_TRUE((*store)->put_setting("k", "v").has_value());
  }
  EXPECT_TRUE(std::filesystem::exists(path));
  auto reopened = open_sqlite_store(path);
  ASSERT_TRUE(reopened.has_value()) << reopened.error().message;
  ASSERT_TRUE((*reopened)->migrate().has_value());
  auto tenant = (*reopened)->get_tenant("ten_1");
  ASSERT_TRUE(tenant.has_value()) << tenant.error().message;
  EXPECT_EQ(tenant->name, "acme");
  EXPECT_EQ((*reopened)->get_setting("k").value(), "v");
}

TEST(SqliteStore, SyncFullOptionIsAccepted) {
  TempDir dir;
  auto store = open_sqlite_store(dir.file("a.db") + "?sync=full");
  ASSERT_TRUE(store.has_value()) << store.error().message;
  ASSERT_TRUE((*store)->migrate().has_value());
  EXPECT_TRUE(std::filesystem::exists(dir.file("a.db")));
  auto bad = open_sqlite_store(dir.file("b.db") + "?fast=yes");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, Errc::invalid_request);
}

TEST(SqliteStore, OpenStoreUnderstandsSqliteUrls) {
  TempDir dir;
  auto store = open_store("sqlite:" + dir.file("x.db"));
  ASSERT_TRUE(store.has_value()) << store.error().message;
  EXPECT_TRUE((*store)->migrate().has_value());
  EXPECT_TRUE((*store)->ping().has_value());
}

TEST(SqliteStore, TwoStoresOnOneFileMigrateAndShareData) {
  TempDir dir;
  auto a = open_sqlite_store(dir.file("shared.db"));
  auto b = open_sqlite_store(dir.file("shared.db"));
  ASSERT_TRUE(a.has_value() && b.has_value());
  ASSERT_TRUE((*a)->migrate().has_value());
  ASSERT_TRUE((*b)->migrate().has_value());
  ASSERT_TRUE((*a)->create_tenant(Tenant{"ten_1", "acme", 1}).has_value());
  EXPECT_TRUE((*b)->get_tenant("ten_1").has_value());
}

TEST(SqliteStore, InMemoryDatabaseWorks) {
  auto store = open_sqlite_store(":memory:");
  ASSERT_TRUE(store.has_value()) << store.error().message;
  ASSERT_TRUE((*store)->migrate().has_value());
  ASSERT_TRUE((*store)->create_tenant(Tenant{"ten_1", "acme", 1}).has_value());
  EXPECT_EQ((*store)->get_tenant("ten_1")->name, "acme");
}

TEST(SqliteStore, UnopenablePathIsUnavailable) {
  TempDir dir;
  // A directory where the database file should be.
  std::filesystem::create_directories(dir.path() / "db");
  auto store = open_sqlite_store(dir.file("db"));
  if (store) {
    auto migrated = (*store)->migrate();
    ASSERT_FALSE(migrated.has_value());
    EXPECT_EQ(migrated.error().code, Errc::unavailable);
  } else {
    EXPECT_EQ(store.error().code, Errc::unavailable);
  }
}

}  // namespace axon::test

namespace axon::test {
namespace {

// A database at the schema just before the client-certificate migration, with an endpoint
// written by that schema: the migration keeps it whole and it takes a certificate after.
TEST(SqliteStore, ClientCertificateMigrationKeepsExistingEndpoints) {
  TempDir dir;
  const std::string path = dir.file("old.db");
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    auto exec = [db](const std::string& sql) {
      char* error = nullptr;
      const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
      EXPECT_EQ(rc, SQLITE_OK) << (error ? error : "");
      sqlite3_free(error);
    };
    exec("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)");
    const auto all = sqlite::migrations();
    std::size_t version = 0;
    while (version < all.size() &&
           std::string_view(all[version]).find("tls_client_certificate") == std::string::npos) {
      exec(all[version]);
      exec("INSERT INTO schema_migrations VALUES (" + std::to_string(++version) + ", 0)");
    }
    ASSERT_LT(version, all.size()) << "the client-certificate migration is missing";
    exec(kEndpointBeforeClientCertificates);
    sqlite3_close(db);
  }
  auto store = open_sqlite_store(path);
  ASSERT_TRUE(store.has_value()) << store.error().message;
  ASSERT_TRUE((*store)->migrate().has_value());
  expect_endpoint_survived_client_certificate_migration(**store);
}

}  // namespace

// The database holds sealed secrets, payloads and key hashes: its file and the -wal and -shm
// files SQLite creates beside it must be readable by their owner only, whatever the umask.
TEST(SqliteStore, DatabaseFilesAreOwnerOnly) {
  TempDir dir;
  auto path = (dir.path() / "axon.db").string();
  const mode_t previous = ::umask(0022);  // the usual default, which would give 0644
  auto store = open_sqlite_store(path);
  ::umask(previous);
  ASSERT_TRUE(store.has_value()) << store.error().message;
  ASSERT_TRUE((*store)->migrate().has_value());
  ASSERT_TRUE((*store)->create_tenant(Tenant{"ten_1", "acme", 1}).has_value());
  for (const char* suffix : {"", "-wal", "-shm"}) {
    const auto file = path + suffix;
    ASSERT_TRUE(std::filesystem::exists(file)) << file;
    const auto perms = std::filesystem::status(file).permissions();
    EXPECT_EQ(perms & std::filesystem::perms::all,
              std::filesystem::perms::owner_read | std::filesystem::perms::owner_write)
        << file;
  }
}

// The claim-by-tenant migration on a database whose rows were written before it: the index
// is built over them and the claim shares among their tenants.
TEST(SqliteStore, ClaimByTenantMigrationKeepsEarlierDeliveriesClaimable) {
  TempDir dir;
  const std::string path = dir.file("old.db");
  auto store = open_sqlite_store(path);
  ASSERT_TRUE(store.has_value());
  ASSERT_TRUE((*store)->migrate().has_value());
  {  // back to the schema before the migration (later ones run again: they are idempotent)
    const auto all = sqlite::migrations();
    std::size_t version = 0;
    while (version < all.size() &&
           std::string_view(all[version]).find("deliveries_claimable_by_tenant") ==
               std::string::npos) {
      ++version;
    }
    ASSERT_LT(version, all.size()) << "the claim-by-tenant migration is missing";
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    const std::string sql = "DROP INDEX deliveries_claimable_by_tenant;"
                            "DELETE FROM schema_migrations WHERE version > " +
                            std::to_string(version) + ";";
    ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }
  constexpr Millis kNow = 1'764'000'000'000;
  std::vector<std::string> tenants;
  int seq = 0;
  for (const std::string name : {"a", "b"}) {
    Tenant t{"ten_" + name, name, kNow};
    ASSERT_TRUE((*store)->create_tenant(t).has_value());
    Endpoint e;
    e.id = "ep_" + name;
    e.tenant_id = t.id;
    e.url = "https://receiver.example/" + name;
    e.secret_sealed = "sealed";
    e.created_at = e.updated_at = kNow;
    ASSERT_TRUE((*store)->create_endpoint(e, Store::kNoEndpointLimit).has_value());
    for (int i = 0; i < 3; ++i) {
      NewEvent ev{"evt_" + name + std::to_string(i), t.id, "a.b", "{}", std::nullopt, kNow};
      ASSERT_TRUE((*store)->ingest_event(ev, kNow, [&] { return "dlv_" + std::to_string(++seq); }));
    }
  }
  store->reset();
  auto reopened = open_sqlite_store(path);
  ASSERT_TRUE(reopened.has_value());
  ASSERT_TRUE((*reopened)->migrate().has_value());
  auto jobs = (*reopened)->claim_due("w", kNow, 60'000, 2);
  ASSERT_TRUE(jobs.has_value());
  ASSERT_EQ(jobs->size(), 2u);
  EXPECT_NE((*jobs)[0].tenant_id, (*jobs)[1].tenant_id);
}

}  // namespace axon::test
