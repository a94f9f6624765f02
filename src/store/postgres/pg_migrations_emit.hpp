// Pieces of axon.emit_event (the outbox) shared by the migrations that define it:
// kDeliveryQueue (pg_migrations_queue.cpp) and kOutboxIdRuns (pg_migrations_ids.cpp).
// Thread-safety: constants.
#pragma once

namespace axon::pg::migration_sql {

// The signature and the variables every version declares (a version may add more after).
inline constexpr char kEmitEventSignature[] = R"sql(
CREATE OR REPLACE FUNCTION axon.emit_event(tenant_id text, type text, data jsonb,
                                           idempotency_key text DEFAULT NULL)
RETURNS text LANGUAGE plpgsql VOLATILE AS $fn$
DECLARE
  v_now bigint := axon.now_ms();
  v_id text;
  v_count integer;
)sql";
// From BEGIN: the type, tenant and nesting checks, the idempotency key's replay, and the
// event id drawn.
inline constexpr char kEmitEventChecks[] = R"sql(
BEGIN
  IF emit_event.type IS NULL OR length(emit_event.type) > 128
     OR emit_event.type !~ '^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$' THEN
    RAISE EXCEPTION 'axon.emit_event: invalid event type %',
      coalesce(quote_literal(emit_event.type), 'NULL') USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM axon.tenants t WHERE t.id = emit_event.tenant_id) THEN
    RAISE EXCEPTION 'axon.emit_event: no such tenant %',
      coalesce(quote_literal(emit_event.tenant_id), 'NULL') USING ERRCODE = 'no_data_found';
  END IF;
  IF axon.jsonb_depth(emit_event.data) > 64 THEN
    RAISE EXCEPTION 'axon.emit_event: data is nested deeper than 64 levels'
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF emit_event.idempotency_key IS NOT NULL THEN
    PERFORM axon.lock_idempotency_key(emit_event.tenant_id, emit_event.idempotency_key);
    SELECT e.id INTO v_id
      FROM axon.idempotency_keys k JOIN axon.events e ON e.id = k.event_id
     WHERE k.tenant_id = emit_event.tenant_id AND k.key = emit_event.idempotency_key
       AND e.tenant_id = k.tenant_id AND v_now - k.created_at < 86400000;
    IF FOUND THEN
      RETURN v_id;
    END IF;
  END IF;
  v_id := axon.new_id('evt_', v_now);
)sql";
// The event row's INSERT up to its deliveries column, with the envelope built in SQL.
inline constexpr char kEmitEventInsertUpToDeliveries[] = R"sql(
  INSERT INTO axon.events (id, tenant_id, type, payload, idempotency_key, deliveries, created_at)
  VALUES (v_id, emit_event.tenant_id, emit_event.type,
          '{"id":' || to_jsonb(v_id)::text ||
          ',"type":' || to_jsonb(emit_event.type)::text ||
          ',"tenant_id":' || to_jsonb(emit_event.tenant_id)::text ||
          ',"created_at":"' || axon.format_ms(v_now) ||
          '","data":' || axon.jsonb_minify(coalesce(emit_event.data, 'null'::jsonb)) || '}',
          emit_event.idempotency_key, )sql";
// After the deliveries: the idempotency key taken, the dispatchers woken, the id returned.
inline constexpr char kEmitEventEnd[] = R"sql(
  IF emit_event.idempotency_key IS NOT NULL THEN
    INSERT INTO axon.idempotency_keys (tenant_id, key, event_id, created_at)
    VALUES (emit_event.tenant_id, emit_event.idempotency_key, v_id, v_now)
    ON CONFLICT ON CONSTRAINT idempotency_keys_pkey DO UPDATE
      SET event_id = excluded.event_id, created_at = excluded.created_at;
  END IF;
  PERFORM pg_notify('axon_work', '');
  RETURN v_id;
END
$fn$;
)sql";

}  // namespace axon::pg::migration_sql
