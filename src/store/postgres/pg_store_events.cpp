// PostgresStore: ingest (idempotency + fan-out), events, deliveries and replays.
#include <algorithm>

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
      .append(
          "AND ($3::text IS NULL OR d.endpoint_id = $3) "
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

constexpr std::string_view kIngestEvents =
    "SELECT * FROM axon.ingest_events($1, $2::text[], $3::text[], $4::text[], $5::text[], "
    "$6::bigint[], $7::bigint, $8::bigint, $9::text[], $10::boolean)";

Delivery load_delivery(Transaction& tx, std::string_view tenant_id, std::string_view id) {
  PgResult r =
      tx.exec(select_delivery("WHERE d.tenant_id = $1 AND d.id = $2"), Params(tenant_id, id));
  if (r.rows() == 0) raise(store_rules::not_found(Resource::delivery));
  return read_delivery(r, 0);
}

}  // namespace

// The loop of ingest_event and ingest_events: draws delivery ids up to `wanted` and runs
// `call(conn, ids, rerun, wanted)`, one call of the store function with the ids as a text[]
// literal (`rerun` after a broken connection, see autocommit). `call` answers the result, or
// std::nullopt after raising `wanted` when the function stored nothing for want of ids; the
// ids drawn are kept for the next call, in order.
template <class T, class Call>
Result<T> PostgresStore::call_with_delivery_ids(std::string_view what, std::size_t wanted,
                                                const std::function<std::string()>& new_delivery_id,
                                                Call&& call) {
  constexpr int kMaxCalls = 4;  // a call per rise of the fan-out while endpoints are added
  std::vector<std::string> delivery_ids;
  for (int calls = 1;; ++calls) {
    while (delivery_ids.size() < wanted) delivery_ids.push_back(new_delivery_id());
    int runs = 0;
    auto answer = autocommit(what, [&](PgConnection& conn) -> std::optional<T> {
      return call(conn, text_array(delivery_ids), ++runs > 1, wanted);
    });
    if (!answer) return std::unexpected(answer.error());
    if (*answer) return std::move(**answer);
    if (calls == kMaxCalls) {
      return fail(Errc::unavailable,
                  std::string(what) + ": the tenant's endpoints kept changing; try again");
    }
  }
}

// One call of axon.ingest_event (migration kOneCallIngest: the rules and the outcomes are
// described there), with as many delivery ids as the tenant's last event fanned out to; when
// more endpoints match, the function stores nothing and says how many ids it needs.
Result<IngestResult> PostgresStore::ingest_event(
    const NewEvent& event, Millis now, const std::function<std::string()>& new_delivery_id) {
  auto result = call_with_delivery_ids<IngestResult>(
      "ingest_event", fan_out_hints_.get(event.tenant_id), new_delivery_id,
      [&](PgConnection& conn, const std::string& delivery_ids, bool rerun,
          std::size_t& wanted) -> std::optional<IngestResult> {
        PgResult r = conn.exec(
            kIngestEvent, Params(event.tenant_id, event.id, event.type, event.payload,
                                 event.idempotency_key, event.created_at, now, event.operational,
                                 store_rules::kIdempotencyWindowMs, delivery_ids, rerun));
        const std::string outcome = r.text(0, 7);
        const int deliveries = r.i32(0, 5);
        if (outcome == "replayed") return IngestResult{read_event(r, 0), true};
        if (outcome == "no_tenant") raise(store_rules::not_found(Resource::tenant));
        if (outcome == "need_ids") {
          wanted = static_cast<std::size_t>(deliveries);
          fan_out_hints_.put(event.tenant_id, deliveries);
          return std::nullopt;
        }
        return IngestResult{Event{event.id, event.tenant_id, event.type, event.payload,
                                  event.idempotency_key, deliveries, event.created_at},
                            false};
      });
  if (result && !result->replayed) fan_out_hints_.put(event.tenant_id, result->event.deliveries);
  return result;
}

