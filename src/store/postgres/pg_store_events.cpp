// PostgresStore: ingest (idempotency + fan-out), events, deliveries and replays.
#include <algorithm>
#include <map>

#include "store/postgres/pg_counts.hpp"
#include "store/postgres/pg_page.hpp"
#include "store/postgres/pg_queue.hpp"
#include "store/postgres/pg_rows.hpp"
#include "store/postgres/postgres_store.hpp"
#include "store/rules.hpp"

namespace axon::pg {
namespace {


// A PostgreSQL array literal: {"a",NULL,"b"} with " and \ escaped (also for numbers,
// cast on the SQL side: $1::bigint[]).
template <class Item>
std::string array_literal(const std::vector<Item>& items) {
  std::string out = "{";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    const std::optional<std::string_view> item = items[i];
    if (!item) {
      out += "NULL";
      continue;
    }
    out += '"';
    for (char c : *item) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

std::string text_array(const std::vector<std::string>& items) { return array_literal(items); }

std::string number_array(const std::vector<std::int64_t>& numbers) {
  std::vector<std::string> items;
  items.reserve(numbers.size());
  for (std::int64_t n : numbers) items.push_back(std::to_string(n));
  return array_literal(items);
}

std::string select_event(std::string_view where) {
  return std::string("SELECT ").append(kEventColumns).append(" FROM axon.events v ").append(where);
}

std::string select_delivery(std::string_view where) {
  return std::string("SELECT ")
      .append(kDeliveryColumns)
      .append(" FROM axon.deliveries d ")
      .append(kDeliveryJoins)
      .append(" ")
      .append(where);
}

// A page of a tenant's deliveries, newest first, walked on an index with no status in it
// (deliveries_of_tenant, or deliveries_of_endpoint / deliveries_by_event when filtered), so
// that an outcome never writes an index entry (migration kHotOutcomes). Without a status, or
// with 'pending' (the newest deliveries), that reads about a page; 'succeeded' walks past
// the pending and dead deliveries newer than the page. Dead letters have their own partial
// indexes on `dead` (the predicate has to be named for the planner to use them), so their
// list reads only dead deliveries however many succeeded. The order is id COLLATE "C", the
// order of those indexes, which the primary key cannot give (see the migration for why).
std::string list_deliveries_sql(bool dead_only) {
  return std::string("WITH page AS MATERIALIZED (SELECT * FROM axon.deliveries d ")
      .append(dead_only ? "WHERE d.dead AND d.tenant_id = $1 AND $2::text = 'dead' "
                        : "WHERE d.tenant_id = $1 AND ($2::text IS NULL OR d.status = $2) ")
      .append("AND ($3::text IS NULL OR d.endpoint_id = $3) "
              "AND ($4::text IS NULL OR d.event_id = $4) "
              "AND ($5::text IS NULL OR d.id COLLATE \"C\" < $5) "
              "ORDER BY d.id COLLATE \"C\" DESC LIMIT $6) SELECT ")
      .append(kDeliveryColumns)
      .append(" FROM page d ")
      .append(kDeliveryJoins)
      .append(" ORDER BY d.id COLLATE \"C\" DESC");
}

const std::string kListDeliveries = list_deliveries_sql(false);
const std::string kListDeadLetters = list_deliveries_sql(true);

constexpr std::string_view kIngestEvent =
    "SELECT * FROM axon.ingest_event($1, $2, $3, $4, $5, $6::bigint, $7::bigint, $8::boolean, "
    "$9::bigint, $10::text[], $11::boolean)";

Delivery load_delivery(Transaction& tx, std::string_view tenant_id, std::string_view id) {
  PgResult r =
      tx.exec(select_delivery("WHERE d.tenant_id = $1 AND d.id = $2"), Params(tenant_id, id));
  if (r.rows() == 0) raise(store_rules::not_found(Resource::delivery));
  return read_delivery(r, 0);
}

}  // namespace

// One call of axon.ingest_event (migration kOneCallIngest: the rules and the outcomes are
// described there), with as many delivery ids as the tenant's last event fanned out to; when
// more endpoints match, the function stores nothing and says how many ids it needs.
Result<IngestResult> PostgresStore::ingest_event(
    const NewEvent& event, Millis now, const std::function<std::string()>& new_delivery_id) {
  constexpr int kMaxCalls = 4;  // a call per rise of the fan-out while endpoints are added
  std::vector<std::string> delivery_ids;
  std::size_t wanted = fan_out_hints_.get(event.tenant_id);
  for (int call = 1;; ++call) {
    while (delivery_ids.size() < wanted) delivery_ids.push_back(new_delivery_id());
    int runs = 0;  // autocommit runs it again after a broken connection: p_rerun
    auto answer = autocommit("ingest_event", [&](PgConnection& conn) -> std::optional<IngestResult> {
      PgResult r = conn.exec(kIngestEvent,
                             Params(event.tenant_id, event.id, event.type, event.payload,
                                    event.idempotency_key, event.created_at, now,
                                    event.operational, store_rules::kIdempotencyWindowMs,
                                    text_array(delivery_ids), ++runs > 1));
      const std::string outcome = r.text(0, 7);
      const int deliveries = r.i32(0, 5);
      if (outcome == "replayed") return IngestResult{read_event(r, 0), true};
      if (outcome == "no_tenant") raise(store_rules::not_found(Resource::tenant));
      if (outcome == "need_ids") {
        wanted = static_cast<std::size_t>(deliveries);
        return std::nullopt;
      }
      return IngestResult{Event{event.id, event.tenant_id, event.type, event.payload,
                                event.idempotency_key, deliveries, event.created_at},
                          false};
    });
    if (!answer) return std::unexpected(answer.error());
    if (*answer) {
      if (!(*answer)->replayed) fan_out_hints_.put(event.tenant_id, (*answer)->event.deliveries);
      return std::move(**answer);
    }
    fan_out_hints_.put(event.tenant_id, static_cast<int>(wanted));
    if (call == kMaxCalls) {
      return fail(Errc::unavailable,
                  "ingest_event: the tenant's endpoints kept changing; try again");
    }
  }
}

// Set-based: a handful of statements per call whatever its size (one multi-row INSERT per
// table from arrays), so a batch of 1,000 costs about what one event does in round trips.
Result<std::vector<IngestResult>> PostgresStore::ingest_events(
    std::span<const NewEvent> events, Millis now,
    const std::function<std::string()>& new_delivery_id) {
  if (events.empty()) return std::vector<IngestResult>{};
  const std::string& tenant_id = events.front().tenant_id;
  return transact("ingest_events", [&](Transaction& tx) {
    std::vector<std::string> keys, types;
    for (const NewEvent& event : events) {
      if (event.tenant_id != tenant_id || event.operational) {
        raise(Errc::internal, "ingest_events takes normal events of one tenant");
      }
      if (event.idempotency_key) keys.push_back(*event.idempotency_key);
      types.push_back(event.type);
    }
    std::ranges::sort(keys);
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    std::ranges::sort(types);
    types.erase(std::unique(types.begin(), types.end()), types.end());

    PgResult tenant =
        tx.exec("SELECT 1 FROM axon.tenants WHERE id = $1 FOR KEY SHARE", Params(tenant_id));
    if (tenant.rows() == 0) raise(Errc::not_found, "no such tenant");

    // Keys already taken within the window; locked in a fixed (sorted) order like
    // axon.emit_event's, so concurrent calls cannot deadlock on them.
    std::map<std::string, Event, std::less<>> earlier;
    if (!keys.empty()) {
      tx.exec("SELECT axon.lock_idempotency_key($1, s.k) "
              "FROM (SELECT k FROM unnest($2::text[]) AS k ORDER BY k) AS s",
              Params(tenant_id, text_array(keys)));
      PgResult taken = tx.exec(
          select_event("JOIN axon.idempotency_keys k ON k.event_id = v.id "
                       "WHERE k.tenant_id = $1 AND k.key = ANY($2::text[]) AND v.tenant_id = $1 "
                       "AND $3 - k.created_at < $4"),
          Params(tenant_id, text_array(keys), now, store_rules::kIdempotencyWindowMs));
      for (int row = 0; row < taken.rows(); ++row) {
        Event event = read_event(taken, row);
        std::string key = event.idempotency_key.value_or("");
        earlier.emplace(std::move(key), std::move(event));
      }
    }

    // Each type's matching endpoints, in id order (as ingest_event fans out).
    std::map<std::string, std::vector<std::string>, std::less<>> targets;
    PgResult matches = tx.exec(
        "SELECT t.type, e.id FROM unnest($2::text[]) AS t (type) JOIN axon.endpoints e "
        "ON e.tenant_id = $1 AND NOT e.disabled AND NOT e.operational "
        "AND axon.subscriptions_match(e.event_types, t.type) ORDER BY e.id",
        Params(tenant_id, text_array(types)));
    for (int row = 0; row < matches.rows(); ++row) {
      targets[matches.text(row, 0)].push_back(matches.text(row, 1));
    }

    std::vector<IngestResult> results;
    results.reserve(events.size());
    std::map<std::string_view, std::size_t> taken_here;  // key -> result index
    std::vector<std::string> ids, event_types, payloads, d_ids, d_events, d_endpoints, d_types;
    std::vector<std::optional<std::string>> event_keys;
    std::vector<std::int64_t> counts, created;
    for (const NewEvent& event : events) {
      if (event.idempotency_key) {
        if (auto it = earlier.find(*event.idempotency_key); it != earlier.end()) {
          results.push_back({it->second, true});
          continue;
        }
        if (auto it = taken_here.find(*event.idempotency_key); it != taken_here.end()) {
          results.push_back({results[it->second].event, true});
          continue;
        }
        taken_here.emplace(*event.idempotency_key, results.size());
      }
      auto fan_out = targets.find(event.type);
      const std::size_t n = fan_out == targets.end() ? 0 : fan_out->second.size();
      for (std::size_t i = 0; i < n; ++i) {
        d_ids.push_back(new_delivery_id());
        d_events.push_back(event.id);
        d_endpoints.push_back(fan_out->second[i]);
        d_types.push_back(event.type);
      }
      ids.push_back(event.id);
      event_types.push_back(event.type);
      payloads.push_back(event.payload);
      event_keys.push_back(event.idempotency_key);
      counts.push_back(static_cast<std::int64_t>(n));
      created.push_back(event.created_at);
      results.push_back({Event{event.id, tenant_id, event.type, event.payload,
                               event.idempotency_key, static_cast<int>(n), event.created_at},
                         false});
    }
    if (ids.empty()) return results;
    tx.exec(
        "INSERT INTO axon.events (id, tenant_id, type, payload, idempotency_key, deliveries, "
        "created_at) SELECT u.id, $1, u.type, u.payload, u.key, u.deliveries, u.created_at "
        "FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::bigint[]) "
        "AS u (id, type, payload, key, deliveries, created_at)",
        Params(tenant_id, text_array(ids), text_array(event_types), text_array(payloads),
               array_literal(event_keys), number_array(counts), number_array(created)));
    if (!d_ids.empty()) {
      tx.exec(
          "WITH made AS (INSERT INTO axon.deliveries (id, tenant_id, event_id, endpoint_id, "
          "event_type, status, attempts, series_start, next_attempt_at, created_at, updated_at) "
          "SELECT u.id, $1, u.event_id, u.endpoint_id, u.event_type, 'pending', 0, 0, $6, $6, $6 "
          "FROM unnest($2::text[], $3::text[], $4::text[], $5::text[]) "
          "AS u (id, event_id, endpoint_id, event_type) "
          "RETURNING id, endpoint_id) " AXON_PG_QUEUE_MADE("$1", "$6"),
          Params(tenant_id, text_array(d_ids), text_array(d_events), text_array(d_endpoints),
                 text_array(d_types), now));
      tx.notify_work();
    }
    if (!taken_here.empty()) {
      std::vector<std::string> new_keys, key_events;
      for (const auto& [key, index] : taken_here) {
        new_keys.emplace_back(key);
        key_events.push_back(results[index].event.id);
      }
      tx.exec(
          "INSERT INTO axon.idempotency_keys (tenant_id, key, event_id, created_at) "
          "SELECT $1, u.key, u.event_id, $4 FROM unnest($2::text[], $3::text[]) "
          "AS u (key, event_id) ON CONFLICT (tenant_id, key) DO UPDATE "
          "SET event_id = excluded.event_id, created_at = excluded.created_at",
          Params(tenant_id, text_array(new_keys), text_array(key_events), now));
    }
    return results;
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
    const bool dead_only = filter.status == DeliveryStatus::dead;
    PgResult r = tx.exec(dead_only ? kListDeadLetters : kListDeliveries,
                         Params(tenant_id, status, filter.endpoint_id, filter.event_id,
                                page.after, page_fetch(page)));
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
        "WITH moved AS (UPDATE axon.deliveries SET status = 'pending', next_attempt_at = $2, "
        "series_start = attempts, updated_at = $2 "
        "WHERE id = $1 RETURNING id, tenant_id, endpoint_id, next_attempt_at, "
        "'dead'::text AS old_status, status AS new_status), "
        AXON_PG_COUNT_MOVES ", " AXON_PG_REQUEUE_MOVED " SELECT 1",
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
        "WITH picked AS (SELECT id FROM axon.deliveries WHERE dead AND tenant_id = $1 "
        "AND endpoint_id = $2 AND created_at >= $3 "
        "ORDER BY created_at, id LIMIT $5 FOR UPDATE), "
        "moved AS (UPDATE axon.deliveries AS d SET status = 'pending', next_attempt_at = $4, "
        "series_start = d.attempts, updated_at = $4 FROM picked WHERE d.id = picked.id "
        "RETURNING d.id, d.tenant_id, d.endpoint_id, d.next_attempt_at, "
        "'dead'::text AS old_status, d.status AS new_status), "
        AXON_PG_COUNT_MOVES ", " AXON_PG_REQUEUE_MOVED " SELECT id FROM moved",
        Params(tenant_id, endpoint_id, since, now, store_rules::clamp_page_limit(limit)));
    if (r.rows() > 0) tx.notify_work();
    return r.rows();
  });
}

}  // namespace axon::pg
