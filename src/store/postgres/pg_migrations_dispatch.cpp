// The dispatcher's hot path as server-side functions (see pg_schema.cpp for the full list of
// migrations, in order).
#include "store/postgres/pg_migrations.hpp"

namespace axon::pg::migration_sql {

// In axon.complete_attempts: the delivery row `d` is still ours (p_owner's lease, or none
// after a hand-back), so the outcome applies to it.
#define AXON_PG_STILL_OURS \
  "(d.status = 'pending' AND (d.lease_owner IS NULL OR d.lease_owner = p_owner))"

// Claim, outcome and next-due time, each one function called as one statement in autocommit
// (PostgresStore, pg_store_dispatch.cpp): one round trip per batch instead of five or more
// (BEGIN, planner settings, the statements, COMMIT), and no parse or plan per call: PL/pgSQL
// prepares its statements once per server session and keeps their plans. That is no session
// state a transaction-mode pooler could break: a function is a schema object, and whichever
// client a session serves next finds the same plans, valid for it too.
//
// Planning. The statements must cost O(batch), never O(backlog): walk the claim indexes in
// order and look every picked row up by key. Left to itself the planner prefers sequential
// scans, sorts and hash joins over the whole table as soon as a backlog makes most rows due,
// so each function turns those off for its own statements (SET clauses: they hold for the
// call only and are restored on return). plan_cache_mode = force_generic_plan: a custom plan
// would be planned again on every call (the cost these functions remove); with the other
// plan types switched off the generic plan of each statement is the index walk whatever the
// values (LIMIT, tenant, time), checked with EXPLAIN EXECUTE of the same statements.
// JIT is off: compiling a statement takes ~1 s of server CPU and saves nothing here.
//
// The functions keep the semantics of the statements they replace (pg_store_dispatch.cpp
// before this migration); old nodes are stopped for an upgrade (docs/operations.md), so no
// process runs those statements on this schema. Written to run again unchanged (OR REPLACE).
extern const std::string_view kDispatchFunctions = R"sql(
-- Leases up to p_limit due deliveries for p_owner, shared among the tenants with due work as
-- store/fair_claim.hpp's share_claim does (the same rule as the SQLite store): the tenants
-- are visited in turn order from the one after p_cursor, wrapping around once (at most
-- p_max_probes looked at, at most p_limit with due work); each round gives every tenant still
-- in play an equal part of what is left, and a tenant that could not fill its part leaves.
-- Within a tenant the oldest due go first; rows another claimer holds locked are skipped.
-- A FIFO endpoint offers only its oldest pending delivery (by id, i.e. creation order), and
-- only while no other of its pending deliveries holds a live lease.
-- Returns first one row with only next_cursor set (where the next claim's turn starts),
-- then one row per leased delivery in claim order; payload (the event's body) is set on the
-- first row of each event only, so one body crosses the wire once per event.
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
)sql" AXON_PG_HOT_PATH_SETTINGS R"sql(
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
  v_take axon.deliveries[];   -- one tenant's leased rows, oldest due first
  v_claimed axon.deliveries[] := '{}';
BEGIN
  -- The turn order: a skip scan over deliveries_claimable_by_tenant, each step looking up
  -- the next tenant with pending work after the current one (or wrapping around once), each
  -- flagged when its first entry there is due. Only the due ones come back, and the last one
  -- looked at when the probes ran out; the scan is demand-driven and stops at the rows read.
  -- (A generic plan knows no tenant: ordering by tenant_id first, with sorting switched
  -- off, is what keeps every per-tenant lookup on deliveries_claimable_by_tenant rather
  -- than a walk of deliveries_claimable past other tenants' rows.)
  FOR v_turn IN
    WITH RECURSIVE t(tenant_id, n, wrapped) AS (
      SELECT f.tenant_id, 1, f.wrapped FROM (
        (SELECT d.tenant_id, false AS wrapped FROM axon.deliveries d
          WHERE d.status = 'pending' AND d.tenant_id > p_cursor ORDER BY d.tenant_id LIMIT 1)
        UNION ALL
        (SELECT d.tenant_id, true FROM axon.deliveries d
          WHERE d.status = 'pending' AND p_cursor <> '' ORDER BY d.tenant_id LIMIT 1)
        LIMIT 1) AS f
      UNION ALL
      SELECT f.tenant_id, t.n + 1, f.wrapped
        FROM t CROSS JOIN LATERAL (
          (SELECT d.tenant_id, t.wrapped AS wrapped FROM axon.deliveries d
            WHERE d.status = 'pending' AND d.tenant_id > t.tenant_id
            ORDER BY d.tenant_id LIMIT 1)
          UNION ALL
          (SELECT d.tenant_id, true FROM axon.deliveries d
            WHERE d.status = 'pending' AND NOT t.wrapped AND p_cursor <> ''
            ORDER BY d.tenant_id LIMIT 1)
          LIMIT 1) AS f
       WHERE t.n < p_max_probes AND NOT (t.wrapped AND t.tenant_id >= p_cursor)),
    probed AS (
      SELECT t.tenant_id, t.n, (
               SELECT greatest(d.next_attempt_at, coalesce(d.lease_expires_at, 0))
                 FROM axon.deliveries d
                WHERE d.tenant_id = t.tenant_id AND d.status = 'pending'
                ORDER BY d.tenant_id, greatest(d.next_attempt_at, coalesce(d.lease_expires_at, 0))
                LIMIT 1) <= p_now AS due
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
  -- After the last tenant looked at when the list was cut, otherwise after the first, so
  -- the first turn moves on by one tenant each claim (store/fair_claim.hpp ClaimTurns).
  next_cursor := coalesce(v_stopped, v_due[1], '');
  RETURN NEXT;
  next_cursor := NULL;

  WHILE v_remaining > 0 AND cardinality(v_due) > 0 LOOP
    v_part := greatest(1, v_remaining / cardinality(v_due));
    v_still := '{}';
    FOREACH v_tenant IN ARRAY v_due LOOP
      EXIT WHEN v_remaining <= 0;
      v_asked := least(v_part, v_remaining);
      -- (A lease always sets or clears lease_owner and lease_expires_at together, so
      -- `lease_owner IS NOT NULL` changes no result; it lets the planner pick the small
      -- partial deliveries_by_lease_owner index for "leased rows of this endpoint".)
      WITH picked AS (
        SELECT d.id, greatest(d.next_attempt_at, coalesce(d.lease_expires_at, 0)) AS due
          FROM axon.deliveries d JOIN axon.endpoints e ON e.id = d.endpoint_id
         WHERE d.status = 'pending' AND d.tenant_id = v_tenant
           AND greatest(d.next_attempt_at, coalesce(d.lease_expires_at, 0)) <= p_now
           AND NOT e.disabled
           AND (e.ordering <> 'fifo' OR (
                 d.id = (SELECT min(o.id) FROM axon.deliveries o
                          WHERE o.endpoint_id = d.endpoint_id AND o.status = 'pending')
                 AND NOT EXISTS (SELECT 1 FROM axon.deliveries o
                                  WHERE o.lease_owner IS NOT NULL
                                    AND o.endpoint_id = d.endpoint_id
                                    AND o.status = 'pending'
                                    AND o.id <> d.id AND o.lease_expires_at > p_now)))
         ORDER BY d.tenant_id, greatest(d.next_attempt_at, coalesce(d.lease_expires_at, 0)),
                  d.id
         LIMIT v_asked
         FOR UPDATE OF d SKIP LOCKED),
      leased AS (
        UPDATE axon.deliveries AS d
           SET lease_owner = p_owner, lease_expires_at = p_now + p_lease_ms
          FROM picked
         WHERE d.id = picked.id
        RETURNING d AS lease, picked.due)
      SELECT coalesce(array_agg(l.lease ORDER BY l.due, (l.lease).id), '{}')
        INTO v_take FROM leased l;
      v_remaining := v_remaining - cardinality(v_take);
      v_claimed := v_claimed || v_take;
      IF cardinality(v_take) = v_asked THEN
        v_still := v_still || v_tenant;  -- it may have more
      END IF;
    END LOOP;
    v_due := v_still;
  END LOOP;

  RETURN QUERY
  SELECT NULL::text, c.id, c.tenant_id, c.event_id, c.event_type, c.endpoint_id, e.url,
         e.headers::text, e.secret_sealed,
         CASE WHEN e.previous_secret_expires_at > p_now THEN e.previous_secret_sealed END,
         c.attempts, c.series_start, e.max_in_flight, e.rate_limit, e.ordering,
         c.lease_expires_at, e.operational, e.tls_client_certificate, e.tls_client_key_sealed,
         CASE WHEN row_number() OVER (PARTITION BY c.event_id ORDER BY c.ordinality) = 1
              THEN (SELECT ev.payload FROM axon.events ev WHERE ev.id = c.event_id) END
    FROM unnest(v_claimed) WITH ORDINALITY AS c
    JOIN axon.endpoints e ON e.id = c.endpoint_id
   ORDER BY c.ordinality;
END
$fn$;

-- Records a batch of attempt outcomes (p_records: a JSON array of records, read as a stream,
-- which costs less than building a jsonb value) in one statement:
-- k: the records whose delivery still exists (with its endpoint and status), locking those
--   deliveries: under READ COMMITTED a locked row is read in its latest version, which
--   `moved` then reports as the old status, and a delivery being deleted meanwhile is either
--   gone from `k` or waits for this statement (its attempts are deleted with it). The
--   data-modifying CTEs all see the rows as they were before.
-- ins: the attempt log; a duplicate attempt number keeps the first record.
-- moved: the outcome counts only while the delivery is still ours: pending and leased by
--   p_owner (or by nobody, after a release). Otherwise only the attempt count moves.
-- counted: status changes into this session's counter rows (as store/postgres/pg_counts.hpp).
-- The final UPDATE, per endpoint: failing_since as computed for the batch by the rule both
-- stores share (p_health); the first 410 disables it. An endpoint whose row would not change
-- is left alone (not rewritten, not locked), so the batches of several nodes do not queue on
-- the rows of the endpoints they share.
CREATE OR REPLACE FUNCTION axon.complete_attempts(p_records json, p_now bigint, p_owner text,
                                                  p_health json)
RETURNS void
LANGUAGE plpgsql VOLATILE
)sql" AXON_PG_HOT_PATH_SETTINGS R"sql(
AS $fn$
BEGIN
  WITH k AS MATERIALIZED (
    SELECT r.*, d.endpoint_id, d.status AS old_status
      FROM json_to_recordset(p_records) AS r (ord int, delivery_id text, n int,
             started_at bigint, duration_ms int, status_code int, error text,
             error_message text, response_excerpt text, new_status text,
             next_attempt_at bigint, disable_endpoint boolean, disable_reason text)
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
           status = CASE WHEN )sql" AXON_PG_STILL_OURS R"sql( THEN r.new_status ELSE d.status END,
           next_attempt_at = CASE WHEN )sql" AXON_PG_STILL_OURS R"sql( AND r.new_status = 'pending'
                                  THEN r.next_attempt_at ELSE d.next_attempt_at END,
           lease_owner = CASE WHEN )sql" AXON_PG_STILL_OURS R"sql( THEN NULL ELSE d.lease_owner END,
           lease_expires_at = CASE WHEN )sql" AXON_PG_STILL_OURS R"sql( THEN NULL
                                   ELSE d.lease_expires_at END,
           updated_at = CASE WHEN )sql" AXON_PG_STILL_OURS R"sql( THEN p_now ELSE d.updated_at END
      FROM k AS r
     WHERE d.id = r.delivery_id
    RETURNING r.old_status, d.status AS new_status),
  counted AS (
    INSERT INTO axon.delivery_counts AS c (status, shard, n)
    SELECT m.status, pg_backend_pid(), sum(m.delta)
      FROM moved CROSS JOIN LATERAL (VALUES (moved.old_status, -1),
                                            (moved.new_status, 1)) AS m (status, delta)
     WHERE moved.old_status <> moved.new_status
     GROUP BY m.status ORDER BY m.status
    ON CONFLICT (status, shard) DO UPDATE SET n = c.n + excluded.n),
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
END
$fn$;

-- The earliest claimable time over what axon.claim_due could ever pick (NULL: nothing): for
-- parallel endpoints the first entry of deliveries_claimable whose endpoint is enabled (an
-- index walk that stops there, not a scan of the whole backlog); for each enabled FIFO
-- endpoint its oldest pending delivery, once no other of its deliveries holds a lease. (That
-- oldest one is found as min(id) on deliveries_by_endpoint, then read by key: asked for the
-- whole row in id order, the planner may walk deliveries_pkey from the oldest delivery kept,
-- past the endpoint's whole history.)
CREATE OR REPLACE FUNCTION axon.next_due_at()
RETURNS bigint
LANGUAGE plpgsql STABLE
)sql" AXON_PG_HOT_PATH_SETTINGS R"sql(
AS $fn$
BEGIN
  RETURN (
    SELECT min(due.t) FROM (
      (SELECT greatest(d.next_attempt_at, coalesce(d.lease_expires_at, 0)) AS t
         FROM axon.deliveries d JOIN axon.endpoints e ON e.id = d.endpoint_id
        WHERE d.status = 'pending' AND NOT e.disabled AND e.ordering <> 'fifo'
        ORDER BY greatest(d.next_attempt_at, coalesce(d.lease_expires_at, 0)), d.id
        LIMIT 1)
      UNION ALL
      SELECT greatest(greatest(d.next_attempt_at, coalesce(d.lease_expires_at, 0)),
               coalesce((SELECT max(o.lease_expires_at) FROM axon.deliveries o
                          WHERE o.lease_owner IS NOT NULL AND o.endpoint_id = d.endpoint_id
                            AND o.status = 'pending' AND o.id <> d.id), 0))
        FROM axon.endpoints e
        JOIN axon.deliveries d
          ON d.id = (SELECT min(h.id) FROM axon.deliveries h
                      WHERE h.endpoint_id = e.id AND h.status = 'pending')
       WHERE NOT e.disabled AND e.ordering = 'fifo') AS due);
END
$fn$;
)sql";

}  // namespace axon::pg::migration_sql