// One call of axon.ingest_events (migration kOneCallBatchIngest: the rules and the outcomes
// are described there), whatever the batch's size, with as many delivery ids per event as
// the tenant's last event fanned out to; when more are needed, the function stores nothing
// and says how many.
Result<std::vector<IngestResult>> PostgresStore::ingest_events(
    std::span<const NewEvent> events, Millis now,
    const std::function<std::string()>& new_delivery_id) {
  if (events.empty()) return std::vector<IngestResult>{};
  const std::string& tenant_id = events.front().tenant_id;
  std::vector<std::string> ids, types, payloads;
  std::vector<std::optional<std::string>> keys;
  std::vector<std::int64_t> created;
  bool any_key = false;
  for (const NewEvent& event : events) {
    if (event.tenant_id != tenant_id || event.operational) {
      return fail(Errc::internal, "ingest_events takes normal events of one tenant");
    }
    ids.push_back(event.id);
    types.push_back(event.type);
    payloads.push_back(event.payload);
    keys.push_back(event.idempotency_key);
    any_key = any_key || event.idempotency_key.has_value();
    created.push_back(event.created_at);
  }
  const std::string id_array = text_array(ids), type_array = text_array(types),
                    payload_array = text_array(payloads), created_array = number_array(created);
  const std::optional<std::string> key_array =
      any_key ? std::optional(array_literal(keys)) : std::nullopt;

  auto results = call_with_delivery_ids<std::vector<IngestResult>>(
      "ingest_events", fan_out_hints_.get(tenant_id) * events.size(), new_delivery_id,
      [&](PgConnection& conn, const std::string& delivery_ids, bool rerun,
          std::size_t& wanted) -> std::optional<std::vector<IngestResult>> {
        PgResult r = conn.exec(
            kIngestEvents,
            Params(tenant_id, id_array, type_array, payload_array, key_array, created_array, now,
                   store_rules::kIdempotencyWindowMs, delivery_ids, rerun));
        const std::string outcome = r.text(0, 7);
        if (outcome == "no_tenant") raise(store_rules::not_found(Resource::tenant));
        if (outcome == "need_ids") {
          wanted = static_cast<std::size_t>(r.i32(0, 5));
          fan_out_hints_.put(tenant_id,
                             static_cast<int>((wanted + events.size() - 1) / events.size()));
          return std::nullopt;
        }
        if (static_cast<std::size_t>(r.rows()) != events.size()) {
          raise(Errc::internal, "ingest_events: not one answer per event");
        }
        std::vector<IngestResult> answers;
        answers.reserve(events.size());
        for (int row = 0; row < r.rows(); ++row) {
          if (r.text(row, 7) == "replayed") {
            answers.push_back({read_event(r, row), true});
            continue;
          }
          const NewEvent& event = events[static_cast<std::size_t>(row)];
          answers.push_back({Event{event.id, tenant_id, event.type, event.payload,
                                   event.idempotency_key, r.i32(row, 5), event.created_at},
                             false});
        }
        return answers;
      });
  if (!results) return results;
  int widest = -1;  // the largest fan-out of an event stored by this call
  for (const IngestResult& result : *results) {
    if (!result.replayed) widest = std::max(widest, result.event.deliveries);
  }
  if (widest >= 0) fan_out_hints_.put(tenant_id, widest);
  return results;
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
        "WITH moved AS (UPDATE axon.deliveries SET status = 'pending', next_attempt_at = $2, "
        "series_start = attempts, updated_at = $2 "
        "WHERE id = $1 RETURNING id, tenant_id, endpoint_id, next_attempt_at, "
        "'dead'::text AS old_status, status AS new_status), " AXON_PG_COUNT_MOVES
        ", " AXON_PG_REQUEUE_MOVED " SELECT 1",
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
        "'dead'::text AS old_status, d.status AS new_status), " AXON_PG_COUNT_MOVES
        ", " AXON_PG_REQUEUE_MOVED " SELECT id FROM moved",
        Params(tenant_id, endpoint_id, since, now, store_rules::clamp_page_limit(limit)));
    if (r.rows() > 0) tx.notify_work();
    return r.rows();
  });
}

}  // namespace axon::pg
