// PostgresStore: the dispatcher side (leases, attempt outcomes, due times).
#include <algorithm>
#include <memory>
#include <unordered_map>
#include <nlohmann/json.hpp>

#include "store/fair_claim.hpp"
#include "store/postgres/pg_counts.hpp"
#include "store/postgres/pg_rows.hpp"
#include "store/postgres/postgres_store.hpp"
#include "store/rules.hpp"

namespace axon::pg {
namespace {

// A pending delivery is claimable from max(next_attempt_at, lease_expires_at) (the
// expression the deliveries_claimable index is built on), oldest first, as in SQLite.
#define AXON_PG_CLAIMABLE_AT "greatest(d.next_attempt_at, coalesce(d.lease_expires_at, 0))"

// One statement per tenant visited (store/fair_claim.hpp): pick that tenant's claimable
// deliveries (skipping rows another claimer has locked), lease them, and return them joined
// with their endpoint; the event bodies are read once per event afterwards (kEventBodies). A FIFO endpoint offers
// only its oldest pending delivery (by id, i.e. creation order), and only while no other of
// its pending deliveries holds a live lease: at most one is in flight across all processes.
// (A lease always sets or clears lease_owner and lease_expires_at together, so
// `lease_owner IS NOT NULL` changes no result; it lets the planner pick the small partial
// deliveries_by_lease_owner index for "leased rows of this endpoint".)
constexpr std::string_view kClaimDue = R"sql(
WITH picked AS (
  SELECT d.id, )sql" AXON_PG_CLAIMABLE_AT R"sql( AS due
    FROM axon.deliveries d JOIN axon.endpoints e ON e.id = d.endpoint_id
   WHERE d.status = 'pending' AND d.tenant_id = $5 AND )sql" AXON_PG_CLAIMABLE_AT R"sql( <= $1
     AND NOT e.disabled
     AND (e.ordering <> 'fifo' OR (
           d.id = (SELECT min(o.id) FROM axon.deliveries o
                    WHERE o.endpoint_id = d.endpoint_id AND o.status = 'pending')
           AND NOT EXISTS (SELECT 1 FROM axon.deliveries o
                            WHERE o.lease_owner IS NOT NULL
                              AND o.endpoint_id = d.endpoint_id AND o.status = 'pending'
                              AND o.id <> d.id AND o.lease_expires_at > $1)))
   ORDER BY )sql" AXON_PG_CLAIMABLE_AT R"sql(, d.id
   LIMIT $2
   FOR UPDATE OF d SKIP LOCKED)
UPDATE axon.deliveries AS d
   SET lease_owner = $3, lease_expires_at = $1::bigint + $4::bigint
  FROM picked, axon.endpoints e
 WHERE d.id = picked.id AND e.id = d.endpoint_id
RETURNING d.id, d.tenant_id, d.event_id, d.event_type, d.endpoint_id, e.url, e.headers::text,
          e.secret_sealed,
          CASE WHEN e.previous_secret_expires_at > $1 THEN e.previous_secret_sealed END,
          NULL, d.attempts, d.series_start, e.max_in_flight, e.rate_limit, e.ordering,
          d.lease_expires_at, picked.due, e.operational, e.tls_client_certificate,
          e.tls_client_key_sealed
)sql";

// The tenants with pending deliveries in turn order: those after the cursor $1, then (when
// $1 is not empty) from the first one up to and including $1, in one statement (as the
// SQLite store walks them). A skip scan over deliveries_claimable_by_tenant: each step
// looks up the next tenant after the current one, or wraps around once; at most $2 tenants,
// each flagged when it has anything due at $3. Only the due ones come back, and the last one
// looked at when $2 ran out; the scan is demand-driven, so it stops after the $4 rows asked
// for.
constexpr std::string_view kDueTenants = R"sql(
WITH RECURSIVE t(tenant_id, n, wrapped) AS (
  SELECT f.tenant_id, 1, f.wrapped FROM (
    (SELECT d.tenant_id, false AS wrapped FROM axon.deliveries d
      WHERE d.status = 'pending' AND d.tenant_id > $1 ORDER BY d.tenant_id LIMIT 1)
    UNION ALL
    (SELECT d.tenant_id, true FROM axon.deliveries d
      WHERE d.status = 'pending' AND $1 <> '' ORDER BY d.tenant_id LIMIT 1)
    LIMIT 1) AS f
  UNION ALL
  SELECT f.tenant_id, t.n + 1, f.wrapped
    FROM t CROSS JOIN LATERAL (
      (SELECT d.tenant_id, t.wrapped AS wrapped FROM axon.deliveries d
        WHERE d.status = 'pending' AND d.tenant_id > t.tenant_id ORDER BY d.tenant_id LIMIT 1)
      UNION ALL
      (SELECT d.tenant_id, true FROM axon.deliveries d
        WHERE d.status = 'pending' AND NOT t.wrapped AND $1 <> '' ORDER BY d.tenant_id LIMIT 1)
      LIMIT 1) AS f
   WHERE t.n < $2 AND NOT (t.wrapped AND t.tenant_id >= $1)),
probed AS (
  SELECT t.tenant_id, t.n, EXISTS (
           SELECT 1 FROM axon.deliveries d
            WHERE d.tenant_id = t.tenant_id AND d.status = 'pending'
              AND )sql" AXON_PG_CLAIMABLE_AT R"sql( <= $3) AS due
    FROM t
   WHERE NOT (t.wrapped AND t.tenant_id > $1))
SELECT tenant_id, due FROM probed WHERE due OR n = $2 LIMIT $4
)sql";

