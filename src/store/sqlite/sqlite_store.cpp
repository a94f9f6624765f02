// SqliteStore: opening, connections, migrations, settings, tenants and API keys.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "store/sqlite/sqlite_schema.hpp"
#include "store/sqlite/sqlite_store_internal.hpp"
#include "store/rules.hpp"

namespace axon {

Result<std::unique_ptr<Store>> open_sqlite_store(std::string_view path) {
  auto store = sqlite::SqliteStore::open(path);
  if (!store) return std::unexpected(store.error());
  return std::unique_ptr<Store>(std::move(*store));
}

}  // namespace axon

namespace axon::sqlite {
namespace {

constexpr std::size_t kMaxIdleReaders = 8;
// WAL size (pages, 32 MiB at 4 KiB) that triggers a background checkpoint. A checkpoint copies
// the newest version of each page the WAL holds, and a busy store rewrites the same table and
// index tail pages in commit after commit: SQLite's default of 1,000 pages made the checkpointer
// about a fifth of the server's CPU during ingest; at 8,000, ingest alone went from 28.4k to
// 30.1k events/s (A/B, 3 runs each). The WAL file grows to about this size before it restarts.
constexpr int kCheckpointPages = 8000;

struct Spec {
  std::string path;
  ConnectionOptions options;
};

Result<Spec> parse_spec(std::string_view spec) {
  Spec out;
  auto query_at = spec.find('?');
  out.path = std::string(spec.substr(0, query_at));
  if (out.path.empty()) return fail(Errc::invalid_request, "sqlite: empty database path");
  if (query_at == std::string_view::npos) return out;
  std::string_view query = spec.substr(query_at + 1);
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view param = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (param == "sync=full") {
      out.options.synchronous_full = true;
    } else if (param == "sync=normal") {
      out.options.synchronous_full = false;
    } else if (!param.empty()) {
      return fail(Errc::invalid_request,
                  "sqlite: unknown option '" + std::string(param) + "' (known: sync=full|normal)");
    }
  }
  return out;
}

// SQLite creates a database 0644 (less the umask) and gives its -wal and -shm files the
// database's mode; the database holds sealed secrets, payloads and key hashes, so create it
// owner-only first. An existing file keeps its mode (the operator's choice).
Result<void> create_owner_only(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) {
    ::close(fd);
    return {};
  }
  if (errno == EEXIST) return {};
  return fail(Errc::unavailable, "sqlite: cannot create " + path + ": " + std::strerror(errno));
}

bool is_memory_path(const std::string& path) {
  return path == ":memory:" || path.find("mode=memory") != std::string::npos;
}

}  // namespace

Millis wall_clock_ms() { return SystemClock().now_ms(); }

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(std::string_view spec_text) {
  auto spec = parse_spec(spec_text);
  if (!spec) return std::unexpected(spec.error());
  if (!is_memory_path(spec->path) && !spec->path.starts_with("file:")) {
    auto parent = std::filesystem::path(spec->path).parent_path();
    std::error_code ec;
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    if (ec) {
      return fail(Errc::unavailable,
                  "sqlite: cannot create directory " + parent.string() + ": " + ec.message());
    }
    if (auto created = create_owner_only(spec->path); !created) {
      return std::unexpected(created.error());
    }
  }
  auto writer = Connection::open(spec->path, spec->options, /*create=*/true);
  if (!writer) return std::unexpected(writer.error());
  std::unique_ptr<Checkpointer> checkpointer;
  if (!is_memory_path(spec->path)) {
    ConnectionOptions checkpoint_options = spec->options;
    checkpoint_options.cache_kib = 2 * 1024;  // it only copies pages
    auto conn = Connection::open(spec->path, checkpoint_options, /*create=*/false);
    if (!conn) return std::unexpected(conn.error());
    checkpointer = std::make_unique<Checkpointer>(std::move(*conn), kCheckpointPages);
  }
  return std::unique_ptr<SqliteStore>(new SqliteStore(spec->path, spec->options,
                                                      std::move(*writer), std::move(checkpointer)));
}

