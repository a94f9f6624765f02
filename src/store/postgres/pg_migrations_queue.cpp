// PostgreSQL migration: the queue of pending work apart from the delivery history (see
// pg_schema.cpp for the full list of migrations, in order).
#include "store/postgres/pg_counts.hpp"
#include "store/postgres/pg_migrations.hpp"
#include "store/postgres/pg_migrations_emit.hpp"

namespace axon::pg::migration_sql {

// The SET clauses of the hot-path functions (AXON_PG_HOT_PATH_SETTINGS, pg_migrations.hpp),
// and no incremental sort either: a per-tenant lookup
// ordered by (tenant_id, due_at, delivery_id) must come from queue_by_tenant (from migration
// 16 on, queue_by_tenant_due), never from
// queue_by_due filtered on the tenant (a walk past every other tenant's due rows).
#define AXON_PG_QUEUE_SETTINGS AXON_PG_HOT_PATH_SETTINGS "\nSET enable_incremental_sort = off"

// axon.queue: one narrow row per pending delivery, the only place its lease lives.
//
// Why. A claim and an outcome used to rewrite the wide axon.deliveries row, and because the
// lease columns were indexed neither could be a HOT update: each wrote a new entry in all
// seven indexes of the table users read. Now a claim only sets the lease columns of a queue
// row, which no index covers, so it is a HOT update (no index entry written; fillfactor 50
// leaves room on each page for the new row versions); an outcome deletes the row (delivered
// or dead: no index entry written) or moves its due time (a retry). The delivery row keeps
// the history (status, attempts, next attempt time) and fewer indexes.
//
// Invariant, kept by every statement that creates, replays, retries, hands back or finishes a
// delivery: a delivery has a queue row if and only if its status is 'pending'. due_at is its
// next attempt time (deliveries.next_attempt_at); lease_owner and lease_expires_at its lease
// (an expired lease keeps its owner until it is claimed again, as before); it is claimable
// from greatest(due_at, lease_expires_at). fifo_lease marks a lease that holds back a FIFO
// endpoint (set by the claims of FIFO endpoints only, so that the claims of parallel ones
// stay HOT). deliveries.lease_owner and lease_expires_at are no longer read or written
// (always NULL from here on); they stay only because earlier migrations, run again, name them.
//
// Locking order: every statement that changes both tables changes the queue row before the
// delivery row (the outcome, the hand-backs, deleting an endpoint or a tenant), so two of
// them never wait on each other in a cycle; the claim locks queue rows only, skipping locked
// ones; a replay queues a dead delivery, which has no queue row another statement could hold.
//
// Indexes (each is written by every ingest and retry, none by a claim):
// - the primary key: outcomes, hand-backs and replays find a delivery's row by key;
// - queue_by_tenant (tenant_id, due_at, delivery_id): the per-tenant claim walks it oldest
//   due first (past the tenant's leased rows, as many as it has in flight), and the tenant
//   skip scan of the claim's turn order steps along tenant_id;
// - queue_by_due (due_at): axon.next_due_at and the count of the due head (retention,
//   counts) read the globally earliest due times without visiting every tenant;
// - queue_by_endpoint (endpoint_id, delivery_id COLLATE "C"): a FIFO endpoint's oldest
//   pending delivery is its first entry; deleting an endpoint or switching it to FIFO finds
//   its rows there. The queries ask for min(delivery_id COLLATE "C") (the same order: ids
//   are ASCII), an order the primary key cannot give: otherwise the planner may walk the
//   primary key from the oldest id, past every other endpoint's rows, hoping to meet one
//   of this endpoint's soon.
// - queue_fifo_leased (endpoint_id) WHERE fifo_lease: whether another of a FIFO endpoint's
//   deliveries holds a lease, without walking its backlog.
// A stopping node's hand-back of all its leases (release_leases) reads the whole queue: it
// runs once per process, and an index on lease_owner would cost every claim its HOT update.
// No foreign keys: each would cost a lookup and a row lock per queue row written. A deleted
// delivery's row goes with it (trigger below; only pending deliveries have one).
//
// The functions keep the signatures and semantics of migration kDispatchFunctions and of
// axon.emit_event (kOperational); written to run again unchanged.
constexpr char kQueueTables[] = R"sql(
CREATE TABLE IF NOT EXISTS axon.queue (
  delivery_id      text PRIMARY KEY,
  tenant_id        text NOT NULL,
  endpoint_id      text NOT NULL,
  due_at           bigint NOT NULL,
  lease_owner      text,
  lease_expires_at bigint,
  fifo_lease       boolean NOT NULL DEFAULT false
) WITH (fillfactor = 50);
CREATE INDEX IF NOT EXISTS queue_by_tenant ON axon.queue (tenant_id, due_at, delivery_id);
CREATE INDEX IF NOT EXISTS queue_by_due ON axon.queue (due_at);
CREATE INDEX IF NOT EXISTS queue_by_endpoint
  ON axon.queue (endpoint_id, (delivery_id COLLATE "C"));
CREATE INDEX IF NOT EXISTS queue_fifo_leased ON axon.queue (endpoint_id) WHERE fifo_lease;

-- Every pending delivery, claimable when it was before (a lease stays its owner's).
INSERT INTO axon.queue (delivery_id, tenant_id, endpoint_id, due_at, lease_owner,
                        lease_expires_at, fifo_lease)
SELECT d.id, d.tenant_id, d.endpoint_id, d.next_attempt_at, d.lease_owner, d.lease_expires_at,
       d.lease_owner IS NOT NULL AND e.ordering = 'fifo'
  FROM axon.deliveries d LEFT JOIN axon.endpoints e ON e.id = d.endpoint_id
 WHERE d.status = 'pending'
ON CONFLICT (delivery_id) DO NOTHING;
UPDATE axon.deliveries SET lease_owner = NULL, lease_expires_at = NULL
 WHERE lease_owner IS NOT NULL;
DROP INDEX IF EXISTS axon.deliveries_claimable;
DROP INDEX IF EXISTS axon.deliveries_claimable_by_tenant;
DROP INDEX IF EXISTS axon.deliveries_by_lease_owner;

CREATE OR REPLACE FUNCTION axon.dequeue_deleted() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  DELETE FROM axon.queue q USING old_rows r WHERE r.status = 'pending' AND q.delivery_id = r.id;
  RETURN NULL;
END
$fn$;
DROP TRIGGER IF EXISTS deliveries_dequeue ON axon.deliveries;
CREATE TRIGGER deliveries_dequeue AFTER DELETE ON axon.deliveries
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION axon.dequeue_deleted();
)sql";

// The claim's order within a tenant: queue_by_tenant's (kQueueRowsByKey changes it).
constexpr char kTenantOrderById[] = "ORDER BY q.tenant_id, q.due_at, q.delivery_id";
constexpr char kClaimUpToProbeOrder[] = R"sql(
-- As in kDispatchFunctions, on the queue: leases up to p_limit due deliveries for p_owner,
-- shared among the tenants with due work (store/fair_claim.hpp's share_claim), the tenants
-- visited in turn order from the one after p_cursor; within a tenant the oldest due first,
-- rows another claimer holds locked skipped; a FIFO endpoint offers only its oldest pending
-- delivery, and only while no other of its deliveries holds a live lease. Returns a first
-- row with only next_cursor, then one row per leased delivery in claim order, with the
-- event's body on the event's first row only. Writes nothing but queue rows.
CREATE OR REPLACE FUNCTION axon.claim_due(p_owner text, p_now bigint, p_lease_ms bigint,
                                          p_limit integer, p_cursor text,
                                          p_max_probes integer)
RETURNS TABLE (next_cursor text, delivery_id text, tenant_id text, event_id text,
               event_type text, endpoint_id text, url text, headers text, secret_sealed text,
               previous_secret_sealed text, attempts integer, series_start integer,
               max_in_flight integer, rate_limit double precision, ordering text,
               lease_expires_at bigint, operational boolean, tls_client_certificate text,
               tls_client_key_sealed text, payload text)
LANGUAGE plpgsql VOLATILE
)sql" AXON_PG_QUEUE_SETTINGS R"sql(
AS $fn$
#variable_conflict use_column
DECLARE
  v_due text[] := '{}';       -- the tenants with due work still in play, in turn order
  v_stopped text;             -- the last tenant looked at, when the list was cut short
  v_turn record;
  v_tenant text;
  v_remaining integer := p_limit;
  v_part integer;
  v_asked integer;
  v_still text[];
  v_take axon.deliveries[];   -- one tenant's leased deliveries, oldest due first
  v_claimed axon.deliveries[] := '{}';
BEGIN
  -- The turn order: a skip scan over the per-tenant index (the next tenant after the current one,
  -- wrapping around once), each flagged when it has a due delivery nobody leases (found past
  -- its leased ones, in that index's order: nothing else keeps the walk on that index).
  FOR v_turn IN
    WITH RECURSIVE t(tenant_id, n, wrapped) AS (
      SELECT f.tenant_id, 1, f.wrapped FROM (
        (SELECT q.tenant_id, false AS wrapped FROM axon.queue q
          WHERE q.tenant_id > p_cursor ORDER BY q.tenant_id LIMIT 1)
        UNION ALL
        (SELECT q.tenant_id, true FROM axon.queue q
          WHERE p_cursor <> '' ORDER BY q.tenant_id LIMIT 1)
        LIMIT 1) AS f
      UNION ALL
      SELECT f.tenant_id, t.n + 1, f.wrapped
        FROM t CROSS JOIN LATERAL (
          (SELECT q.tenant_id, t.wrapped AS wrapped FROM axon.queue q
            WHERE q.tenant_id > t.tenant_id ORDER BY q.tenant_id LIMIT 1)
          UNION ALL
          (SELECT q.tenant_id, true FROM axon.queue q
            WHERE NOT t.wrapped AND p_cursor <> '' ORDER BY q.tenant_id LIMIT 1)
          LIMIT 1) AS f
       WHERE t.n < p_max_probes AND NOT (t.wrapped AND t.tenant_id >= p_cursor)),
    probed AS (
      SELECT t.tenant_id, t.n, (
               SELECT true FROM axon.queue q
                WHERE q.tenant_id = t.tenant_id AND q.due_at <= p_now
                  AND (q.lease_expires_at IS NULL OR q.lease_expires_at <= p_now)
                )sql";
constexpr char kClaimProbeToPickOrder[] = R"sql( LIMIT 1) IS NOT NULL AS due
        FROM t
       WHERE NOT (t.wrapped AND t.tenant_id > p_cursor))
    SELECT p.tenant_id, p.due FROM probed p WHERE p.due OR p.n = p_max_probes
     LIMIT p_limit + 1
  LOOP
    IF v_turn.due THEN
      v_due := v_due || v_turn.tenant_id;
    END IF;
    IF cardinality(v_due) >= p_limit OR NOT v_turn.due THEN
      v_stopped := v_turn.tenant_id;  -- the limit, or the probes, ran out here
      EXIT;
    END IF;
  END LOOP;
  next_cursor := coalesce(v_stopped, v_due[1], '');
  RETURN NEXT;
  next_cursor := NULL;

  WHILE v_remaining > 0 AND cardinality(v_due) > 0 LOOP
    v_part := greatest(1, v_remaining / cardinality(v_due));
    v_still := '{}';
    FOREACH v_tenant IN ARRAY v_due LOOP
      EXIT WHEN v_remaining <= 0;
      v_asked := least(v_part, v_remaining);
      WITH picked AS (
        SELECT q.delivery_id, q.due_at AS due, e.ordering = 'fifo' AS fifo
          FROM axon.queue q JOIN axon.endpoints e ON e.id = q.endpoint_id
         WHERE q.tenant_id = v_tenant AND q.due_at <= p_now
           AND (q.lease_expires_at IS NULL OR q.lease_expires_at <= p_now)
           AND NOT e.disabled
           AND (e.ordering <> 'fifo' OR (
                 q.delivery_id = (SELECT min(o.delivery_id COLLATE "C") FROM axon.queue o
                                   WHERE o.endpoint_id = q.endpoint_id)
                 AND NOT EXISTS (SELECT 1 FROM axon.queue o
                                  WHERE o.fifo_lease AND o.endpoint_id = q.endpoint_id
                                    AND o.delivery_id <> q.delivery_id
                                    AND o.lease_expires_at > p_now)))
         )sql";
constexpr char kClaimPickToLease[] = R"sql(
         LIMIT v_asked
         FOR UPDATE OF q SKIP LOCKED),
)sql";
// How the claim of kDeliveryQueue leases the rows it picked (see kQueueRowsByKey).
constexpr char kClaimLeaseByJoin[] = R"sql(
      leased AS (
        UPDATE axon.queue AS q
           SET lease_owner = p_owner, lease_expires_at = p_now + p_lease_ms,
               fifo_lease = picked.fifo
          FROM picked
         WHERE q.delivery_id = picked.delivery_id
        RETURNING q.delivery_id, picked.due)
)sql";
constexpr char kClaimAfterLease[] = R"sql(
      -- The delivery rows read by key here, for the answer below. (Joined there instead, a
      -- generic plan may walk a whole index of deliveries in event order for the window.)
      SELECT coalesce(array_agg(d ORDER BY l.due, l.delivery_id), '{}')
        INTO v_take FROM leased l JOIN axon.deliveries d ON d.id = l.delivery_id;
      v_remaining := v_remaining - cardinality(v_take);
      v_claimed := v_claimed || v_take;
      IF cardinality(v_take) = v_asked THEN
        v_still := v_still || v_tenant;  -- it may have more
      END IF;
    END LOOP;
    v_due := v_still;
  END LOOP;

  -- Each event's body on its first row.
  RETURN QUERY
  SELECT NULL::text, c.id, c.tenant_id, c.event_id, c.event_type, c.endpoint_id, e.url,
         e.headers::text, e.secret_sealed,
         CASE WHEN e.previous_secret_expires_at > p_now THEN e.previous_secret_sealed END,
         c.attempts, c.series_start, e.max_in_flight, e.rate_limit, e.ordering,
         p_now + p_lease_ms, e.operational, e.tls_client_certificate, e.tls_client_key_sealed,
         CASE WHEN row_number() OVER (PARTITION BY c.event_id ORDER BY c.ordinality) = 1
              THEN (SELECT ev.payload FROM axon.events ev WHERE ev.id = c.event_id) END
    FROM unnest(v_claimed) WITH ORDINALITY AS c
    JOIN axon.endpoints e ON e.id = c.endpoint_id
   ORDER BY c.ordinality;
