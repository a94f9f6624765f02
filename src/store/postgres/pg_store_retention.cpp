// PostgresStore: retention (purge steps, idempotency keys, counter folding), size and
// counters.
#include <algorithm>
#include <limits>

#include "store/postgres/postgres_store.hpp"

namespace axon::pg {
namespace {

// One purge step in one statement. `locked` takes the deliveries of the scanned events
// FOR UPDATE SKIP LOCKED: under READ COMMITTED a locked row is re-read in its latest
// committed version, so a replay committed meanwhile shows as pending and keeps its event;
// a delivery another transaction holds right now (a replay or an outcome in progress) is
// skipped, and its event, whose locked count then falls short of its deliveries, is kept
// for the next sweep. No step ever waits on a row lock, so it cannot deadlock with the
// dispatcher. The explicit deletes (children first) count what goes; the cascades then
// find nothing left.
constexpr std::string_view kPurgeStep = R"sql(
WITH scanned AS MATERIALIZED (
  SELECT v.id, v.created_at FROM axon.events v
   WHERE (v.created_at, v.id) > ($2::bigint, $3::text) AND v.created_at < $1
   ORDER BY v.created_at, v.id
   LIMIT $4),
locked AS MATERIALIZED (
  SELECT d.id, d.event_id, d.status FROM axon.deliveries d
   WHERE d.event_id IN (SELECT id FROM scanned)
   FOR UPDATE OF d SKIP LOCKED),
doomed AS MATERIALIZED (
  SELECT s.id FROM scanned s
   WHERE NOT EXISTS (SELECT 1 FROM locked l WHERE l.event_id = s.id AND l.status = 'pending')
     AND (SELECT count(*) FROM locked l WHERE l.event_id = s.id)
         = (SELECT count(*) FROM axon.deliveries d WHERE d.event_id = s.id)),
gone_attempts AS (
  DELETE FROM axon.attempts a USING locked l
   WHERE a.delivery_id = l.id AND l.event_id IN (SELECT id FROM doomed) RETURNING 1),
gone_deliveries AS (
  DELETE FROM axon.deliveries d WHERE d.event_id IN (SELECT id FROM doomed) RETURNING 1),
gone_events AS (
  DELETE FROM axon.events v WHERE v.id IN (SELECT id FROM doomed) RETURNING 1)
SELECT (SELECT count(*) FROM gone_events), (SELECT count(*) FROM gone_deliveries),
       (SELECT count(*) FROM gone_attempts), (SELECT count(*) FROM scanned),
       (SELECT created_at FROM scanned ORDER BY created_at DESC, id DESC LIMIT 1),
       (SELECT id FROM scanned ORDER BY created_at DESC, id DESC LIMIT 1)
)sql";

// Counter rows of sessions that ended, folded into shard 0 (the sum does not change).
constexpr std::string_view kFoldCounters = R"sql(
WITH gone AS (
  DELETE FROM axon.delivery_counts c
   WHERE c.shard <> 0 AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.pid = c.shard)
  RETURNING c.status, c.n)
INSERT INTO axon.delivery_counts AS c (status, shard, n)
SELECT g.status, 0, sum(g.n) FROM gone g GROUP BY g.status ORDER BY g.status
ON CONFLICT (status, shard) DO UPDATE SET n = c.n + excluded.n
)sql";

// The due head of the claim queue, counted on the queue_by_due index up to a cap (past the
// leased entries, as many as are in flight).
constexpr std::string_view kDueCount = R"sql(
SELECT count(*) FROM (
  SELECT 1 FROM axon.queue q
   WHERE q.due_at <= $1 AND (q.lease_expires_at IS NULL OR q.lease_expires_at <= $1)
   LIMIT $2) AS due
)sql";

}  // namespace

Result<PurgeStep> PostgresStore::purge_finished_events(Millis cutoff,
                                                       const std::optional<EventCursor>& after,
                                                       int scan_limit) {
  scan_limit = std::max(scan_limit, 1);
  const Millis after_at = after ? after->created_at : std::numeric_limits<Millis>::min();
  const std::string after_id = after ? after->id : std::string();
  return transact("purge_finished_events", [&](Transaction& tx) {
    PgResult r = tx.exec(kPurgeStep, Params(cutoff, after_at, after_id, scan_limit));
    PurgeStep step;
    step.events = r.i64(0, 0);
    step.deliveries = r.i64(0, 1);
    step.attempts = r.i64(0, 2);
    if (r.i64(0, 3) >= scan_limit) step.next = EventCursor{r.i64(0, 4), r.text(0, 5)};
    return step;
  });
}

Result<int> PostgresStore::purge_idempotency_keys(Millis cutoff, int limit) {
  return transact("purge_idempotency_keys", [&](Transaction& tx) {
    PgResult r = tx.exec(
        "DELETE FROM axon.idempotency_keys k USING (SELECT tenant_id, key "
        "FROM axon.idempotency_keys WHERE created_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED) x "
        "WHERE k.tenant_id = x.tenant_id AND k.key = x.key RETURNING 1",
        Params(cutoff, std::max(limit, 1)));
    return r.rows();
  });
}

// Dead tuples left by the purge are reclaimed by autovacuum (see README, "Retention");
// here only the counter rows of ended sessions are folded.
Result<void> PostgresStore::reclaim_space() {
  return transact("reclaim_space", [&](Transaction& tx) { tx.exec(kFoldCounters); });
}

Result<std::int64_t> PostgresStore::storage_bytes() {
  return transact("storage_bytes", [&](Transaction& tx) {
    return tx
        .exec(
            "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'axon' AND c.relkind = 'r'")
        .i64(0, 0);
  });
}

Result<Store::Counts> PostgresStore::delivery_counts(Millis now) {
  return transact("delivery_counts", [&](Transaction& tx) {
    PgResult sums = tx.exec(
        "SELECT coalesce(sum(n) FILTER (WHERE status = 'pending'), 0)::bigint, "
        "coalesce(sum(n) FILTER (WHERE status = 'succeeded'), 0)::bigint, "
        "coalesce(sum(n) FILTER (WHERE status = 'dead'), 0)::bigint "
        "FROM axon.delivery_counts");
    // Walk the claim index, never the table (the planner would scan a big due backlog).
    tx.exec("SELECT set_config('enable_seqscan', 'off', true), "
            "set_config('enable_bitmapscan', 'off', true)");
    PgResult due = tx.exec(kDueCount, Params(now, kDueCountCap));
    Counts counts;
    const std::int64_t pending = sums.i64(0, 0);
    counts.succeeded = sums.i64(0, 1);
    counts.dead = sums.i64(0, 2);
    counts.pending_due = std::min(due.i64(0, 0), pending);
    counts.pending_scheduled = pending - counts.pending_due;
    return counts;
  });
}

}  // namespace axon::pg
