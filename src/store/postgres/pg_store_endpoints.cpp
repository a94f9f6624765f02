// PostgresStore: endpoints.
#include "store/postgres/pg_counts.hpp"
#include "store/postgres/pg_page.hpp"
#include "store/postgres/pg_rows.hpp"
#include "store/postgres/postgres_store.hpp"
#include "store/rules.hpp"

namespace axon::pg {
namespace {

std::string select_endpoints(std::string_view where) {
  return std::string("SELECT ")
      .append(kEndpointColumns)
      .append(" FROM axon.endpoints e ")
      .append(where);
}

// Writes every mutable column of `e` (update_endpoint reads, patches and writes back).
void write_endpoint(Transaction& tx, const Endpoint& e, const HeaderSealer* sealer) {
  tx.exec(
      "UPDATE axon.endpoints SET url = $2, description = $3, event_types = $4::jsonb, "
      "headers = $5::jsonb, disabled = $6, disabled_reason = $7, max_in_flight = $8, "
      "rate_limit = $9, ordering = $10, failing_since = $11, updated_at = $12, "
      "tls_client_certificate = $13, tls_client_key_sealed = $14 WHERE id = $1",
      Params(e.id, e.url, e.description, event_types_to_json(e.event_types),
             encode_header_column(e.headers, sealer), e.disabled, e.disabled_reason,
             e.max_in_flight, e.rate_limit, ordering_name(e.ordering), e.failing_since,
             e.updated_at, e.tls_client_certificate, e.tls_client_key_sealed));
}

}  // namespace

Result<Endpoint> PostgresStore::create_endpoint(const Endpoint& e, int max_per_tenant) {
  return transact("create_endpoint", [&](Transaction& tx) {
    // Locking the tenant row serialises endpoint creation per tenant (across nodes too), so
    // the count cannot go stale before the insert; other tenants are not held up. The count
    // is a statement of its own: under READ COMMITTED it then sees what the creators we
    // waited for committed (a subquery of the locking statement would not).
    PgResult tenant =
        tx.exec("SELECT 1 FROM axon.tenants WHERE id = $1 FOR UPDATE", Params(e.tenant_id));
    if (tenant.rows() == 0) raise(Errc::not_found, "no such tenant");
    PgResult count =
        tx.exec("SELECT count(*) FROM axon.endpoints WHERE tenant_id = $1", Params(e.tenant_id));
    if (count.i64(0, 0) >= max_per_tenant) {
      throw StoreFailure{endpoint_limit_error(max_per_tenant)};
    }
    PgResult r = tx.exec(
        "INSERT INTO axon.endpoints (id, tenant_id, url, description, event_types, headers, "
        "disabled, disabled_reason, max_in_flight, rate_limit, ordering, secret_sealed, "
        "previous_secret_sealed, previous_secret_expires_at, failing_since, created_at, "
        "updated_at, operational, tls_client_certificate, tls_client_key_sealed) "
        "SELECT $1, $2, $3, $4, $5::jsonb, $6::jsonb, $7, $8, $9, $10, $11, $12, $13, $14, $15, "
        "$16, $17, $18, $19, $20 WHERE EXISTS (SELECT 1 FROM axon.tenants WHERE id = $2) RETURNING id",
        Params(e.id, e.tenant_id, e.url, e.description, event_types_to_json(e.event_types),
               encode_header_column(e.headers, header_sealer_), e.disabled, e.disabled_reason,
               e.max_in_flight,
               e.rate_limit, ordering_name(e.ordering), e.secret_sealed, e.previous_secret_sealed,
               e.previous_secret_expires_at, e.failing_since, e.created_at, e.updated_at,
               e.operational, e.tls_client_certificate, e.tls_client_key_sealed));
    if (r.rows() == 0) raise(store_rules::not_found(Resource::tenant));
    return e;
  });
}

Result<Endpoint> PostgresStore::get_endpoint(std::string_view tenant_id, std::string_view id) {
  return transact("get_endpoint", [&](Transaction& tx) {
    PgResult r =
        tx.exec(select_endpoints("WHERE e.tenant_id = $1 AND e.id = $2"), Params(tenant_id, id));
    if (r.rows() == 0) raise(store_rules::not_found(Resource::endpoint));
    return read_endpoint(r, 0, header_sealer_);
  });
}

Result<Page<Endpoint>> PostgresStore::list_endpoints(std::string_view tenant_id,
                                                     const PageRequest& page) {
  return transact("list_endpoints", [&](Transaction& tx) {
    PgResult r = tx.exec(select_endpoints("WHERE e.tenant_id = $1 AND ($2::text IS NULL OR "
                                          "e.id < $2) ORDER BY e.id DESC LIMIT $3"),
                         Params(tenant_id, page.after, page_fetch(page)));
    return make_page<Endpoint>(r, page, [this](const PgResult& rows, int row) {
      return read_endpoint(rows, row, header_sealer_);
    });
  });
}

Result<Endpoint> PostgresStore::update_endpoint(std::string_view tenant_id, std::string_view id,
                                                const EndpointPatch& patch, Millis now) {
  return transact("update_endpoint", [&](Transaction& tx) {
    PgResult r = tx.exec(select_endpoints("WHERE e.tenant_id = $1 AND e.id = $2 FOR UPDATE"),
                         Params(tenant_id, id));
    if (r.rows() == 0) raise(store_rules::not_found(Resource::endpoint));
    Endpoint e = read_endpoint(r, 0, header_sealer_);
    const bool was_disabled = e.disabled;
    const bool was_fifo = e.ordering == Ordering::fifo;
    apply_patch(e, patch, now);
    write_endpoint(tx, e, header_sealer_);
    if (!was_fifo && e.ordering == Ordering::fifo) {
      // Its deliveries in flight now hold back its oldest (axon.claim_due's FIFO rule).
      tx.exec("UPDATE axon.queue SET fifo_lease = true "
              "WHERE endpoint_id = $1 AND lease_owner IS NOT NULL",
              Params(id));
    }
    if (was_disabled && !e.disabled) tx.notify_work();  // its waiting deliveries are due
    return e;
  });
}

Result<void> PostgresStore::delete_endpoint(std::string_view tenant_id, std::string_view id) {
  return transact("delete_endpoint", [&](Transaction& tx) {
    PgResult r = tx.exec("DELETE FROM axon.endpoints WHERE tenant_id = $1 AND id = $2 RETURNING id",
                         Params(tenant_id, id));
    if (r.rows() == 0) raise(store_rules::not_found(Resource::endpoint));
    // Its pending deliveries can never be sent: they leave the queue and become dead letters
    // (queue rows first: the locking order of pg_migrations_queue.cpp).
    tx.exec(
        "WITH dequeued AS (DELETE FROM axon.queue WHERE endpoint_id = $1 "
        "RETURNING delivery_id), "
        "moved AS (UPDATE axon.deliveries d SET status = 'dead', updated_at = axon.now_ms() "
        "FROM dequeued WHERE d.id = dequeued.delivery_id AND d.status = 'pending' "
        "RETURNING 'pending'::text AS old_status, d.status AS new_status), " AXON_PG_COUNT_MOVES
        " SELECT 1",
        Params(id));
  });
}

Result<Endpoint> PostgresStore::rotate_endpoint_secret(std::string_view tenant_id,
                                                       std::string_view id,
                                                       std::string_view new_secret_sealed,
                                                       Millis previous_expires_at, Millis now) {
  return transact("rotate_endpoint_secret", [&](Transaction& tx) {
    PgResult r = tx.exec(
        std::string("UPDATE axon.endpoints AS e SET previous_secret_sealed = e.secret_sealed, "
                    "previous_secret_expires_at = $3, secret_sealed = $4, updated_at = $5 "
                    "WHERE e.tenant_id = $1 AND e.id = $2 RETURNING ")
            .append(kEndpointColumns),
        Params(tenant_id, id, previous_expires_at, new_secret_sealed, now));
    if (r.rows() == 0) raise(store_rules::not_found(Resource::endpoint));
    return read_endpoint(r, 0, header_sealer_);
  });
}

Result<std::optional<std::string>> PostgresStore::sample_sealed_secret() {
  return transact("sample_sealed_secret", [&](Transaction& tx) -> std::optional<std::string> {
    PgResult r = tx.exec("SELECT secret_sealed FROM axon.endpoints LIMIT 1");
    if (r.rows() == 0) return std::nullopt;
    return r.text(0, 0);
  });
}

Result<std::optional<std::string>> PostgresStore::reseal_endpoint_secrets(
    std::string_view after, int limit, const SecretResealer& reseal,
    const MasterKeyCheckUpdate& key_check) {
  return transact("reseal_endpoint_secrets", [&](Transaction& tx) -> std::optional<std::string> {
    // FOR UPDATE: a secret rotated concurrently waits for this batch instead of being lost.
    PgResult r = tx.exec(
        "SELECT id, secret_sealed, previous_secret_sealed, tls_client_key_sealed, headers "
        "FROM axon.endpoints "
        "WHERE id > $1 ORDER BY id LIMIT $2 FOR UPDATE",
        Params(after, limit));
    for (int row = 0; row < r.rows(); ++row) {
      SealedEndpointValues values{r.text(row, 1), r.opt_text(row, 2), r.opt_text(row, 3), {}};
      std::string headers = r.text(row, 4), sealed_headers;
      if (sealed_header_column(headers, &sealed_headers)) values.header_list = sealed_headers;
      auto resealed = reseal_values(values, reseal);
      if (!resealed) raise(resealed.error().code, resealed.error().message);
      if (resealed->header_list) headers = sealed_header_column_text(*resealed->header_list);
      tx.exec(
          "UPDATE axon.endpoints SET secret_sealed = $2, previous_secret_sealed = $3, "
          "tls_client_key_sealed = $4, headers = $5::jsonb WHERE id = $1",
          Params(r.text(row, 0), resealed->current, resealed->previous, resealed->client_key,
                 headers));
    }
    const bool done = r.rows() < limit;
    tx.exec(
        "INSERT INTO axon.settings (key, value) VALUES ($1, $2) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        Params(kMasterKeyCheckSetting, done ? key_check.when_done : key_check.while_resealing));
    if (r.rows() == 0) return std::nullopt;
    return r.text(r.rows() - 1, 0);
  });
}

Result<int> PostgresStore::seal_plain_headers(int limit) {
  const HeaderSealer* sealer = header_sealer_;
  if (!sealer) return fail(Errc::internal, "seal_plain_headers: no master key given");
  return transact("seal_plain_headers", [&](Transaction& tx) {
    // The plain form is a JSON array; the sealed one a JSON string. SKIP LOCKED: several
    // nodes starting together share the work instead of waiting for each other.
    PgResult r = tx.exec(
        "SELECT id, headers FROM axon.endpoints WHERE jsonb_typeof(headers) = 'array' "
        "ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED",
        Params(limit));
    for (int row = 0; row < r.rows(); ++row) {
      tx.exec("UPDATE axon.endpoints SET headers = $2::jsonb WHERE id = $1",
              Params(r.text(row, 0),
                     encode_header_column(decode_header_column(r.view(row, 1), nullptr), sealer)));
    }
    return r.rows();
  });
}

}  // namespace axon::pg
