// PostgreSQL migration: the API's single event stored in one function call (see pg_schema.cpp
// for the full list of migrations, in order).
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

}  // namespace axon::pg::migration_sql