SqliteStore::SqliteStore(std::string path, ConnectionOptions options,
                         std::unique_ptr<Connection> writer,
                         std::unique_ptr<Checkpointer> checkpointer)
    : path_(std::move(path)),
      options_(options),
      in_memory_(is_memory_path(path_)),
      writer_(std::move(writer)),
      checkpointer_(std::move(checkpointer)) {
  if (checkpointer_) checkpointer_->attach(*writer_);
}

SqliteStore::~SqliteStore() {
  {
    std::lock_guard lock(ingest_mu_);
    committer_stopping_ = true;  // it writes what is still queued first
  }
  committer_cv_.notify_all();
  if (committer_.joinable()) committer_.join();
  if (checkpointer_) Checkpointer::detach(*writer_);
  checkpointer_.reset();
}

std::unique_ptr<Connection> SqliteStore::acquire_reader() {
  {
    std::lock_guard lock(readers_mu_);
    if (!idle_readers_.empty()) {
      auto conn = std::move(idle_readers_.back());
      idle_readers_.pop_back();
      return conn;
    }
  }
  ConnectionOptions reader_options = options_;
  reader_options.cache_kib = 8 * 1024;
  auto conn = Connection::open(path_, reader_options, /*create=*/false);
  if (!conn) throw SqlError(conn.error());
  (*conn)->exec("PRAGMA query_only=1");
  return std::move(*conn);
}

void SqliteStore::release_reader(std::unique_ptr<Connection> conn) {
  if (!conn) return;
  std::lock_guard lock(readers_mu_);
  if (idle_readers_.size() < kMaxIdleReaders) idle_readers_.push_back(std::move(conn));
}

Result<void> SqliteStore::migrate() {
  return write([&](Connection& c) -> Result<void> {
    WriteTransaction tx(c);
    c.exec(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)");
    auto st = c.prepare("SELECT coalesce(max(version), 0) FROM schema_migrations");
    st.step();
    auto current = st.int64_at(0);
    auto all = migrations();
    auto known = static_cast<std::int64_t>(all.size());
    if (current > known) {
      return fail(Errc::internal, "sqlite: database schema version " + std::to_string(current) +
                                      " is newer than this program's (" + std::to_string(known) +
                                      ")");
    }
    for (auto version = current + 1; version <= known; ++version) {
      c.exec(all[static_cast<std::size_t>(version - 1)]);
      c.prepare("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)")
          .bind_all(version, wall_clock_ms())
          .run();
    }
    tx.commit();
    return {};
  });
}

Result<void> SqliteStore::ping() {
  return read([&](Connection& c) -> Result<void> {
    c.prepare("SELECT 1").step();
    return {};
  });
}

// --- settings ---

Result<std::optional<std::string>> SqliteStore::get_setting(std::string_view key) {
  return read([&](Connection& c) -> Result<std::optional<std::string>> {
    auto st = c.prepare("SELECT value FROM settings WHERE key = ?").bind_all(key);
    if (!st.step()) return std::nullopt;
    return st.text_at(0);
  });
}

Result<std::string> SqliteStore::put_setting_if_absent(std::string_view key,
                                                       std::string_view value) {
  return write([&](Connection& c) -> Result<std::string> {
    WriteTransaction tx(c);
    c.prepare("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING")
        .bind_all(key, value)
        .run();
    auto st = c.prepare("SELECT value FROM settings WHERE key = ?").bind_all(key);
    st.step();
    std::string stored = st.text_at(0);
    tx.commit();
    return stored;
  });
}

Result<void> SqliteStore::put_setting(std::string_view key, std::string_view value) {
  return write([&](Connection& c) -> Result<void> {
    c.prepare(
         "INSERT INTO settings (key, value) VALUES (?, ?)"
         " ON CONFLICT (key) DO UPDATE SET value = excluded.value")
        .bind_all(key, value)
        .run();
    return {};
  });
}

// --- tenants ---

Result<Tenant> SqliteStore::create_tenant(const Tenant& tenant) {
  return write([&](Connection& c) -> Result<Tenant> {
    c.prepare("INSERT INTO tenants (" AXON_SQL_TENANT_COLS ") VALUES (?, ?, ?)")
        .bind_all(tenant.id, tenant.name, tenant.created_at)
        .run();
    return tenant;
  });
}