END
$fn$;

)sql";

constexpr char kOutcomeUpToQueueRows[] = R"sql(
-- As in kDispatchFunctions (records and health as there), with the lease read from the queue.
-- An outcome counts while the delivery is still ours: queued (pending) and leased by p_owner
-- or by nobody. `finished` (delivered or dead: the queue row goes) and `retried` (the row is
-- due again at the next attempt, leased by nobody) decide that on the queue rows they lock,
-- each read in its latest version (READ COMMITTED), before any delivery row is touched (the
-- locking order above). `moved` then gives the delivery its status, attempt count and next
-- attempt time when ours, otherwise only the attempt count; the attempt log is written for
-- the deliveries `moved` found (one being deleted meanwhile either is gone from it or waits
-- for this statement, and its attempts are deleted with it).
CREATE OR REPLACE FUNCTION axon.complete_attempts(p_records json, p_now bigint, p_owner text,
                                                  p_health json)
RETURNS void
LANGUAGE plpgsql VOLATILE
)sql" AXON_PG_QUEUE_SETTINGS R"sql(
AS $fn$
BEGIN
  WITH r AS MATERIALIZED (
    SELECT * FROM json_to_recordset(p_records) AS r (ord int, delivery_id text, n int,
             started_at bigint, duration_ms int, status_code int, error text,
             error_message text, response_excerpt text, new_status text,
             next_attempt_at bigint, disable_endpoint boolean, disable_reason text)),
)sql";
// How the outcome of kDeliveryQueue finds its queue rows (see kQueueRowsByKey).
constexpr char kOutcomeQueueRowsByJoin[] = R"sql(
  finished AS (
    DELETE FROM axon.queue AS q USING r
     WHERE q.delivery_id = r.delivery_id AND r.new_status <> 'pending'
       AND (q.lease_owner IS NULL OR q.lease_owner = p_owner)
    RETURNING q.delivery_id),
  retried AS (
    UPDATE axon.queue AS q
       SET due_at = r.next_attempt_at, lease_owner = NULL, lease_expires_at = NULL,
           fifo_lease = false
      FROM r
     WHERE q.delivery_id = r.delivery_id AND r.new_status = 'pending'
       AND (q.lease_owner IS NULL OR q.lease_owner = p_owner)
    RETURNING q.delivery_id),
)sql";