constexpr std::string_view kEventBodies =
    "SELECT id, payload FROM axon.events WHERE id IN (SELECT json_array_elements_text($1::json))";

// Planner settings for the rest of the transaction (set_config(…, true) = SET LOCAL).
constexpr std::string_view kIndexedPlansOnly =
    "SELECT set_config('enable_seqscan', 'off', true), set_config('enable_sort', 'off', true), "
    "set_config('enable_hashjoin', 'off', true), set_config('enable_mergejoin', 'off', true), "
    "set_config('enable_bitmapscan', 'off', true)";

// The earliest claimable time over what claim_due could ever pick: for parallel endpoints
// the first entry of deliveries_claimable whose endpoint is enabled (an index walk that
// stops there, not a scan of the whole backlog); for each enabled FIFO endpoint its oldest
// pending delivery, once no other of its deliveries holds a lease.
constexpr std::string_view kNextDueAt = R"sql(
SELECT min(t) FROM (
  (SELECT )sql" AXON_PG_CLAIMABLE_AT R"sql( AS t
     FROM axon.deliveries d JOIN axon.endpoints e ON e.id = d.endpoint_id
    WHERE d.status = 'pending' AND NOT e.disabled AND e.ordering <> 'fifo'
    ORDER BY )sql" AXON_PG_CLAIMABLE_AT R"sql(, d.id
    LIMIT 1)
  UNION ALL
  SELECT greatest()sql" AXON_PG_CLAIMABLE_AT R"sql(,
           coalesce((SELECT max(o.lease_expires_at) FROM axon.deliveries o
                      WHERE o.lease_owner IS NOT NULL AND o.endpoint_id = d.endpoint_id
                        AND o.status = 'pending' AND o.id <> d.id), 0))
    FROM axon.endpoints e
    CROSS JOIN LATERAL (SELECT * FROM axon.deliveries h
                         WHERE h.endpoint_id = e.id AND h.status = 'pending'
                         ORDER BY h.endpoint_id, h.status, h.id LIMIT 1) AS d
   WHERE NOT e.disabled AND e.ordering = 'fifo') AS due
)sql";

// complete_attempts: one statement over one JSON array of records ($1; plain json, read as a
// stream, which costs less than building a jsonb value), so a batch costs one round trip. `k` keeps the records whose delivery still exists (with its
// endpoint and status), locking those deliveries: under READ COMMITTED a locked row is read
// in its latest version, which `moved` then reports as the old status, and a delivery being
// deleted meanwhile is either gone from `k` or waits for this statement (its attempts are
// deleted with it). The data-modifying CTEs all see the rows as they were before.
// ins: the attempt log; a duplicate attempt number keeps the first record.
// moved: the outcome counts only while the delivery is still ours: pending and leased by
// `owner` (or by nobody, after release_leases). Otherwise only the attempt count moves.
// counted: status changes into the counters (pg_counts.hpp).
// The final UPDATE, per endpoint: failing_since as store_rules::endpoint_health computed it
// for the batch ($4, the rule both stores share); the first 410 disables it. An endpoint
// whose row would not change is left alone (not rewritten, not locked), so the batches of
// several nodes do not queue on the rows of the endpoints they share.
#define AXON_PG_MINE "(d.status = 'pending' AND (d.lease_owner IS NULL OR d.lease_owner = $3))"
constexpr std::string_view kCompleteAttempts = R"sql(
WITH k AS MATERIALIZED (
  SELECT r.*, d.endpoint_id, d.status AS old_status
    FROM json_to_recordset($1::json) AS r (ord int, delivery_id text, n int,
           started_at bigint, duration_ms int, status_code int, error text,
           error_message text, response_excerpt text, new_status text, next_attempt_at bigint,
           disable_endpoint boolean, disable_reason text)
    JOIN axon.deliveries d ON d.id = r.delivery_id
   FOR UPDATE OF d),
