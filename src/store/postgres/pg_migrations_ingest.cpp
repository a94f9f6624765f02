// PostgreSQL migrations: the API's events stored in one function call, a single event
// (axon.ingest_event) and a tenant's batch (axon.ingest_events). See pg_schema.cpp for the full
// list of migrations, in order.
#include "store/postgres/pg_migrations.hpp"

namespace axon::pg::migration_sql {

// PostgresStore::ingest_event used to be a transaction of six to seven statements (BEGIN, SET
// LOCAL, the endpoint match, the event row, its deliveries and queue rows, NOTIFY, COMMIT).
// Each was an unnamed statement (a pooler-safe choice: no session state), so PostgreSQL
// parsed and planned every one of them on every event: at 50 events/s, 0.4 ms of planning
// and parsing per event (the inlined subscription match alone took 0.27 ms to plan), about a
// tenth of the database's CPU per event. As one PL/pgSQL function the statements' plans are
// cached per connection and the event costs one round trip in autocommit.
//
// The same rules as before, in the same order: the idempotency key (locked as
// axon.emit_event locks it) answers with the event it names inside the window; the endpoints
// that are enabled, of the event's kind (operational or not) and subscribed to its type
// get a delivery each, in endpoint id order, with the ids the caller drew (p_delivery_ids,
// used in order); an operational event nobody listens to is not stored; a tenant that does not
// exist stores nothing. The function's answer is one row: the outcome and, for 'replayed',
// the event the key names (the columns of pg_rows.hpp's kEventColumns, in that order; the
// other outcomes leave those columns NULL).
// - 'created': stored (or, an operational event, not needed); r_deliveries is the fan-out.
// - 'replayed': the key's event, in the r_* columns.
// - 'need_ids': more endpoints match than ids were given; r_deliveries is how many. Nothing
//   was written; the caller draws that many and calls again.
// - 'no_tenant': nothing was written.
// An event id already taken is a unique violation (the API's conflict), except with p_rerun:
// the caller runs the call again because the connection broke during the first run, whose
// commit is then unknown, and an event with this id and tenant is the first run's.
extern const std::string_view kOneCallIngest = R"sql(
CREATE OR REPLACE FUNCTION axon.ingest_event(
    p_tenant_id text, p_id text, p_type text, p_payload text, p_idempotency_key text,
    p_created_at bigint, p_now bigint, p_operational boolean, p_window_ms bigint,
    p_delivery_ids text[], p_rerun boolean)
RETURNS TABLE (r_id text, r_tenant_id text, r_type text, r_payload text,
               r_idempotency_key text, r_deliveries integer, r_created_at bigint,
               r_outcome text)
LANGUAGE plpgsql VOLATILE
SET jit = off
SET plan_cache_mode = force_generic_plan
AS $fn$
DECLARE
  v_endpoints text[];
  v_n integer;
BEGIN
  IF p_idempotency_key IS NOT NULL THEN
    PERFORM axon.lock_idempotency_key(p_tenant_id, p_idempotency_key);
    RETURN QUERY
      SELECT v.id, v.tenant_id, v.type, v.payload, v.idempotency_key, v.deliveries,
             v.created_at, CASE WHEN v.id = p_id THEN 'created' ELSE 'replayed' END
        FROM axon.idempotency_keys k JOIN axon.events v ON v.id = k.event_id
       WHERE k.tenant_id = p_tenant_id AND k.key = p_idempotency_key
         AND v.tenant_id = p_tenant_id AND p_now - k.created_at < p_window_ms;
    IF FOUND THEN
      RETURN;
    END IF;
  END IF;

  SELECT array_agg(e.id ORDER BY e.id) INTO v_endpoints
    FROM axon.endpoints e
   WHERE e.tenant_id = p_tenant_id AND NOT e.disabled AND e.operational = p_operational
     AND axon.subscriptions_match(e.event_types, p_type);
  v_n := coalesce(cardinality(v_endpoints), 0);
  IF v_n > coalesce(cardinality(p_delivery_ids), 0) THEN
    r_deliveries := v_n;
    r_outcome := 'need_ids';
    RETURN NEXT;
    RETURN;
  END IF;
  IF p_operational AND v_n = 0 THEN  -- not worth a row (operational events can be frequent)
    r_deliveries := 0;
    r_outcome := 'created';
    RETURN NEXT;
    RETURN;
  END IF;