// axon.complete_attempts's statement from `k` on: the same in kDeliveryQueue and
// kQueueRowsByKey, which differ only in how `finished` and `retried` find queue rows.
constexpr char kOutcomeAfterQueueRows[] = R"sql(
  -- (`ours` and `ins` test membership in an expression, which PostgreSQL runs as a hashed
  -- subplan: as a plain IN it becomes a semi-join, with hash joins off a nested loop that
  -- compares every record with every row.)
  k AS MATERIALIZED (
    SELECT r.*, d.endpoint_id,
           r.delivery_id IN (SELECT f.delivery_id FROM finished f
                             UNION ALL SELECT t.delivery_id FROM retried t) AS ours
      FROM r JOIN axon.deliveries d ON d.id = r.delivery_id),
  moved AS (
    UPDATE axon.deliveries AS d
       SET attempts = greatest(d.attempts, k.n),
           status = CASE WHEN k.ours THEN k.new_status ELSE d.status END,
           next_attempt_at = CASE WHEN k.ours AND k.new_status = 'pending'
                                  THEN k.next_attempt_at ELSE d.next_attempt_at END,
           updated_at = CASE WHEN k.ours THEN p_now ELSE d.updated_at END
      FROM k
     WHERE d.id = k.delivery_id
    RETURNING d.id, CASE WHEN k.ours THEN 'pending' ELSE d.status END AS old_status,
              d.status AS new_status),
  ins AS (
    INSERT INTO axon.attempts (delivery_id, n, started_at, duration_ms, status_code, error,
                               error_message, response_excerpt)
    SELECT k.delivery_id, k.n, k.started_at, k.duration_ms, k.status_code, k.error,
           k.error_message, k.response_excerpt
      FROM k WHERE (k.delivery_id IN (SELECT m.id FROM moved m)) IS TRUE ORDER BY k.ord
    ON CONFLICT (delivery_id, n) DO NOTHING),
  )sql" AXON_PG_COUNT_MOVES R"sql(,
  s AS (
    SELECT k.endpoint_id, bool_or(k.disable_endpoint) AS disable,
           (array_agg(k.disable_reason ORDER BY k.ord) FILTER (WHERE k.disable_endpoint))[1]
             AS reason
      FROM k GROUP BY k.endpoint_id),
  f AS (
    SELECT s.*, h.succeeded, h.failing_since
      FROM s JOIN json_to_recordset(p_health) AS h (endpoint_id text, succeeded boolean,
                                                      failing_since bigint)
        ON h.endpoint_id = s.endpoint_id)
  UPDATE axon.endpoints AS e
     SET failing_since = CASE WHEN f.succeeded THEN f.failing_since
                              ELSE coalesce(e.failing_since, f.failing_since) END,
         disabled = e.disabled OR f.disable,
         disabled_reason = CASE WHEN f.disable AND NOT e.disabled THEN f.reason
                                ELSE e.disabled_reason END,
         updated_at = CASE WHEN f.disable AND NOT e.disabled THEN p_now ELSE e.updated_at END
    FROM f
   WHERE e.id = f.endpoint_id
     AND ((f.disable AND NOT e.disabled)
          OR e.failing_since IS DISTINCT FROM
             (CASE WHEN f.succeeded THEN f.failing_since
                   ELSE coalesce(e.failing_since, f.failing_since) END));
)sql";

