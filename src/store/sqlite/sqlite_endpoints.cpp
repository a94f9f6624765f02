// SqliteStore: endpoints, and the claim-queue upkeep that follows endpoint state.
#include <utility>

#include "store/sqlite/sqlite_store_internal.hpp"
#include "store/rules.hpp"

namespace axon::sqlite {

std::optional<Endpoint> find_endpoint(Connection& conn, std::string_view tenant_id,
                                      std::string_view id, const HeaderSealer* sealer) {
  auto st = conn.prepare("SELECT " AXON_SQL_ENDPOINT_COLS
                         " FROM endpoints WHERE tenant_id = ? AND id = ?")
                .bind_all(tenant_id, id);
  if (!st.step()) return std::nullopt;
  return read_endpoint(st, sealer);
}

void settle_queue(Connection& conn, std::string_view endpoint_id) {
  auto ep =
      conn.prepare("SELECT disabled, ordering FROM endpoints WHERE id = ?").bind_all(endpoint_id);
  bool parked = !ep.step() || ep.int_at(0) != 0;
  bool fifo = !parked && parse_ordering(ep.text_at(1)) == Ordering::fifo;
  if (parked) {
    conn.prepare(
            "UPDATE deliveries SET claimable_at = NULL"
            " WHERE endpoint_id = ? AND status = 'pending' AND claimable_at IS NOT NULL")
        .bind_all(endpoint_id)
        .run();
    return;
  }
  if (!fifo) {
    conn.prepare(
            "UPDATE deliveries SET claimable_at = max(next_attempt_at, coalesce(lease_expires_at, "
            "0))"
            " WHERE endpoint_id = ? AND status = 'pending'")
        .bind_all(endpoint_id)
        .run();
    return;
  }
  auto head_st = conn.prepare(
                         "SELECT id FROM deliveries WHERE endpoint_id = ? AND status = 'pending'"
                         " ORDER BY id LIMIT 1")
                     .bind_all(endpoint_id);
  if (!head_st.step()) return;
  std::string head = head_st.text_at(0);
  // Another delivery of this endpoint may still be in flight (leased before the endpoint
  // became FIFO, or the head changed by a replay): the head waits for that lease.
  auto lease_st = conn.prepare(
                          "SELECT coalesce(max(lease_expires_at), 0) FROM deliveries"
                          " WHERE endpoint_id = ? AND status = 'pending' AND id <> ?")
                      .bind_all(endpoint_id, head);
  lease_st.step();
  Millis other_lease = lease_st.int64_at(0);
  conn.prepare(
          "UPDATE deliveries SET claimable_at = NULL WHERE endpoint_id = ? AND status = 'pending'"
          " AND id <> ? AND claimable_at IS NOT NULL")
      .bind_all(endpoint_id, head)
      .run();
  conn.prepare(
          "UPDATE deliveries"
          " SET claimable_at = max(next_attempt_at, coalesce(lease_expires_at, 0), ?)"
          " WHERE id = ?")
      .bind_all(other_lease, head)
      .run();
}

void promote_fifo_head(Connection& conn, std::string_view endpoint_id) {
  conn.prepare(
          "UPDATE deliveries SET claimable_at = max(next_attempt_at, coalesce(lease_expires_at, 0))"
          " WHERE id = (SELECT id FROM deliveries WHERE endpoint_id = ?1 AND status = 'pending'"
          "             ORDER BY id LIMIT 1)"
          " AND EXISTS (SELECT 1 FROM endpoints WHERE id = ?1 AND disabled = 0"
          "             AND ordering = 'fifo')")
      .bind_all(endpoint_id)
      .run();
}

Result<Endpoint> SqliteStore::create_endpoint(const Endpoint& e, int max_per_tenant) {
  return write([&](Connection& c) -> Result<Endpoint> {
    WriteTransaction tx(c);  // one writer at a time: the count below cannot go stale
    auto tenant = c.prepare("SELECT 1 FROM tenants WHERE id = ?").bind_all(e.tenant_id);
    if (!tenant.step()) return store_rules::fail_not_found(Resource::tenant);
    auto count = c.prepare("SELECT count(*) FROM endpoints WHERE tenant_id = ?")
                     .bind_all(e.tenant_id);
    count.step();
    if (count.int64_at(0) >= max_per_tenant) {
      return std::unexpected(endpoint_limit_error(max_per_tenant));
    }
    c.prepare("INSERT INTO endpoints (" AXON_SQL_ENDPOINT_COLS
              ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
        .bind_all(e.id, e.tenant_id, e.url, e.description, encode_event_types(e.event_types),
                  encode_header_column(e.headers, header_sealer_), e.disabled, e.disabled_reason, e.max_in_flight,
                  e.rate_limit, ordering_name(e.ordering), e.secret_sealed,
                  e.previous_secret_sealed, e.previous_secret_expires_at, e.failing_since,
                  e.created_at, e.updated_at, e.operational, e.tls_client_certificate,
                  e.tls_client_key_sealed)
        .run();
    tx.commit();
    return e;
  });
}

Result<Endpoint> SqliteStore::get_endpoint(std::string_view tenant_id, std::string_view id) {
  return read([&](Connection& c) -> Result<Endpoint> {
    auto endpoint = find_endpoint(c, tenant_id, id, header_sealer_);
    if (!endpoint) return store_rules::fail_not_found(Resource::endpoint);
    return *endpoint;
  });
}

Result<Page<Endpoint>> SqliteStore::list_endpoints(std::string_view tenant_id,
                                                   const PageRequest& page) {
  int limit = clamp_page_limit(page.limit);
  return read([&](Connection& c) -> Result<Page<Endpoint>> {
    auto st = c.prepare("SELECT " AXON_SQL_ENDPOINT_COLS
                        " FROM endpoints WHERE tenant_id = ? AND id < ? ORDER BY id DESC LIMIT ?")
                  .bind_all(tenant_id, page_after(page), limit + 1);
    std::vector<Endpoint> rows;
    while (st.step()) rows.push_back(read_endpoint(st, header_sealer_));
    return make_page(std::move(rows), limit);
  });
}

Result<Endpoint> SqliteStore::update_endpoint(std::string_view tenant_id, std::string_view id,
                                              const EndpointPatch& patch, Millis now) {
  return write([&](Connection& c) -> Result<Endpoint> {
    WriteTransaction tx(c);
    auto found = find_endpoint(c, tenant_id, id, header_sealer_);
    if (!found) return store_rules::fail_not_found(Resource::endpoint);
    Endpoint e = *found;
    apply_patch(e, patch, now);
    c.prepare(
         "UPDATE endpoints SET url = ?, description = ?, event_types = ?, headers = ?,"
         " disabled = ?, disabled_reason = ?, max_in_flight = ?, rate_limit = ?, ordering = ?,"
         " failing_since = ?, updated_at = ?, tls_client_certificate = ?,"
         " tls_client_key_sealed = ? WHERE id = ?")
        .bind_all(e.url, e.description, encode_event_types(e.event_types),
                  encode_header_column(e.headers, header_sealer_), e.disabled, e.disabled_reason,
                  e.max_in_flight, e.rate_limit, ordering_name(e.ordering), e.failing_since,
                  e.updated_at, e.tls_client_certificate, e.tls_client_key_sealed, e.id)
        .run();
    if (e.disabled != found->disabled || e.ordering != found->ordering) settle_queue(c, e.id);
    tx.commit();
    return e;
  });
}

Result<void> SqliteStore::delete_endpoint(std::string_view tenant_id, std::string_view id) {
  return write([&](Connection& c) -> Result<void> {
    WriteTransaction tx(c);
    c.prepare("DELETE FROM endpoints WHERE tenant_id = ? AND id = ?").bind_all(tenant_id, id).run();
    if (c.changes() == 0) return store_rules::fail_not_found(Resource::endpoint);
    // Its queue ends here: pending deliveries become dead letters (kept for the record).
    c.prepare(
         "UPDATE deliveries SET status = 'dead', claimable_at = NULL, lease_owner = NULL,"
         " lease_expires_at = NULL, updated_at = ? WHERE endpoint_id = ? AND status = 'pending'")
        .bind_all(wall_clock_ms(), id)
        .run();
    const int dead = c.changes();
    count_deliveries(c, DeliveryStatus::pending, -dead);
    count_deliveries(c, DeliveryStatus::dead, dead);
    tx.commit();
    subscriptions_.erase(std::string(id));
    return {};
  });
}

Result<Endpoint> SqliteStore::rotate_endpoint_secret(std::string_view tenant_id,
                                                     std::string_view id,
                                                     std::string_view new_secret_sealed,
                                                     Millis previous_expires_at, Millis now) {
  return write([&](Connection& c) -> Result<Endpoint> {
    WriteTransaction tx(c);
    c.prepare(
         "UPDATE endpoints SET previous_secret_sealed = secret_sealed,"
         " previous_secret_expires_at = ?, secret_sealed = ?, updated_at = ?"
         " WHERE tenant_id = ? AND id = ?")
        .bind_all(previous_expires_at, new_secret_sealed, now, tenant_id, id)
        .run();
    if (c.changes() == 0) return store_rules::fail_not_found(Resource::endpoint);
    auto e = find_endpoint(c, tenant_id, id, header_sealer_);
    tx.commit();
    return *e;
  });
}

Result<std::optional<std::string>> SqliteStore::sample_sealed_secret() {
  return read([&](Connection& c) -> Result<std::optional<std::string>> {
    auto st = c.prepare("SELECT secret_sealed FROM endpoints LIMIT 1");
    if (!st.step()) return std::nullopt;
    return st.text_at(0);
  });
}

Result<std::optional<std::string>> SqliteStore::reseal_endpoint_secrets(
    std::string_view after, int limit, const SecretResealer& reseal,
    const MasterKeyCheckUpdate& key_check) {
  return write([&](Connection& c) -> Result<std::optional<std::string>> {
    WriteTransaction tx(c);
    std::vector<std::string> ids, headers;
    std::vector<SealedEndpointValues> rows;
    auto st = c.prepare(
                   "SELECT id, secret_sealed, previous_secret_sealed, tls_client_key_sealed,"
                   " headers FROM endpoints WHERE id > ? ORDER BY id LIMIT ?")
                  .bind_all(after, limit);
    while (st.step()) {
      ids.push_back(st.text_at(0));
      rows.push_back({st.text_at(1), st.optional_text_at(2), st.optional_text_at(3), {}});
      headers.push_back(st.text_at(4));
      std::string sealed_headers;
      if (sealed_header_column(headers.back(), &sealed_headers)) {
        rows.back().header_list = sealed_headers;
      }
    }
    for (std::size_t i = 0; i < rows.size(); ++i) {
      auto resealed = reseal_values(rows[i], reseal);
      if (!resealed) return std::unexpected(resealed.error());
      if (resealed->header_list) headers[i] = sealed_header_column_text(*resealed->header_list);
      c.prepare(
           "UPDATE endpoints SET secret_sealed = ?, previous_secret_sealed = ?,"
           " tls_client_key_sealed = ?, headers = ? WHERE id = ?")
          .bind_all(resealed->current, resealed->previous, resealed->client_key, headers[i],
                    ids[i])
          .run();
    }
    const bool done = std::cmp_less(rows.size(), limit);
    c.prepare(
         "INSERT INTO settings (key, value) VALUES (?, ?)"
         " ON CONFLICT (key) DO UPDATE SET value = excluded.value")
        .bind_all(kMasterKeyCheckSetting, done ? key_check.when_done : key_check.while_resealing)
        .run();
    tx.commit();
    if (ids.empty()) return std::optional<std::string>();
    return std::optional<std::string>(ids.back());
  });
}

Result<int> SqliteStore::seal_plain_headers(int limit) {
  const HeaderSealer* sealer = header_sealer_;
  if (!sealer) return fail(Errc::internal, "seal_plain_headers: no master key given");
  return write([&](Connection& c) -> Result<int> {
    WriteTransaction tx(c);
    std::vector<std::pair<std::string, std::string>> rows;
    // The plain form is a JSON array (starts with '['); the sealed one a JSON string.
    auto st = c.prepare("SELECT id, headers FROM endpoints WHERE headers LIKE '[%' LIMIT ?")
                  .bind_all(limit);
    while (st.step()) rows.emplace_back(st.text_at(0), st.text_at(1));
    for (const auto& [id, plain] : rows) {
      c.prepare("UPDATE endpoints SET headers = ? WHERE id = ?")
          .bind_all(encode_header_column(decode_header_column(plain, nullptr), sealer), id)
          .run();
    }
    tx.commit();
    return static_cast<int>(rows.size());
  });
}

}  // namespace axon::sqlite