ins AS (
  INSERT INTO axon.attempts (delivery_id, n, started_at, duration_ms, status_code, error,
                             error_message, response_excerpt)
  SELECT k.delivery_id, k.n, k.started_at, k.duration_ms, k.status_code, k.error,
         k.error_message, k.response_excerpt
    FROM k ORDER BY k.ord
  ON CONFLICT (delivery_id, n) DO NOTHING),
moved AS (
  UPDATE axon.deliveries AS d
     SET attempts = greatest(d.attempts, r.n),
         status = CASE WHEN )sql" AXON_PG_MINE R"sql( THEN r.new_status ELSE d.status END,
         next_attempt_at = CASE WHEN )sql" AXON_PG_MINE R"sql( AND r.new_status = 'pending'
                                THEN r.next_attempt_at ELSE d.next_attempt_at END,
         lease_owner = CASE WHEN )sql" AXON_PG_MINE R"sql( THEN NULL ELSE d.lease_owner END,
         lease_expires_at = CASE WHEN )sql" AXON_PG_MINE R"sql( THEN NULL
                                 ELSE d.lease_expires_at END,
         updated_at = CASE WHEN )sql" AXON_PG_MINE R"sql( THEN $2 ELSE d.updated_at END
    FROM k AS r
   WHERE d.id = r.delivery_id
  RETURNING r.old_status, d.status AS new_status),
)sql" AXON_PG_COUNT_MOVES R"sql(,
s AS (
  SELECT k.endpoint_id, bool_or(k.disable_endpoint) AS disable,
         (array_agg(k.disable_reason ORDER BY k.ord) FILTER (WHERE k.disable_endpoint))[1]
           AS reason
    FROM k GROUP BY k.endpoint_id),
f AS (
  SELECT s.*, h.succeeded, h.failing_since
    FROM s JOIN json_to_recordset($4::json) AS h (endpoint_id text, succeeded boolean,
                                                     failing_since bigint)
      ON h.endpoint_id = s.endpoint_id)
UPDATE axon.endpoints AS e
   SET failing_since = CASE WHEN f.succeeded THEN f.failing_since
                            ELSE coalesce(e.failing_since, f.failing_since) END,
       disabled = e.disabled OR f.disable,
       disabled_reason = CASE WHEN f.disable AND NOT e.disabled THEN f.reason
                              ELSE e.disabled_reason END,
       updated_at = CASE WHEN f.disable AND NOT e.disabled THEN $2 ELSE e.updated_at END
  FROM f
 WHERE e.id = f.endpoint_id
   AND ((f.disable AND NOT e.disabled)
        OR e.failing_since IS DISTINCT FROM
           (CASE WHEN f.succeeded THEN f.failing_since
                 ELSE coalesce(e.failing_since, f.failing_since) END))
)sql";


// The tenants one claim visits (see kDueTenants and store/fair_claim.hpp).
ClaimTurns due_tenants(Transaction& tx, Millis now, const std::string& cursor, int max) {
  ClaimTurns turns;
  PgResult r = tx.exec(kDueTenants, Params(cursor, kMaxTenantProbes, now, max + 1));
  for (int row = 0; row < r.rows(); ++row) {
    std::string tenant = r.text(row, 0);
    if (r.boolean(row, 1)) turns.tenants.push_back(tenant);
    if (static_cast<int>(turns.tenants.size()) >= max || !r.boolean(row, 1)) {
      turns.stopped_at = std::move(tenant);  // the limit, or the probes, ran out here
      break;
    }
  }
  return turns;
}