  IF p_rerun THEN
    SELECT v.deliveries INTO r_deliveries
      FROM axon.events v WHERE v.id = p_id AND v.tenant_id = p_tenant_id;
    IF FOUND THEN
      r_outcome := 'created';
      RETURN NEXT;
      RETURN;
    END IF;
  END IF;
  INSERT INTO axon.events (id, tenant_id, type, payload, idempotency_key, deliveries,
                           created_at)
  SELECT p_id, p_tenant_id, p_type, p_payload, p_idempotency_key, v_n, p_created_at
   WHERE EXISTS (SELECT 1 FROM axon.tenants t WHERE t.id = p_tenant_id);
  IF NOT FOUND THEN
    r_deliveries := 0;
    r_outcome := 'no_tenant';
    RETURN NEXT;
    RETURN;
  END IF;

  IF v_n > 0 THEN
    WITH made AS (
      INSERT INTO axon.deliveries (id, tenant_id, event_id, endpoint_id, event_type, status,
                                   attempts, series_start, next_attempt_at, created_at,
                                   updated_at)
      SELECT u.id, p_tenant_id, p_id, u.endpoint_id, p_type, 'pending', 0, 0, p_now, p_now,
             p_now
        FROM unnest(p_delivery_ids[1:v_n], v_endpoints) AS u (id, endpoint_id)
      RETURNING id, endpoint_id)
    INSERT INTO axon.queue (delivery_id, tenant_id, endpoint_id, due_at)
    SELECT made.id, p_tenant_id, made.endpoint_id, p_now FROM made;
    PERFORM pg_notify('axon_work', '');
  END IF;
  IF p_idempotency_key IS NOT NULL THEN
    -- Takes the key, or takes it over from an event older than the window.
    INSERT INTO axon.idempotency_keys (tenant_id, key, event_id, created_at)
    VALUES (p_tenant_id, p_idempotency_key, p_id, p_now)
    ON CONFLICT ON CONSTRAINT idempotency_keys_pkey DO UPDATE
      SET event_id = excluded.event_id, created_at = excluded.created_at;
  END IF;
  r_deliveries := v_n;
  r_outcome := 'created';
  RETURN NEXT;
END
$fn$;
)sql";


// PostgresStore::ingest_events (the API's group commit and its batch call) as one function:
// before, a transaction of seven statements (BEGIN, the tenant, the keys, the endpoint match,
// the events, their deliveries and queue rows, COMMIT), each parsed and planned on every call.
// At 1,000 events/s in groups of a few events, that was about a twentieth of the database's
// CPU in planning alone, and seven round trips on which the API's answers waited.
//
// The rules of ingest_events, as ingest_event applies them to one event: the tenant is held
// (FOR KEY SHARE) or nothing is written ('no_tenant', one row); the keys are locked in sorted
// order, as axon.emit_event locks them; an event whose key names an event inside the window,
// or an earlier event of the same call, replays that event; every other event is stored and
// fans out to the enabled, non-operational endpoints subscribed to its type, in event order
// then endpoint id order, with the caller's delivery ids (p_delivery_ids, used in order).
// When more deliveries are needed than ids were given, nothing is written and one row says
// how many ('need_ids'). Otherwise one row per event, in order: 'created' with r_deliveries
// (the other columns NULL: the caller has them), or 'replayed' with the event it names in the
// r_* columns. p_keys may be NULL when no event has a key. An event id already taken is a
// unique violation for the whole call, except with p_rerun (the caller's connection broke
// during a first run whose commit is unknown): if one of the ids is stored for this tenant,
// the first run committed, and its answer is read back.
extern const std::string_view kOneCallBatchIngest = R"sql(
CREATE OR REPLACE FUNCTION axon.ingest_events(
    p_tenant_id text, p_ids text[], p_types text[], p_payloads text[], p_keys text[],
    p_created_at bigint[], p_now bigint, p_window_ms bigint, p_delivery_ids text[],
    p_rerun boolean)
