// PostgresStore: construction, schema, settings, tenants and API keys. Endpoints, events
// and deliveries, and the dispatcher side live in the pg_store_*.cpp files.
#include "store/postgres/postgres_store.hpp"

#include <algorithm>

#include "store/postgres/pg_page.hpp"
#include "store/postgres/pg_rows.hpp"
#include "store/postgres/pg_schema.hpp"
#include "store/rules.hpp"

namespace axon {
namespace pg {
namespace {
// The group commit of single events: enough committers that one builds its batch while
// another waits for its WAL flush (a few ms on an ordinary disk), each holding one pooled
// connection at a time; a batch no bigger than a batch request's limit.
constexpr int kIngestCommitters = 3;
constexpr std::size_t kMaxIngestBatch = 500;
}  // namespace

PostgresStore::PostgresStore(std::string conninfo, PostgresOptions options)
    : pool_(conninfo, options.pool_size),
      notify_is_separate_(!options.notify_conninfo.empty()),
      notify_conninfo_(options.notify_conninfo.empty() ? std::move(conninfo)
                                                       : std::move(options.notify_conninfo)),
      queue_vacuum_(options.queue_vacuum, [this] { return vacuum_queue(); }),
      ingest_queue_(kIngestCommitters, kMaxIngestBatch,
                    [this](std::vector<IngestQueue::Pending>& batch) { commit_ingests(batch); }) {}

PostgresStore::~PostgresStore() {
  std::lock_guard lock(listener_mu_);
  listener_.reset();
}

Result<void> PostgresStore::migrate() {
  // Migrations manage their own transaction (run_migrations), so not transact().
  for (int attempt = 1;; ++attempt) {
    try {
      PgPool::Lease conn = pool_.acquire();
      run_migrations(*conn);
      return {};
    } catch (const PgError& e) {
      if (e.connection_lost()) pool_.drop_idle();
      if ((e.connection_lost() || e.retry_transaction()) && attempt < 2) continue;
      return fail(e.errc(), std::string("migrate: ") + e.what());
    }
  }
}

Result<void> PostgresStore::ping() {
  return transact("ping", [](Transaction& tx) { tx.exec("SELECT 1"); });
}

Result<std::optional<std::string>> PostgresStore::get_setting(std::string_view key) {
  return transact("get_setting", [&](Transaction& tx) -> std::optional<std::string> {
    PgResult r = tx.exec("SELECT value FROM axon.settings WHERE key = $1", Params(key));
    if (r.rows() == 0) return std::nullopt;
    return r.text(0, 0);
  });
}

Result<std::string> PostgresStore::put_setting_if_absent(std::string_view key,
                                                         std::string_view value) {
  return transact("put_setting_if_absent", [&](Transaction& tx) {
    tx.exec("INSERT INTO axon.settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
            Params(key, value));
    return tx.exec("SELECT value FROM axon.settings WHERE key = $1", Params(key)).text(0, 0);
  });
}

Result<void> PostgresStore::put_setting(std::string_view key, std::string_view value) {
  return transact("put_setting", [&](Transaction& tx) {
    tx.exec(
        "INSERT INTO axon.settings (key, value) VALUES ($1, $2) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        Params(key, value));
  });
}

// --- tenants ---

Result<Tenant> PostgresStore::create_tenant(const Tenant& tenant) {
  return transact("create_tenant", [&](Transaction& tx) {
    tx.exec("INSERT INTO axon.tenants (id, name, created_at) VALUES ($1, $2, $3)",
            Params(tenant.id, tenant.name, tenant.created_at));
    return tenant;
  });
}

Result<Tenant> PostgresStore::get_tenant(std::string_view id) {
  return transact("get_tenant", [&](Transaction& tx) {
    PgResult r = tx.exec(
        std::string("SELECT ").append(kTenantColumns) + " FROM axon.tenants t WHERE t.id = $1",
        Params(id));
    if (r.rows() == 0) raise(store_rules::not_found(Resource::tenant));
    return read_tenant(r, 0);
  });
}

Result<Page<Tenant>> PostgresStore::list_tenants(const PageRequest& page) {
  return transact("list_tenants", [&](Transaction& tx) {
    PgResult r = tx.exec(std::string("SELECT ").append(kTenantColumns) +
                             " FROM axon.tenants t WHERE ($1::text IS NULL OR t.id < $1) "
                             "ORDER BY t.id DESC LIMIT $2",
                         Params(page.after, page_fetch(page)));
    return make_page<Tenant>(r, page, read_tenant);
  });
}

Result<void> PostgresStore::delete_tenant(std::string_view id) {
  return transact("delete_tenant", [&](Transaction& tx) {
    // Everything the tenant owns goes with it (ON DELETE CASCADE); its queue rows first, in
    // the locking order of pg_migrations_queue.cpp (queue rows before delivery rows).
    tx.exec("DELETE FROM axon.queue WHERE tenant_id = $1", Params(id));
    PgResult r = tx.exec("DELETE FROM axon.tenants WHERE id = $1 RETURNING id", Params(id));
    if (r.rows() == 0) raise(store_rules::not_found(Resource::tenant));
  });
}

// --- API keys ---

Result<ApiKey> PostgresStore::create_api_key(const ApiKey& key) {
  return transact("create_api_key", [&](Transaction& tx) {
    PgResult r = tx.exec(
        "INSERT INTO axon.api_keys (id, tenant_id, key_hash, created_at, revoked_at) "
        "SELECT $1, $2, $3, $4, $5 WHERE EXISTS (SELECT 1 FROM axon.tenants WHERE id = $2) "
        "RETURNING id",
        Params(key.id, key.tenant_id, key.key_hash, key.created_at, key.revoked_at));
    if (r.rows() == 0) raise(store_rules::not_found(Resource::tenant));
    return key;
  });
}

Result<ApiKey> PostgresStore::find_api_key_by_hash(std::string_view key_hash) {
  return transact("find_api_key_by_hash", [&](Transaction& tx) {
    PgResult r = tx.exec(std::string("SELECT ").append(kApiKeyColumns) +
                             " FROM axon.api_keys k WHERE k.key_hash = $1",
                         Params(key_hash));
    if (r.rows() == 0) raise(store_rules::not_found(Resource::api_key));
    return read_api_key(r, 0);
  });
}

Result<Page<ApiKey>> PostgresStore::list_api_keys(std::string_view tenant_id,
                                                  const PageRequest& page) {
  return transact("list_api_keys", [&](Transaction& tx) {
    PgResult r = tx.exec(std::string("SELECT ").append(kApiKeyColumns) +
                             " FROM axon.api_keys k WHERE k.tenant_id = $1 "
                             "AND ($2::text IS NULL OR k.id < $2) ORDER BY k.id DESC LIMIT $3",
                         Params(tenant_id, page.after, page_fetch(page)));
    return make_page<ApiKey>(r, page, read_api_key);
  });
}

Result<void> PostgresStore::revoke_api_key(std::string_view tenant_id, std::string_view key_id,
                                           Millis now) {
  return transact("revoke_api_key", [&](Transaction& tx) {
    PgResult r = tx.exec(
        "UPDATE axon.api_keys SET revoked_at = coalesce(revoked_at, $3) "
        "WHERE tenant_id = $1 AND id = $2 RETURNING id",
        Params(tenant_id, key_id, now));
    if (r.rows() == 0) raise(store_rules::not_found(Resource::api_key));
  });
}

void PostgresStore::set_work_callback(std::function<void()> on_work) {
  std::lock_guard lock(listener_mu_);
  listener_.reset();  // stop the old listener before starting the new one
  if (on_work) {
    // An explicit --notify-db is trusted; LISTEN on --db only when it reaches the server.
    listener_ = std::make_unique<PgListener>(notify_conninfo_, "axon_work", std::move(on_work),
                                             /*direct_only=*/!notify_is_separate_);
  }
}

}  // namespace pg

Result<std::unique_ptr<Store>> open_postgres_store(std::string_view conninfo,
                                                   const StoreOptions& options) {
  pg::PostgresOptions pg_options;
  pg_options.pool_size = std::clamp(options.pg_pool_size, 1, 64);
  pg_options.notify_conninfo = options.notify_db_url;
  pg_options.queue_vacuum.min_rows = options.pg_queue_vacuum_rows;
  auto store = std::make_unique<pg::PostgresStore>(std::string(conninfo), std::move(pg_options));
  // Fail fast on a wrong URL or an unreachable server rather than at the first request.
  if (auto ok = store->ping(); !ok) return std::unexpected(ok.error());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace axon