// Leases up to `n` of one tenant's due deliveries, oldest due first.
int take_due(Transaction& tx, std::string_view owner, Millis now, Millis lease_ms,
             const std::string& tenant, int n, const HeaderSealer* header_sealer,
             std::vector<DeliveryJob>& jobs) {
  PgResult r = tx.exec(kClaimDue, Params(now, n, owner, lease_ms, tenant));
  std::vector<std::pair<Millis, DeliveryJob>> due;
  for (int row = 0; row < r.rows(); ++row) {
    DeliveryJob job;
    job.delivery_id = r.text(row, 0);
    job.tenant_id = r.text(row, 1);
    job.event_id = r.text(row, 2);
    job.event_type = r.text(row, 3);
    job.endpoint_id = r.text(row, 4);
    job.url = r.text(row, 5);
    job.headers = decode_header_column(r.view(row, 6), header_sealer);
    job.secrets_sealed.push_back(r.text(row, 7));
    if (!r.is_null(row, 8)) job.secrets_sealed.push_back(r.text(row, 8));
    const int attempts = r.i32(row, 10);
    job.attempt = attempts + 1;
    job.attempt_in_series = attempts - r.i32(row, 11) + 1;
    job.max_in_flight = r.i32(row, 12);
    job.rate_limit = r.f64(row, 13);
    job.ordering = parse_ordering(r.view(row, 14));
    job.lease_expires_at = r.i64(row, 15);
    job.operational = r.boolean(row, 17);
    job.tls_client_certificate = r.opt_text(row, 18);
    job.tls_client_key_sealed = r.opt_text(row, 19);
    due.emplace_back(r.i64(row, 16), std::move(job));
  }
  // RETURNING has no order: oldest due first, as picked.
  std::sort(due.begin(), due.end(), [](const auto& a, const auto& b) {
    return std::tie(a.first, a.second.delivery_id) < std::tie(b.first, b.second.delivery_id);
  });
  for (auto& [at, job] : due) jobs.push_back(std::move(job));
  return r.rows();
}

// Ids as one JSON array, for `id = ANY (ARRAY(SELECT json_array_elements_text($n::json)))`.
std::string json_ids(std::span<const std::string> ids) {
  return nlohmann::json(std::vector<std::string>(ids.begin(), ids.end())).dump();
}

// Every job of one event shares one copy of its body, read once.
void attach_bodies(Transaction& tx, std::vector<DeliveryJob>& jobs) {
  std::unordered_map<std::string, std::shared_ptr<const std::string>> bodies;
  for (const auto& job : jobs) bodies.emplace(job.event_id, nullptr);
  if (bodies.empty()) return;
  nlohmann::json ids = nlohmann::json::array();
  for (const auto& [id, body] : bodies) ids.push_back(id);
  PgResult r = tx.exec(kEventBodies, Params(ids.dump()));
  for (int row = 0; row < r.rows(); ++row) {
    bodies[r.text(row, 0)] = std::make_shared<const std::string>(r.text(row, 1));
  }
  for (auto& job : jobs) job.payload = bodies[job.event_id];
}

}  // namespace

Result<std::vector<DeliveryJob>> PostgresStore::claim_due(std::string_view owner, Millis now,
                                                          Millis lease_ms, int limit) {
  std::string cursor;
  {
    std::lock_guard lock(claim_cursor_mu_);
    cursor = claim_cursor_;
  }
  return transact("claim_due", [&](Transaction& tx) {
    std::vector<DeliveryJob> jobs;
    if (limit <= 0) return jobs;
    // The claim must cost O(limit), not O(backlog): walk the claim indexes in order and
    // look every picked row up by key. Left to itself the planner prefers a sequential scan
    // and sort (most rows are due in a backlog) and hash joins over the whole table, whose
    // cost grows with the backlog; so this transaction forbids those, and every statement is
    // planned for its values (unnamed), so the LIMIT is seen.
    tx.exec(kIndexedPlansOnly);
    const ClaimTurns turns = due_tenants(tx, now, cursor, limit);
    share_claim(turns.tenants, limit, [&](const std::string& tenant, int n) {
      return take_due(tx, owner, now, lease_ms, tenant, n, header_sealer_, jobs);
    });
    attach_bodies(tx, jobs);
    std::lock_guard lock(claim_cursor_mu_);
    claim_cursor_ = turns.next_cursor();
    return jobs;
  });
}