RETURNS TABLE (r_id text, r_tenant_id text, r_type text, r_payload text,
               r_idempotency_key text, r_deliveries integer, r_created_at bigint,
               r_outcome text)
LANGUAGE plpgsql VOLATILE
SET jit = off
SET plan_cache_mode = force_generic_plan
AS $fn$
DECLARE
  v_replay_of text[];    -- per event: the event it replays, NULL when it is stored
  v_m_types text[];      -- the endpoint matches of the stored events' types:
  v_m_endpoints text[];  --   (type, endpoint) pairs, in endpoint id order
  v_fan_out integer[];   -- per event: its deliveries (0 for a replay)
  v_n integer;
BEGIN
  PERFORM 1 FROM axon.tenants t WHERE t.id = p_tenant_id FOR KEY SHARE;
  IF NOT FOUND THEN
    r_deliveries := 0;
    r_outcome := 'no_tenant';
    RETURN NEXT;
    RETURN;
  END IF;

  IF p_rerun AND EXISTS (SELECT 1 FROM axon.events v
                          WHERE v.id = ANY (p_ids) AND v.tenant_id = p_tenant_id) THEN
    RETURN QUERY
      SELECT v.id, v.tenant_id, v.type, v.payload, v.idempotency_key, v.deliveries,
             v.created_at, CASE WHEN v.id = u.id THEN 'created' ELSE 'replayed' END
        FROM unnest(p_ids, p_keys) WITH ORDINALITY AS u (id, key, ord)
        JOIN axon.events v
          ON v.tenant_id = p_tenant_id
         AND v.id = coalesce((SELECT s.id FROM axon.events s
                               WHERE s.id = u.id AND s.tenant_id = p_tenant_id),
                             (SELECT k.event_id FROM axon.idempotency_keys k
                               WHERE k.tenant_id = p_tenant_id AND k.key = u.key))
       ORDER BY u.ord;
    RETURN;
  END IF;

  IF p_keys IS NOT NULL THEN
    PERFORM axon.lock_idempotency_key(p_tenant_id, s.k)
       FROM (SELECT DISTINCT u.k FROM unnest(p_keys) AS u (k) WHERE u.k IS NOT NULL
              ORDER BY u.k) AS s;
    SELECT array_agg(x.replay_of ORDER BY x.ord) INTO v_replay_of
      FROM (SELECT u.ord,
                   coalesce(k.event_id,
                            CASE WHEN u.key IS NOT NULL THEN
                              nullif(first_value(u.id) OVER (PARTITION BY u.key ORDER BY u.ord),
                                     u.id)
                            END) AS replay_of
              FROM unnest(p_ids, p_keys) WITH ORDINALITY AS u (id, key, ord)
              LEFT JOIN (SELECT k.key, k.event_id
                           FROM axon.idempotency_keys k JOIN axon.events v ON v.id = k.event_id
                          WHERE k.tenant_id = p_tenant_id AND k.key = ANY (p_keys)
                            AND v.tenant_id = p_tenant_id
                            AND p_now - k.created_at < p_window_ms) AS k
                ON k.key = u.key) AS x;
  END IF;

  SELECT array_agg(t.type ORDER BY e.id), array_agg(e.id ORDER BY e.id)
    INTO v_m_types, v_m_endpoints
    FROM (SELECT DISTINCT u.type FROM unnest(p_types, v_replay_of) AS u (type, replay_of)
           WHERE u.replay_of IS NULL) AS t
    JOIN axon.endpoints e
      ON e.tenant_id = p_tenant_id AND NOT e.disabled AND NOT e.operational
     AND axon.subscriptions_match(e.event_types, t.type);
  SELECT array_agg(coalesce(f.n, 0)::integer ORDER BY u.ord), coalesce(sum(f.n), 0)
    INTO v_fan_out, v_n
    FROM unnest(p_types, v_replay_of) WITH ORDINALITY AS u (type, replay_of, ord)
    LEFT JOIN (SELECT m.type, count(*) AS n FROM unnest(v_m_types) AS m (type)
                GROUP BY m.type) AS f
      ON f.type = u.type AND u.replay_of IS NULL;
  IF v_n > coalesce(cardinality(p_delivery_ids), 0) THEN
    r_deliveries := v_n;
    r_outcome := 'need_ids';
    RETURN NEXT;
    RETURN;
  END IF;

  INSERT INTO axon.events (id, tenant_id, type, payload, idempotency_key, deliveries,
                           created_at)
  SELECT u.id, p_tenant_id, u.type, u.payload, u.key, u.deliveries, u.created_at
    FROM unnest(p_ids, p_types, p_payloads, p_keys, p_created_at, v_fan_out, v_replay_of)
         AS u (id, type, payload, key, created_at, deliveries, replay_of)
   WHERE u.replay_of IS NULL;
  IF v_n > 0 THEN
    WITH made AS (
      INSERT INTO axon.deliveries (id, tenant_id, event_id, endpoint_id, event_type, status,
                                   attempts, series_start, next_attempt_at, created_at,
                                   updated_at)
      SELECT p_delivery_ids[d.i::integer], p_tenant_id, d.event_id, d.endpoint_id, d.type, 'pending',
             0, 0, p_now, p_now, p_now
        FROM (SELECT u.id AS event_id, u.type, m.endpoint_id,
                     row_number() OVER (ORDER BY u.ord, m.endpoint_id) AS i
                FROM unnest(p_ids, p_types, v_replay_of) WITH ORDINALITY
                     AS u (id, type, replay_of, ord)
                JOIN unnest(v_m_types, v_m_endpoints) AS m (type, endpoint_id)
                  ON m.type = u.type
               WHERE u.replay_of IS NULL) AS d
      RETURNING id, endpoint_id)
    INSERT INTO axon.queue (delivery_id, tenant_id, endpoint_id, due_at)
    SELECT made.id, p_tenant_id, made.endpoint_id, p_now FROM made;
    PERFORM pg_notify('axon_work', '');
  END IF;
  IF p_keys IS NOT NULL THEN
    -- Takes each key, or takes it over from an event older than the window.
    INSERT INTO axon.idempotency_keys (tenant_id, key, event_id, created_at)
    SELECT p_tenant_id, u.key, u.id, p_now
      FROM unnest(p_ids, p_keys, v_replay_of) AS u (id, key, replay_of)
     WHERE u.key IS NOT NULL AND u.replay_of IS NULL
    ON CONFLICT ON CONSTRAINT idempotency_keys_pkey DO UPDATE
      SET event_id = excluded.event_id, created_at = excluded.created_at;
  END IF;

  IF v_replay_of IS NULL THEN
    RETURN QUERY
      SELECT NULL::text, NULL::text, NULL::text, NULL::text, NULL::text, u.deliveries,
             NULL::bigint, 'created'
        FROM unnest(v_fan_out) WITH ORDINALITY AS u (deliveries, ord)
       ORDER BY u.ord;
    RETURN;
  END IF;
  -- Each replayed event by key (a subquery per event: a generic plan may join the events
  -- table whole otherwise).
  RETURN QUERY
    SELECT v.id, v.tenant_id, v.type, v.payload, v.idempotency_key,
           coalesce(v.deliveries, u.deliveries), v.created_at,
           CASE WHEN u.replay_of IS NULL THEN 'created' ELSE 'replayed' END
      FROM unnest(v_replay_of, v_fan_out) WITH ORDINALITY AS u (replay_of, deliveries, ord)
      LEFT JOIN LATERAL (SELECT s.* FROM axon.events s
                          WHERE s.id = u.replay_of AND s.tenant_id = p_tenant_id
                          OFFSET 0) AS v ON true
     ORDER BY u.ord;
END
$fn$;
)sql";

}  // namespace axon::pg::migration_sql
