// SqliteStore: ingest (idempotency + fan-out), events, deliveries and replays.
#include "core/subscription.hpp"
#include "store/sqlite/sqlite_store_internal.hpp"
#include "store/rules.hpp"

#define AXON_SQL_LAST_ATTEMPT_COLS                                              \
  "a.n, a.started_at, a.duration_ms, a.status_code, a.error, a.error_message, " \
  "a.response_excerpt"

namespace axon::sqlite {
namespace {

std::optional<Event> find_event(Connection& c, std::string_view tenant_id, std::string_view id) {
  auto st = c.prepare("SELECT " AXON_SQL_EVENT_COLS " FROM events WHERE tenant_id = ? AND id = ?")
                .bind_all(tenant_id, id);
  if (!st.step()) return std::nullopt;
  return read_event(st);
}

// The delivery with its full attempt log.
std::optional<Delivery> find_delivery(Connection& c, std::string_view tenant_id,
                                      std::string_view id) {
  auto st = c.prepare("SELECT " AXON_SQL_DELIVERY_COLS
                      " FROM deliveries d WHERE d.tenant_id = ? AND d.id = ?")
                .bind_all(tenant_id, id);
  if (!st.step()) return std::nullopt;
  Delivery d = read_delivery(st);
  auto log =
      c.prepare("SELECT " AXON_SQL_ATTEMPT_COLS " FROM attempts WHERE delivery_id = ? ORDER BY n")
          .bind_all(id);
  while (log.step()) d.attempt_log.push_back(read_attempt(log, 0));
  if (!d.attempt_log.empty()) d.last_attempt = d.attempt_log.back();
  return d;
}

// Makes a dead delivery pending again, due now, with a fresh retry series. The caller
// settles the endpoint's queue when the endpoint is disabled or FIFO.
void requeue(Connection& c, std::string_view delivery_id, Millis now) {
  c.prepare(
       "UPDATE deliveries SET status = 'pending', next_attempt_at = ?1, series_start = attempts,"
       " lease_owner = NULL, lease_expires_at = NULL, claimable_at = ?1, updated_at = ?1"
       " WHERE id = ?2 AND status = 'dead'")
      .bind_all(now, delivery_id)
      .run();
  const int moved = c.changes();
  count_deliveries(c, DeliveryStatus::dead, -moved);
  count_deliveries(c, DeliveryStatus::pending, moved);
}

}  // namespace

const std::optional<std::vector<std::string>>& SqliteStore::subscriptions(
    const std::string& endpoint_id, const std::optional<std::string>& json) {
  auto& cached = subscriptions_[endpoint_id];
  if (cached.json != json) {  // a new entry starts as nullopt = "all", right for NULL
    cached.json = json;
    cached.patterns = decode_event_types(json);
  }
  return cached.patterns;
}

// Group commit: concurrent ingests share one write transaction. A caller queues its call;
// the first to find no commit running becomes the leader and records every call queued by
// then (one call's failure does not undo the others, see ingest_batch) with one COMMIT, and
// goes on while more calls arrived meanwhile. Each call's `done` runs after the COMMIT.
// Fewer commits mean fewer WAL page writes per event, which is most of an event's cost.
// Callers of ingest_event(s) wait for their `done`; ingest_event_async returns at once (a
// committer thread leads for it), so an API thread never waits for the writer and any
// number of in-flight events share one commit. A lone caller is a batch of one.
Result<IngestResult> SqliteStore::ingest_event(
    const NewEvent& ev, Millis now, const std::function<std::string()>& new_delivery_id) {
  auto results = ingest_events(std::span(&ev, 1), now, new_delivery_id);
  if (!results) return std::unexpected(std::move(results.error()));
  return std::move(results->front());
}

Result<std::vector<IngestResult>> SqliteStore::ingest_events(
    std::span<const NewEvent> events, Millis now,
    const std::function<std::string()>& new_delivery_id) {
  std::optional<Result<std::vector<IngestResult>>> result;
  auto call = std::make_unique<PendingIngest>();
  call->events = events;
  call->now = now;
  call->new_delivery_id = &new_delivery_id;
  call->done = [this, &result](Result<std::vector<IngestResult>> r) {
    std::lock_guard lock(ingest_mu_);  // the waiter reads `result` only while holding it
    result = std::move(r);
    ingest_cv_.notify_all();
  };
  enqueue_ingest(std::move(call), /*may_lead=*/true);
  std::unique_lock lock(ingest_mu_);
  ingest_cv_.wait(lock, [&] { return result.has_value(); });
  return std::move(*result);
}

void SqliteStore::ingest_event_async(NewEvent event, Millis now,
                                     std::function<std::string()> new_delivery_id,
                                     IngestDone done) {
  auto call = std::make_unique<PendingIngest>();
  call->owned_event = std::move(event);
  call->owned_new_delivery_id = std::move(new_delivery_id);
  call->events = std::span(&call->owned_event, 1);
  call->now = now;
  call->new_delivery_id = &call->owned_new_delivery_id;
  call->done = [done = std::move(done)](Result<std::vector<IngestResult>> r) {
    if (!r) return done(std::unexpected(std::move(r.error())));
    done(std::move(r->front()));
  };
  enqueue_ingest(std::move(call), /*may_lead=*/false);
}

namespace {
// `done` must not throw: a throw would leave the leader role taken and every ingest waiting.
void finish(const std::function<void(Result<std::vector<IngestResult>>)>& done,
            Result<std::vector<IngestResult>> result) noexcept {
  done(std::move(result));
}
}  // namespace

void SqliteStore::enqueue_ingest(std::unique_ptr<PendingIngest> call, bool may_lead) {
  std::unique_lock lock(ingest_mu_);
  ingest_queue_.push_back(std::move(call));
  if (ingest_leader_) return;  // the running leader takes it in its next round
  if (may_lead) return lead_ingest(lock);
  if (!committer_.joinable()) committer_ = std::thread([this] { run_committer(); });
  committer_cv_.notify_one();
}

void SqliteStore::lead_ingest(std::unique_lock<std::mutex>& lock) {
  ingest_leader_ = true;
  while (!ingest_queue_.empty()) {
    std::vector<std::unique_ptr<PendingIngest>> batch;
    batch.swap(ingest_queue_);
    lock.unlock();
    auto results = ingest_batch(batch);
    for (std::size_t i = 0; i < batch.size(); ++i) finish(batch[i]->done, std::move(results[i]));
    batch.clear();
    lock.lock();
  }
  ingest_leader_ = false;
}

// Leads for async calls, so that no API thread waits for the writer (which the dispatcher
// may hold for a while); exits once stopping with nothing queued.
void SqliteStore::run_committer() {
  std::unique_lock lock(ingest_mu_);
  for (;;) {
    committer_cv_.wait(lock, [&] {
      return committer_stopping_ || (!ingest_queue_.empty() && !ingest_leader_);
    });
    if (!ingest_queue_.empty() && !ingest_leader_) {
      lead_ingest(lock);
    } else if (committer_stopping_) {
      return;
    }
  }
}

// Optimistic first: the calls run without a savepoint each, since a savepoint makes SQLite
// copy every page a call touches into its sub-journal (most of a single event's cost). A
// call that fails rolls that whole transaction back; a lone call's result is then its
// error, and a batch runs again with a savepoint per call, so one call's failure never
// undoes the others.
std::vector<Result<std::vector<IngestResult>>> SqliteStore::ingest_batch(
    const std::vector<std::unique_ptr<PendingIngest>>& batch) {
  std::vector<Result<std::vector<IngestResult>>> results;
  results.reserve(batch.size());
  // Returns false when a call failed outside a savepoint (nothing was committed).
  const auto run = [&](bool savepoints) {
    return write([&](Connection& c) -> Result<bool> {
      results.clear();
      WriteTransaction tx(c);
      FanOutCache fan_out;  // shared by the batch's calls: events of a tenant look up once
      for (const auto& p : batch) {
        if (savepoints) c.prepare("SAVEPOINT ingest").run();  // prepared once
        auto call = guarded([&] { return ingest_call(c, *p, fan_out); });
        if (savepoints && call) {
          c.prepare("RELEASE ingest").run();
        } else if (savepoints) {
          c.exec("ROLLBACK TO ingest; RELEASE ingest");
        } else if (!call) {
          results.assign(1, std::move(call));
          return false;
        }
        results.push_back(std::move(call));
      }
      tx.commit();
      return true;
    });
  };
  auto committed = run(/*savepoints=*/false);
  if (committed && !*committed && batch.size() > 1) committed = run(/*savepoints=*/true);
  if (!committed) {
    results.assign(batch.size(),
                   Result<std::vector<IngestResult>>(std::unexpected(committed.error())));
  }
  return results;
}

// One caller's events, all or nothing (the caller rolls the savepoint back on failure).
Result<std::vector<IngestResult>> SqliteStore::ingest_call(Connection& c,
                                                           const PendingIngest& call,
                                                           FanOutCache& fan_out) {
  std::vector<IngestResult> results;
  results.reserve(call.events.size());
  std::int64_t inserted = 0;  // pending deliveries, counted once per call
  for (const NewEvent& ev : call.events) {
    auto one = ingest_one(c, ev, call.now, *call.new_delivery_id, fan_out);
    if (!one) return std::unexpected(std::move(one.error()));
    if (!one->replayed) inserted += one->event.deliveries;
    results.push_back(std::move(*one));
  }
  count_deliveries(c, DeliveryStatus::pending, inserted);
  return results;
}

// One event of a batch, inside the batch's transaction (the caller holds the writer).
Result<IngestResult> SqliteStore::ingest_one(Connection& c, const NewEvent& ev, Millis now,
                                             const std::function<std::string()>& new_delivery_id,
                                             FanOutCache& fan_out) {
  if (ev.idempotency_key) {
    auto key = c.prepare(
                    "SELECT event_id, created_at FROM idempotency_keys"
                    " WHERE tenant_id = ? AND key = ?")
                   .bind_all(ev.tenant_id, *ev.idempotency_key);
    if (key.step() && now - key.int64_at(1) < store_rules::kIdempotencyWindowMs) {
      if (auto earlier = find_event(c, ev.tenant_id, key.text_at(0))) {
        return IngestResult{std::move(*earlier), true};
      }
    }
  }
  auto [cached, fresh] =
      fan_out.try_emplace(std::make_tuple(ev.tenant_id, ev.operational, ev.type));
  if (fresh) {
    auto tenant = c.prepare("SELECT 1 FROM tenants WHERE id = ?").bind_all(ev.tenant_id);
    if (!tenant.step()) {
      fan_out.erase(cached);
      return store_rules::fail_not_found(Resource::tenant);
    }
    auto eps = c.prepare(
                    "SELECT id, event_types, ordering FROM endpoints"
                    " WHERE tenant_id = ? AND disabled = 0 AND operational = ?")
                   .bind_all(ev.tenant_id, ev.operational);
    while (eps.step()) {
      std::string id = eps.text_at(0);
      if (subscriptions_match(subscriptions(id, eps.optional_text_at(1)), ev.type)) {
        cached->second.push_back(
            {std::move(id), parse_ordering(eps.text_at(2)) == Ordering::fifo});
      }
    }
  }
  const std::vector<FanOutTarget>& targets = cached->second;

  Event event{ev.id,        ev.tenant_id,       ev.type,
              ev.payload,   ev.idempotency_key, static_cast<int>(targets.size()),
              ev.created_at};
  // An operational event nobody listens to is not worth a row (they can be frequent).
  if (ev.operational && targets.empty()) return IngestResult{std::move(event), false};
  c.prepare("INSERT INTO events (" AXON_SQL_EVENT_COLS ") VALUES (?, ?, ?, ?, ?, ?, ?)")
      .bind_all(event.id, event.tenant_id, event.type, event.payload, event.idempotency_key,
                event.deliveries, event.created_at)
      .run();
  for (const auto& target : targets) {
    bool parked = false;
    if (target.fifo) {
      // Behind an earlier pending delivery of a FIFO endpoint: parked until it is the head.
      auto busy = c.prepare(
                       "SELECT 1 FROM deliveries WHERE endpoint_id = ? AND status = 'pending'"
                       " LIMIT 1")
                      .bind_all(target.endpoint_id);
      parked = busy.step();
    }
    auto insert =
        c.prepare(
             "INSERT INTO deliveries (id, tenant_id, event_id, endpoint_id, event_type,"
             " next_attempt_at, claimable_at, created_at, updated_at)"
             " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?6, ?6)")
            .bind_all(new_delivery_id(), ev.tenant_id, ev.id, target.endpoint_id, ev.type, now);
    if (parked) {
      insert.bind(7, std::nullopt);
    } else {
      insert.bind(7, now);
    }
    insert.run();
  }
  if (ev.idempotency_key) {
    // Takes the key, or takes it over from an event older than the window.
    c.prepare(
         "INSERT INTO idempotency_keys (tenant_id, key, event_id, created_at)"
         " VALUES (?, ?, ?, ?) ON CONFLICT (tenant_id, key) DO UPDATE"
         " SET event_id = excluded.event_id, created_at = excluded.created_at")
        .bind_all(ev.tenant_id, *ev.idempotency_key, ev.id, now)
        .run();
  }
  return IngestResult{std::move(event), false};
}

Result<Event> SqliteStore::get_event(std::string_view tenant_id, std::string_view id) {
  return read([&](Connection& c) -> Result<Event> {
    auto event = find_event(c, tenant_id, id);
    if (!event) return store_rules::fail_not_found(Resource::event);
    return *event;
  });
}

Result<Page<Event>> SqliteStore::list_events(std::string_view tenant_id, const EventFilter& filter,
                                             const PageRequest& page) {
  int limit = clamp_page_limit(page.limit);
  std::string sql = "SELECT " AXON_SQL_EVENT_COLS " FROM events WHERE tenant_id = ? AND id < ?";
  if (filter.type) sql += " AND type = ?";
  if (filter.since) sql += " AND created_at >= ?";
  if (filter.until) sql += " AND created_at < ?";
  sql += " ORDER BY id DESC LIMIT ?";
  return read([&](Connection& c) -> Result<Page<Event>> {
    auto st = c.prepare(sql.c_str());
    int i = 0;
    st.bind(++i, tenant_id);
    st.bind(++i, page_after(page));
    if (filter.type) st.bind(++i, *filter.type);
    if (filter.since) st.bind(++i, *filter.since);
    if (filter.until) st.bind(++i, *filter.until);
    st.bind(++i, limit + 1);
    std::vector<Event> rows;
    while (st.step()) rows.push_back(read_event(st));
    return make_page(std::move(rows), limit);
  });
}

Result<Delivery> SqliteStore::get_delivery(std::string_view tenant_id, std::string_view id) {
  return read([&](Connection& c) -> Result<Delivery> {
    ReadTransaction snapshot(c);
    auto delivery = find_delivery(c, tenant_id, id);
    if (!delivery) return store_rules::fail_not_found(Resource::delivery);
    return std::move(*delivery);
  });
}

Result<Page<Delivery>> SqliteStore::list_deliveries(std::string_view tenant_id,
                                                    const DeliveryFilter& filter,
                                                    const PageRequest& page) {
  int limit = clamp_page_limit(page.limit);
  std::string sql = "SELECT " AXON_SQL_DELIVERY_COLS ", " AXON_SQL_LAST_ATTEMPT_COLS
                    " FROM deliveries d LEFT JOIN attempts a ON a.delivery_id = d.id"
                    " AND a.n = (SELECT max(n) FROM attempts WHERE delivery_id = d.id)";
  // With an event id, the (event_id, id) index is the narrow one; the unary + keeps the
  // planner from walking the tenant's whole history instead.
  sql += filter.event_id ? " WHERE +d.tenant_id = ? AND d.id < ?"
                         : " WHERE d.tenant_id = ? AND d.id < ?";
  if (filter.status) sql += " AND d.status = ?";
  if (filter.endpoint_id) sql += " AND d.endpoint_id = ?";
  if (filter.event_id) sql += " AND d.event_id = ?";
  sql += " ORDER BY d.id DESC LIMIT ?";
  return read([&](Connection& c) -> Result<Page<Delivery>> {
    auto st = c.prepare(sql.c_str());
    int i = 0;
    st.bind(++i, tenant_id);
    st.bind(++i, page_after(page));
    if (filter.status) st.bind(++i, status_name(*filter.status));
    if (filter.endpoint_id) st.bind(++i, *filter.endpoint_id);
    if (filter.event_id) st.bind(++i, *filter.event_id);
    st.bind(++i, limit + 1);
    std::vector<Delivery> rows;
    while (st.step()) {
      rows.push_back(read_delivery(st));
      if (!st.is_null(AXON_SQL_DELIVERY_NCOLS)) {
        rows.back().last_attempt = read_attempt(st, AXON_SQL_DELIVERY_NCOLS);
      }
    }
    return make_page(std::move(rows), limit);
  });
}

Result<Delivery> SqliteStore::replay_delivery(std::string_view tenant_id, std::string_view id,
                                              Millis now) {
  return write([&](Connection& c) -> Result<Delivery> {
    WriteTransaction tx(c);
    auto st = c.prepare(
                   "SELECT d.status, e.disabled, e.ordering FROM deliveries d"
                   " LEFT JOIN endpoints e ON e.id = d.endpoint_id"
                   " WHERE d.tenant_id = ? AND d.id = ?")
                  .bind_all(tenant_id, id);
    if (!st.step()) return store_rules::fail_not_found(Resource::delivery);
    if (parse_status(st.text_at(0)) != DeliveryStatus::dead) {
      return fail(Errc::conflict,
                  "only a dead delivery can be replayed; this one is " + st.text_at(0));
    }
    if (st.is_null(1)) return fail(Errc::conflict, "the delivery's endpoint was deleted");
    bool settle = st.int_at(1) != 0 || parse_ordering(st.text_at(2)) == Ordering::fifo;
    requeue(c, id, now);
    if (settle) {
      auto endpoint = c.prepare("SELECT endpoint_id FROM deliveries WHERE id = ?").bind_all(id);
      endpoint.step();
      settle_queue(c, endpoint.text_at(0));
    }
    auto delivery = find_delivery(c, tenant_id, id);
    tx.commit();
    return std::move(*delivery);
  });
}

Result<int> SqliteStore::replay_dead_since(std::string_view tenant_id, std::string_view endpoint_id,
                                           Millis since, Millis now, int limit) {
  limit = clamp_page_limit(limit);
  return write([&](Connection& c) -> Result<int> {
    WriteTransaction tx(c);
    auto endpoint = find_endpoint(c, tenant_id, endpoint_id, header_sealer_);
    if (!endpoint) return store_rules::fail_not_found(Resource::endpoint);
    std::vector<std::string> ids;
    {
      auto st = c.prepare(
                     "SELECT id FROM deliveries WHERE endpoint_id = ? AND status = 'dead'"
                     " AND created_at >= ? ORDER BY created_at, id LIMIT ?")
                    .bind_all(endpoint_id, since, limit);
      while (st.step()) ids.push_back(st.text_at(0));
    }
    for (const auto& id : ids) requeue(c, id, now);
    if (!ids.empty() && (endpoint->disabled || endpoint->ordering == Ordering::fifo)) {
      settle_queue(c, endpoint_id);
    }
    tx.commit();
    return static_cast<int>(ids.size());
  });
}

}  // namespace axon::sqlite
