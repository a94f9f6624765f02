// PostgresStore: the dispatcher side (leases, attempt outcomes, due times).
#include <algorithm>
#include <memory>
#include <string>
#include <unordered_map>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "store/fair_claim.hpp"
#include "store/postgres/pg_rows.hpp"
#include "store/postgres/postgres_store.hpp"
#include "store/rules.hpp"

namespace axon::pg {
namespace {

// The claim, the outcomes and the next due time are functions created by a migration
// (pg_migrations_dispatch.cpp, which says how they are planned; pg_migrations_queue.cpp
// redefines them on axon.queue, where leases live), each called as one
// statement in autocommit: a claim or an outcome batch is one round trip. Each may run twice
// (autocommit() retries after a lost connection): a claim whose answer was lost holds its
// leases until they expire, and an outcome recorded twice changes nothing the second time.
constexpr std::string_view kClaimDue =
    "SELECT * FROM axon.claim_due($1, $2::bigint, $3::bigint, $4::integer, $5, $6::integer)";
constexpr std::string_view kCompleteAttempts =
    "SELECT axon.complete_attempts($1::json, $2::bigint, $3, $4::json)";
constexpr std::string_view kNextDueAt = "SELECT axon.next_due_at()";

// The end of a hand-back statement whose CTE `changed` returns one row per queue row it gave
// back or made due sooner: answers how many, and wakes every process when there was any
// (another one may take those deliveries now). Run in autocommit, the notification is sent
// when the statement commits; running a hand-back twice changes nothing more.
#define AXON_PG_COUNT_AND_NOTIFY                                                      \
  " SELECT (SELECT count(*) FROM changed), (SELECT pg_notify('axon_work', '') "       \
  "FROM (SELECT 1 FROM changed LIMIT 1) AS any_row)"

// Hand-backs change the queue rows still in the state given, then (for those) copy the new
// due time to the deliveries' next attempt time: queue before delivery rows, the locking
// order of every statement that changes both (pg_migrations_queue.cpp).
constexpr std::string_view kReleaseDeliveries =
    "WITH changed AS (UPDATE axon.queue q SET lease_owner = NULL, lease_expires_at = NULL, "
    "  fifo_lease = false, due_at = $3 "
    "  WHERE q.delivery_id = ANY (ARRAY(SELECT json_array_elements_text($2::json))) "
    "  AND q.lease_owner = $1 RETURNING q.delivery_id), "
    "synced AS (UPDATE axon.deliveries d SET next_attempt_at = $3 FROM changed "
    "  WHERE d.id = changed.delivery_id)" AXON_PG_COUNT_AND_NOTIFY;
// Only deliveries nobody leases whose next attempt is still the hand-back's time.
constexpr std::string_view kBringForward =
    "WITH changed AS (UPDATE axon.queue q SET due_at = $3 "
    "  WHERE q.delivery_id = ANY (ARRAY(SELECT json_array_elements_text($1::json))) "
    "  AND q.lease_owner IS NULL AND q.due_at = $2 RETURNING q.delivery_id), "
    "synced AS (UPDATE axon.deliveries d SET next_attempt_at = $3 FROM changed "
    "  WHERE d.id = changed.delivery_id)" AXON_PG_COUNT_AND_NOTIFY;
// Every lease of `owner`: each delivery is due at its next attempt time again. It reads the
// whole queue (no index on lease_owner, which would cost every claim its HOT update), once
// per stopping process.
constexpr std::string_view kReleaseLeases =
    "WITH changed AS (UPDATE axon.queue q SET lease_owner = NULL, lease_expires_at = NULL, "
    "  fifo_lease = false WHERE q.lease_owner = $1 RETURNING q.delivery_id)"
    AXON_PG_COUNT_AND_NOTIFY;

// Ids as one JSON array, for `id = ANY (ARRAY(SELECT json_array_elements_text($n::json)))`.
std::string json_ids(std::span<const std::string> ids) {
  return nlohmann::json(std::vector<std::string>(ids.begin(), ids.end())).dump();
}

// axon.claim_due's answer: row 0 holds only where the next claim's turn starts; every
// further row is one leased delivery, in claim order, with the body of its event on the
// event's first row only (every job of one event shares that one copy).
std::vector<DeliveryJob> read_claim(const PgResult& r, const HeaderSealer* header_sealer) {
  std::vector<DeliveryJob> jobs;
  std::unordered_map<std::string, std::shared_ptr<const std::string>> bodies;
  for (int row = 1; row < r.rows(); ++row) {
    DeliveryJob job;
    job.delivery_id = r.text(row, 1);
    job.tenant_id = r.text(row, 2);
    job.event_id = r.text(row, 3);
    job.event_type = r.text(row, 4);
    job.endpoint_id = r.text(row, 5);
    job.url = r.text(row, 6);
    job.headers = decode_header_column(r.view(row, 7), header_sealer);
    job.secrets_sealed.push_back(r.text(row, 8));
    if (!r.is_null(row, 9)) job.secrets_sealed.push_back(r.text(row, 9));
    const int attempts = r.i32(row, 10);
    job.attempt = attempts + 1;
    job.attempt_in_series = attempts - r.i32(row, 11) + 1;
    job.max_in_flight = r.i32(row, 12);
    job.rate_limit = r.f64(row, 13);
    job.ordering = parse_ordering(r.view(row, 14));
    job.lease_expires_at = r.i64(row, 15);
    job.operational = r.boolean(row, 16);
    job.tls_client_certificate = r.opt_text(row, 17);
    job.tls_client_key_sealed = r.opt_text(row, 18);
    if (!r.is_null(row, 19)) {
      bodies.emplace(job.event_id, std::make_shared<const std::string>(r.view(row, 19)));
    }
    jobs.push_back(std::move(job));
  }
  for (auto& job : jobs) job.payload = bodies[job.event_id];
  return jobs;
}

}  // namespace

Result<std::vector<DeliveryJob>> PostgresStore::claim_due(std::string_view owner, Millis now,
                                                          Millis lease_ms, int limit) {
  if (limit <= 0) return std::vector<DeliveryJob>{};
  std::string cursor;
  {
    std::lock_guard lock(claim_cursor_mu_);
    cursor = claim_cursor_;
  }
  return autocommit("claim_due", [&](PgConnection& conn) {
    PgResult r = conn.exec(kClaimDue, Params(owner, now, lease_ms, limit, cursor,
                                             kMaxTenantProbes));
    std::vector<DeliveryJob> jobs = read_claim(r, header_sealer_);
    std::lock_guard lock(claim_cursor_mu_);
    claim_cursor_ = r.text(0, 0);
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
  auto done = autocommit("complete_attempts", [&](PgConnection& conn) {
    conn.exec(kCompleteAttempts, Params(json, now, owner, health_json));
  });
  if (done) queue_vacuum_.note_retired(static_cast<std::int64_t>(records.size()));
  return done;
}

bool PostgresStore::vacuum_queue() {
  // Only the table's owner, the database's owner or a superuser may vacuum the table; anyone
  // else gets a warning in the server's log and nothing done, once a second. Asked once.
  if (!may_vacuum_queue_) {
    auto may = autocommit("vacuum_queue", [](PgConnection& conn) {
      return conn
          .exec("SELECT pg_has_role(current_user, c.relowner, 'USAGE') "
                "OR pg_has_role(current_user, d.datdba, 'USAGE') "
                "FROM pg_class c, pg_database d "
                "WHERE c.oid = 'axon.queue'::regclass AND d.datname = current_database()")
          .text(0, 0) == "t";
    });
    if (!may) {
      spdlog::warn("VACUUM of axon.queue: {}", may.error().message);
      return true;  // ask again next time
    }
    may_vacuum_queue_ = *may;
    if (!*may) {
      spdlog::warn("this role may not VACUUM axon.queue (it is not the table's or the "
                   "database's owner): the node leaves the queue to autovacuum");
    }
  }
  if (!*may_vacuum_queue_) return false;
  // VACUUM cannot run in a transaction block: one statement in autocommit. INDEX_CLEANUP ON:
  // the dead index entries are the point, even when few heap pages hold dead rows.
  // TRUNCATE false: giving back the table's empty tail takes a lock that stops every claim
  // and ingest; the pages are reused anyway. SKIP_LOCKED: another node is vacuuming it.
  auto done = autocommit("vacuum_queue", [](PgConnection& conn) {
    conn.exec("VACUUM (SKIP_LOCKED, INDEX_CLEANUP ON, TRUNCATE false) axon.queue");
  });
  if (!done) spdlog::warn("VACUUM of axon.queue failed: {}", done.error().message);
  return true;
}

Result<void> PostgresStore::release_leases(std::string_view owner) {
  return autocommit("release_leases",
                    [&](PgConnection& conn) { conn.exec(kReleaseLeases, Params(owner)); });
}

Result<void> PostgresStore::release_deliveries(std::string_view owner,
                                               std::span<const std::string> delivery_ids,
                                               Millis due_at) {
  if (delivery_ids.empty()) return {};
  const std::string ids_json = json_ids(delivery_ids);
  return autocommit("release_deliveries", [&](PgConnection& conn) {
    // Found by key: `owner` may hold thousands of leases, which `lease_owner = $1` would walk.
    conn.exec(kReleaseDeliveries, Params(owner, ids_json, due_at));
  });
}

Result<int> PostgresStore::bring_forward_deliveries(std::span<const std::string> delivery_ids,
                                                    Millis handed_back_due, Millis due_at) {
  if (delivery_ids.empty()) return 0;
  const std::string ids_json = json_ids(delivery_ids);
  return autocommit("bring_forward_deliveries", [&](PgConnection& conn) {
    return static_cast<int>(
        conn.exec(kBringForward, Params(ids_json, handed_back_due, due_at)).i64(0, 0));
  });
}

Result<std::optional<Millis>> PostgresStore::next_due_at() {
  return autocommit("next_due_at", [](PgConnection& conn) -> std::optional<Millis> {
    return conn.exec(kNextDueAt).opt_i64(0, 0);
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