constexpr char kEndOfFunction[] = R"sql(
END
$fn$;
)sql";
constexpr char kQueueAfterOutcome[] = R"sql(
-- As in kDispatchFunctions, from the queue: the earliest time a claim could take something.
-- For parallel endpoints (enabled): `free`, the first entry of queue_by_due nobody leases,
-- and the leased entries before it (claimable when their lease ends), as many as are in
-- flight; later leased entries cannot come sooner than `free`. For each enabled FIFO endpoint
-- its oldest queued delivery, once no other of its deliveries holds a lease.
CREATE OR REPLACE FUNCTION axon.next_due_at()
RETURNS bigint
LANGUAGE plpgsql STABLE
)sql" AXON_PG_QUEUE_SETTINGS R"sql(
AS $fn$
BEGIN
  RETURN (
    WITH free AS MATERIALIZED (
      SELECT q.due_at AS t
        FROM axon.queue q JOIN axon.endpoints e ON e.id = q.endpoint_id
       WHERE q.lease_expires_at IS NULL AND NOT e.disabled AND e.ordering <> 'fifo'
       ORDER BY q.due_at
       LIMIT 1)
    SELECT min(due.t) FROM (
      SELECT free.t FROM free
      UNION ALL
      SELECT min(greatest(q.due_at, q.lease_expires_at))
        FROM axon.queue q JOIN axon.endpoints e ON e.id = q.endpoint_id
       WHERE q.due_at <= coalesce((SELECT free.t FROM free), 9223372036854775807)
         AND q.lease_expires_at IS NOT NULL AND NOT e.disabled AND e.ordering <> 'fifo'
      UNION ALL
      SELECT greatest(q.due_at, coalesce(q.lease_expires_at, 0),
               coalesce((SELECT max(o.lease_expires_at) FROM axon.queue o
                          WHERE o.fifo_lease AND o.endpoint_id = q.endpoint_id
                            AND o.delivery_id <> q.delivery_id), 0))
        FROM axon.endpoints e
        JOIN axon.queue q
          ON q.delivery_id = (SELECT min(h.delivery_id COLLATE "C") FROM axon.queue h
                               WHERE h.endpoint_id = e.id)
       WHERE NOT e.disabled AND e.ordering = 'fifo') AS due);
END
$fn$;

-- axon.emit_event as in kOperational, its deliveries queued in the same statement.
-- (axon.emit_events calls it, so it queues its events' deliveries too.)
)sql";
// The rest of migration 12's emit_event (kEmitEventEnd follows): the deliveries and queue rows
// inserted with an id each from axon.new_id, then the event's count of them.
constexpr char kEmitEventAfterInsert12[] = R"sql(0, v_now);
  WITH made AS (
    INSERT INTO axon.deliveries (id, tenant_id, event_id, endpoint_id, event_type, status,
                                 attempts, series_start, next_attempt_at, created_at, updated_at)
    SELECT axon.new_id('dlv_', v_now), emit_event.tenant_id, v_id, m.id, emit_event.type,
           'pending', 0, 0, v_now, v_now, v_now
      FROM (SELECT ep.id FROM axon.endpoints ep
             WHERE ep.tenant_id = emit_event.tenant_id AND NOT ep.disabled
               AND NOT ep.operational
               AND axon.subscriptions_match(ep.event_types, emit_event.type)
             ORDER BY ep.id) AS m
     ORDER BY m.id
    RETURNING id, endpoint_id)
  INSERT INTO axon.queue (delivery_id, tenant_id, endpoint_id, due_at)
  SELECT made.id, emit_event.tenant_id, made.endpoint_id, v_now FROM made;
  GET DIAGNOSTICS v_count = ROW_COUNT;
  UPDATE axon.events SET deliveries = v_count WHERE id = v_id;
)sql";

