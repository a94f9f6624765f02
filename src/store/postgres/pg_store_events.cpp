// PostgresStore: ingest (idempotency + fan-out), events, deliveries and replays.
#include "store/postgres/pg_page.hpp"
#include "store/postgres/pg_rows.hpp"
#include "store/postgres/postgres_store.hpp"
#include "store/rules.hpp"

namespace axon::pg {
namespace {


// A PostgreSQL text[] literal: {"a","b"} with " and \ escaped.
std::string text_array(const std::vector<std::string>& items) {
  std::string out = "{";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    out += '"';
    for (char c : items[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

std::string select_event(std::string_view where) {
  return std::string("SELECT ").append(kEventColumns).append(" FROM axon.events v ").append(where);
}

std::string select_delivery(std::string_view where) {
  return std::string("SELECT ")
      .append(kDeliveryColumns)
      .append(" FROM axon.deliveries d ")
      .append(kLastAttemptJoin)
      .append(" ")
      .append(where);
}

Delivery load_delivery(Transaction& tx, std::string_view tenant_id, std::string_view id) {
  PgResult r =
      tx.exec(select_delivery("WHERE d.tenant_id = $1 AND d.id = $2"), Params(tenant_id, id));
  if (r.rows() == 0) raise(store_rules::not_found(Resource::delivery));
  return read_delivery(r, 0);
}

}  // namespace

Result<IngestResult> PostgresStore::ingest_event(
    const NewEvent& event, Millis now, const std::function<std::string()>& new_delivery_id) {
  return transact("ingest_event", [&](Transaction& tx) {
    if (event.idempotency_key) {
      // Same lock as axon.emit_event: concurrent requests with one key create one event.
      tx.exec("SELECT axon.lock_idempotency_key($1, $2)",
              Params(event.tenant_id, *event.idempotency_key));
      PgResult earlier =
          tx.exec(select_event("JOIN axon.idempotency_keys k ON k.event_id = v.id "
                               "WHERE k.tenant_id = $1 AND k.key = $2 AND v.tenant_id = $1 "
                               "AND $3 - k.created_at < $4"),
                  Params(event.tenant_id, *event.idempotency_key, now, store_rules::kIdempotencyWindowMs));
      if (earlier.rows() > 0) return IngestResult{read_event(earlier, 0), true};
    }
    PgResult endpoints = tx.exec(
        "SELECT e.id FROM axon.endpoints e WHERE e.tenant_id = $1 AND NOT e.disabled "
        "AND e.operational = $3 AND axon.subscriptions_match(e.event_types, $2) ORDER BY e.id",
        Params(event.tenant_id, event.type, event.operational));
    std::vector<std::string> endpoint_ids, delivery_ids;
    for (int row = 0; row < endpoints.rows(); ++row) {
      endpoint_ids.push_back(endpoints.text(row, 0));
      delivery_ids.push_back(new_delivery_id());
    }
    Event stored{event.id,        event.tenant_id,       event.type,
                 event.payload,   event.idempotency_key, static_cast<int>(endpoint_ids.size()),
                 event.created_at};
    // An operational event nobody listens to is not worth a row (they can be frequent).
    if (event.operational && endpoint_ids.empty()) return IngestResult{std::move(stored), false};
    PgResult inserted = tx.exec(
        "INSERT INTO axon.events (id, tenant_id, type, payload, idempotency_key, deliveries, "
        "created_at) SELECT $1, $2, $3, $4, $5, $6, $7 "
        "WHERE EXISTS (SELECT 1 FROM axon.tenants WHERE id = $2) RETURNING id",
        Params(stored.id, stored.tenant_id, stored.type, stored.payload, stored.idempotency_key,
               stored.deliveries, stored.created_at));
    if (inserted.rows() == 0) raise(store_rules::not_found(Resource::tenant));
    if (!endpoint_ids.empty()) {
      // The whole fan-out in one statement.
      tx.exec(
          "INSERT INTO axon.deliveries (id, tenant_id, event_id, endpoint_id, event_type, status, "
          "attempts, series_start, next_attempt_at, created_at, updated_at) "
          "SELECT u.id, $3, $4, u.endpoint_id, $5, 'pending', 0, 0, $6, $6, $6 "
          "FROM unnest($1::text[], $2::text[]) AS u (id, endpoint_id)",
          Params(text_array(delivery_ids), text_array(endpoint_ids), stored.tenant_id, stored.id,
                 stored.type, now));
      tx.notify_work();
    }
    if (event.idempotency_key) {
      // Takes the key, or takes it over from an event older than the window.
      tx.exec(
          "INSERT INTO axon.idempotency_keys (tenant_id, key, event_id, created_at) "
          "VALUES ($1, $2, $3, $4) ON CONFLICT (tenant_id, key) DO UPDATE "
          "SET event_id = excluded.event_id, created_at = excluded.created_at",
          Params(stored.tenant_id, *event.idempotency_key, stored.id, now));
    }
    return IngestResult{std::move(stored), false};
  });
}

Result<Event> PostgresStore::get_event(std::string_view tenant_id, std::string_view id) {
  return transact("get_event", [&](Transaction& tx) {
    PgResult r =
        tx.exec(select_event("WHERE v.tenant_id = $1 AND v.id = $2"), Params(tenant_id, id));
    if (r.rows() == 0) raise(store_rules::not_found(Resource::event));
    return read_event(r, 0);
  });
}

Result<Page<Event>> PostgresStore::list_events(std::string_view tenant_id,
                                               const EventFilter& filter, const PageRequest& page) {
  return transact("list_events", [&](Transaction& tx) {
    PgResult r = tx.exec(
        select_event("WHERE v.tenant_id = $1 AND ($2::text IS NULL OR v.type = $2) "
                     "AND ($3::bigint IS NULL OR v.created_at >= $3) "
                     "AND ($4::bigint IS NULL OR v.created_at < $4) "
                     "AND ($5::text IS NULL OR v.id < $5) ORDER BY v.id DESC LIMIT $6"),
        Params(tenant_id, filter.type, filter.since, filter.until, page.after, page_fetch(page)));
    return make_page<Event>(r, page, read_event);
  });
}

Result<Delivery> PostgresStore::get_delivery(std::string_view tenant_id, std::string_view id) {
  return transact("get_delivery", [&](Transaction& tx) {
    Delivery d = load_delivery(tx, tenant_id, id);
    PgResult log = tx.exec(std::string("SELECT ").append(kAttemptColumns) +
                               " FROM axon.attempts a WHERE a.delivery_id = $1 "
                               "ORDER BY a.n",
                           Params(id));
    for (int row = 0; row < log.rows(); ++row) d.attempt_log.push_back(read_attempt(log, row, 0));
    return d;
  });
}

Result<Page<Delivery>> PostgresStore::list_deliveries(std::string_view tenant_id,
                                                      const DeliveryFilter& filter,
                                                      const PageRequest& page) {
  std::optional<std::string> status;
  if (filter.status) status = std::string(status_name(*filter.status));
  return transact("list_deliveries", [&](Transaction& tx) {
    PgResult r =
        tx.exec(select_delivery("WHERE d.tenant_id = $1 AND ($2::text IS NULL OR d.status = $2) "
                                "AND ($3::text IS NULL OR d.endpoint_id = $3) "
                                "AND ($4::text IS NULL OR d.event_id = $4) "
                                "AND ($5::text IS NULL OR d.id < $5) ORDER BY d.id DESC LIMIT $6"),
                Params(tenant_id, status, filter.endpoint_id, filter.event_id, page.after,
                       page_fetch(page)));
    return make_page<Delivery>(r, page, read_delivery);
  });
}

Result<Delivery> PostgresStore::replay_delivery(std::string_view tenant_id, std::string_view id,
                                                Millis now) {
  return transact("replay_delivery", [&](Transaction& tx) {
    PgResult r = tx.exec(
        "SELECT d.status, e.id IS NULL FROM axon.deliveries d "
        "LEFT JOIN axon.endpoints e ON e.id = d.endpoint_id "
        "WHERE d.tenant_id = $1 AND d.id = $2 FOR UPDATE OF d",
        Params(tenant_id, id));
    if (r.rows() == 0) raise(store_rules::not_found(Resource::delivery));
    if (r.view(0, 0) != "dead") {
      raise(Errc::conflict, "only a dead delivery can be replayed; this one is " + r.text(0, 0));
    }
    if (r.boolean(0, 1)) raise(Errc::conflict, "the delivery's endpoint was deleted");
    tx.exec(
        "UPDATE axon.deliveries SET status = 'pending', next_attempt_at = $2, "
        "series_start = attempts, lease_owner = NULL, lease_expires_at = NULL, updated_at = $2 "
        "WHERE id = $1",
        Params(id, now));
    tx.notify_work();
    return load_delivery(tx, tenant_id, id);
  });
}

Result<int> PostgresStore::replay_dead_since(std::string_view tenant_id,
                                             std::string_view endpoint_id, Millis since, Millis now,
                                             int limit) {
  return transact("replay_dead_since", [&](Transaction& tx) {
    PgResult ep = tx.exec("SELECT 1 FROM axon.endpoints WHERE tenant_id = $1 AND id = $2",
                          Params(tenant_id, endpoint_id));
    if (ep.rows() == 0) raise(store_rules::not_found(Resource::endpoint));
    // The batch is picked once in a CTE: an IN (subquery … LIMIT … FOR UPDATE) may be
    // re-run by the planner and then skip rows this statement already updated.
    PgResult r = tx.exec(
        "WITH picked AS (SELECT id FROM axon.deliveries WHERE tenant_id = $1 "
        "AND endpoint_id = $2 AND status = 'dead' AND created_at >= $3 "
        "ORDER BY created_at, id LIMIT $5 FOR UPDATE) "
        "UPDATE axon.deliveries AS d SET status = 'pending', next_attempt_at = $4, "
        "series_start = d.attempts, lease_owner = NULL, lease_expires_at = NULL, "
        "updated_at = $4 FROM picked WHERE d.id = picked.id RETURNING d.id",
        Params(tenant_id, endpoint_id, since, now, store_rules::clamp_page_limit(limit)));
    if (r.rows() > 0) tx.notify_work();
    return r.rows();
  });
}

}  // namespace axon::pg