Result<Tenant> SqliteStore::get_tenant(std::string_view id) {
  return read([&](Connection& c) -> Result<Tenant> {
    auto st = c.prepare("SELECT " AXON_SQL_TENANT_COLS " FROM tenants WHERE id = ?").bind_all(id);
    if (!st.step()) return store_rules::fail_not_found(Resource::tenant);
    return read_tenant(st);
  });
}

Result<Page<Tenant>> SqliteStore::list_tenants(const PageRequest& page) {
  int limit = clamp_page_limit(page.limit);
  return read([&](Connection& c) -> Result<Page<Tenant>> {
    auto st = c.prepare("SELECT " AXON_SQL_TENANT_COLS
                        " FROM tenants WHERE id < ? ORDER BY id DESC LIMIT ?")
                  .bind_all(page_after(page), limit + 1);
    std::vector<Tenant> rows;
    while (st.step()) rows.push_back(read_tenant(st));
    return make_page(std::move(rows), limit);
  });
}

Result<void> SqliteStore::delete_tenant(std::string_view id) {
  return write([&](Connection& c) -> Result<void> {
    WriteTransaction tx(c);
    // Endpoints go with the tenant (cascade); forget their cached subscriptions.
    auto st = c.prepare("SELECT id FROM endpoints WHERE tenant_id = ?").bind_all(id);
    while (st.step()) subscriptions_.erase(st.text_at(0));
    c.prepare("DELETE FROM tenants WHERE id = ?").bind_all(id).run();
    if (c.changes() == 0) return store_rules::fail_not_found(Resource::tenant);
    tx.commit();
    return {};
  });
}

// --- API keys ---

Result<ApiKey> SqliteStore::create_api_key(const ApiKey& key) {
  return write([&](Connection& c) -> Result<ApiKey> {
    WriteTransaction tx(c);
    auto tenant = c.prepare("SELECT 1 FROM tenants WHERE id = ?").bind_all(key.tenant_id);
    if (!tenant.step()) return store_rules::fail_not_found(Resource::tenant);
    c.prepare("INSERT INTO api_keys (" AXON_SQL_API_KEY_COLS ") VALUES (?, ?, ?, ?, ?)")
        .bind_all(key.id, key.tenant_id, key.key_hash, key.created_at, key.revoked_at)
        .run();
    tx.commit();
    return key;
  });
}

Result<ApiKey> SqliteStore::find_api_key_by_hash(std::string_view key_hash) {
  return read([&](Connection& c) -> Result<ApiKey> {
    auto st = c.prepare("SELECT " AXON_SQL_API_KEY_COLS " FROM api_keys WHERE key_hash = ?")
                  .bind_all(key_hash);
    if (!st.step()) return store_rules::fail_not_found(Resource::api_key);
    return read_api_key(st);
  });
}

Result<Page<ApiKey>> SqliteStore::list_api_keys(std::string_view tenant_id,
                                                const PageRequest& page) {
  int limit = clamp_page_limit(page.limit);
  return read([&](Connection& c) -> Result<Page<ApiKey>> {
    auto st = c.prepare("SELECT " AXON_SQL_API_KEY_COLS
                        " FROM api_keys WHERE tenant_id = ? AND id < ? ORDER BY id DESC LIMIT ?")
                  .bind_all(tenant_id, page_after(page), limit + 1);
    std::vector<ApiKey> rows;
    while (st.step()) rows.push_back(read_api_key(st));
    return make_page(std::move(rows), limit);
  });
}

Result<void> SqliteStore::revoke_api_key(std::string_view tenant_id, std::string_view key_id,
                                         Millis now) {
  return write([&](Connection& c) -> Result<void> {
    // An already revoked key keeps its first revocation time.
    c.prepare(
         "UPDATE api_keys SET revoked_at = coalesce(revoked_at, ?3)"
         " WHERE tenant_id = ?1 AND id = ?2")
        .bind_all(tenant_id, key_id, now)
        .run();
    if (c.changes() == 0) return store_rules::fail_not_found(Resource::api_key);
    return {};
  });
}

}  // namespace axon::sqlite