constexpr auto kDeliveryQueueText =
    join_sql(kQueueTables, kClaimUpToProbeOrder, kTenantOrderById, kClaimProbeToPickOrder,
             kTenantOrderById, kClaimPickToLease, kClaimLeaseByJoin, kClaimAfterLease,
             kOutcomeUpToQueueRows, kOutcomeQueueRowsByJoin, kOutcomeAfterQueueRows,
             kEndOfFunction, kQueueAfterOutcome, kEmitEventSignature, kEmitEventChecks,
             kEmitEventInsertUpToDeliveries, kEmitEventAfterInsert12, kEmitEventEnd);
extern const std::string_view kDeliveryQueue = as_view(kDeliveryQueueText);

// axon.claim_due and axon.complete_attempts as in kDeliveryQueue, except that the claim's
// `leased` and the outcome's `finished` and `retried` reach the queue rows by key only
// (`= ANY (ARRAY(...))`, an index condition), and that the per-tenant claim order comes from
// queue_by_tenant_due, whose last column is the id in the "C" collation (the same order: ids
// are ASCII), instead of queue_by_tenant.
//
// Why. Joined to the rows picked or the records (`q.delivery_id = r.delivery_id`), a generic
// plan may instead walk the whole primary key of the queue and compare every row with every
// record: with sequential scans off that walk is the cheapest unparameterised path, and its
// estimate ties with a hundred lookups once the statistics say the queue is nearly empty
// (each VACUUM writes them, and the queue is nearly empty right after one) while its indexes
// are still large. Seen at 10,000 deliveries/s: an outcome batch took 1.4 to 3.6 s, the
// backlog grew, and every later batch walked a bigger queue. With the ids as an array, the
// only index whose columns match `delivery_id = ANY (...)` must be the primary key: with
// those statistics the planner took queue_by_tenant, whose third column was the plain id,
// and walked all of it for each id. No other index of the queue has the plain id as a column.
// What the statements need of the rows picked or the records besides the ids (the FIFO
// flag, the retry time) comes from a jsonb object keyed by id, not from a join: joined, the
// lookup of each row carried both conditions and scanned the whole array again per row. Of
// two records of one delivery (attempted twice before the batch was written) the first one's
// retry time wins, as it usually does in the join of `moved` (records in order).
// Written to run again unchanged.
constexpr char kQueueByTenantDue[] = R"sql(
CREATE INDEX IF NOT EXISTS queue_by_tenant_due
  ON axon.queue (tenant_id, due_at, (delivery_id COLLATE "C"));