Result<void> PostgresStore::complete_attempts(std::string_view owner,
                                              std::span<const AttemptRecord> records, Millis now) {
  if (records.empty()) return {};
  nlohmann::json rows = nlohmann::json::array();
  int ord = 0;
  for (const AttemptRecord& rec : records) {
    const Attempt& a = rec.attempt;
    rows.push_back({{"ord", ++ord},
                    {"delivery_id", rec.delivery_id},
                    {"n", a.n},
                    {"started_at", a.started_at},
                    {"duration_ms", a.duration_ms},
                    {"status_code", a.status_code},
                    {"error", clean_text(a.error)},
                    {"error_message", clean_text(a.error_message)},
                    {"response_excerpt", clean_text(a.response_excerpt)},
                    {"new_status", status_name(rec.new_status)},
                    {"next_attempt_at", rec.next_attempt_at},
                    {"disable_endpoint", rec.disable_endpoint},
                    {"disable_reason", clean_text(rec.disable_reason)}});
  }
  nlohmann::json health = nlohmann::json::array();
  for (const auto& [endpoint_id, h] : store_rules::endpoint_health(records)) {
    health.push_back({{"endpoint_id", endpoint_id},
                      {"succeeded", h.succeeded},
                      {"failing_since", h.failing_since ? nlohmann::json(*h.failing_since)
                                                        : nlohmann::json(nullptr)}});
  }
  const std::string json = rows.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  const std::string health_json = health.dump();
  return transact("complete_attempts", [&](Transaction& tx) {
    // As in claim_due: the planner guesses 100 rows for the batch and would rather hash it
    // against a sequential scan of every delivery (twice) than look each one up by key,
    // a cost that grows with the history kept.
    tx.exec(kIndexedPlansOnly);
    tx.exec(kCompleteAttempts, Params(json, now, owner, health_json));
  });
}

Result<void> PostgresStore::release_leases(std::string_view owner) {
  return transact("release_leases", [&](Transaction& tx) {
    PgResult r = tx.exec(
        "UPDATE axon.deliveries SET lease_owner = NULL, lease_expires_at = NULL "
        "WHERE lease_owner = $1 RETURNING id",
        Params(owner));
    if (r.rows() > 0) tx.notify_work();  // another process may take them now
  });
}

Result<void> PostgresStore::release_deliveries(std::string_view owner,
                                               std::span<const std::string> delivery_ids,
                                               Millis due_at) {
  if (delivery_ids.empty()) return {};
  const std::string ids_json = json_ids(delivery_ids);
  return transact("release_deliveries", [&](Transaction& tx) {
    // Found by key: `owner` may hold thousands of leases, which `lease_owner = $1` would walk.
    PgResult r = tx.exec(
        "UPDATE axon.deliveries SET lease_owner = NULL, lease_expires_at = NULL, "
        "next_attempt_at = $3 WHERE lease_owner = $1 AND status = 'pending' "
        "AND id = ANY (ARRAY(SELECT json_array_elements_text($2::json))) RETURNING id",
        Params(owner, ids_json, due_at));
    if (r.rows() > 0) tx.notify_work();
  });
}

Result<int> PostgresStore::bring_forward_deliveries(std::span<const std::string> delivery_ids,
                                                    Millis handed_back_due, Millis due_at) {
  if (delivery_ids.empty()) return 0;
  const std::string ids_json = json_ids(delivery_ids);
  return transact("bring_forward_deliveries", [&](Transaction& tx) -> int {
    PgResult r = tx.exec(
        "UPDATE axon.deliveries SET next_attempt_at = $3 "
        "WHERE id = ANY (ARRAY(SELECT json_array_elements_text($1::json))) "
        "AND status = 'pending' AND lease_owner IS NULL AND next_attempt_at = $2 RETURNING id",
        Params(ids_json, handed_back_due, due_at));
    if (r.rows() > 0) tx.notify_work();
    return r.rows();
  });
}

Result<std::optional<Millis>> PostgresStore::next_due_at() {
  return transact("next_due_at", [&](Transaction& tx) -> std::optional<Millis> {
    tx.exec(kIndexedPlansOnly);  // as in claim_due: walk the index, never the backlog
    return tx.exec(kNextDueAt).opt_i64(0, 0);
  });
}

Result<std::vector<Endpoint>> PostgresStore::disable_failing_endpoints(Millis now, Millis period) {
  const std::string reason = store_rules::auto_disable_reason(period);
  return transact("disable_failing_endpoints", [&](Transaction& tx) {
    PgResult r =
        tx.exec(std::string("UPDATE axon.endpoints AS e SET disabled = true, "
                            "disabled_reason = $3, updated_at = $1 "
                            "WHERE NOT e.disabled AND e.failing_since <= $1::bigint - $2::bigint "
                            "RETURNING ")
                    .append(kEndpointColumns),
                Params(now, period, reason));
    std::vector<Endpoint> out;
    for (int row = 0; row < r.rows(); ++row) out.push_back(read_endpoint(r, row, header_sealer_));
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
    return out;
  });
}

}  // namespace axon::pg