DROP INDEX IF EXISTS axon.queue_by_tenant;
)sql";
constexpr char kTenantOrderByDue[] =
    "ORDER BY q.tenant_id, q.due_at, (q.delivery_id COLLATE \"C\")";
constexpr char kClaimLeaseByKey[] = R"sql(
      fifo AS (
        SELECT coalesce(jsonb_object_agg(p.delivery_id, true) FILTER (WHERE p.fifo), '{}')
                 AS ids
          FROM picked AS p),
      leased AS (
        UPDATE axon.queue AS q
           SET lease_owner = p_owner, lease_expires_at = p_now + p_lease_ms,
               fifo_lease = (SELECT f.ids FROM fifo AS f) ? q.delivery_id
         WHERE q.delivery_id = ANY (ARRAY(SELECT p.delivery_id FROM picked AS p))
        RETURNING q.delivery_id, q.due_at AS due)
)sql";
constexpr char kOutcomeQueueRowsByKey[] = R"sql(
  finished AS (
    DELETE FROM axon.queue AS q
     WHERE q.delivery_id = ANY (ARRAY(SELECT p.delivery_id FROM r AS p
                                       WHERE p.new_status <> 'pending'))
       AND (q.lease_owner IS NULL OR q.lease_owner = p_owner)
    RETURNING q.delivery_id),
  retry_at AS (
    SELECT jsonb_object_agg(p.delivery_id, p.next_attempt_at ORDER BY p.ord DESC) AS due
      FROM r AS p WHERE p.new_status = 'pending' AND p.delivery_id IS NOT NULL),
  retried AS (
    UPDATE axon.queue AS q
       SET due_at = ((SELECT t.due FROM retry_at AS t) ->> q.delivery_id)::bigint,
           lease_owner = NULL, lease_expires_at = NULL, fifo_lease = false
     WHERE q.delivery_id = ANY (ARRAY(SELECT p.delivery_id FROM r AS p
                                       WHERE p.new_status = 'pending'))
       AND (q.lease_owner IS NULL OR q.lease_owner = p_owner)
    RETURNING q.delivery_id),
)sql";
constexpr auto kQueueRowsByKeyText =
    join_sql(kQueueByTenantDue, kClaimUpToProbeOrder, kTenantOrderByDue, kClaimProbeToPickOrder,
             kTenantOrderByDue, kClaimPickToLease, kClaimLeaseByKey, kClaimAfterLease,
             kOutcomeUpToQueueRows, kOutcomeQueueRowsByKey, kOutcomeAfterQueueRows,
             kEndOfFunction);
extern const std::string_view kQueueRowsByKey = as_view(kQueueRowsByKeyText);

}  // namespace axon::pg::migration_sql
