#include "store/postgres/pg_schema.hpp"

#include <string>
#include <string_view>

#include "store/postgres/pg_migrations.hpp"
#include "store/postgres/pg_pool.hpp"

namespace axon::pg {
namespace {

// Version 1: the tables. Deliveries keep their endpoint_id without a foreign key: a deleted
// endpoint's deliveries stay as dead letters.
constexpr std::string_view kTables = R"sql(
CREATE TABLE axon.settings (
  key   text PRIMARY KEY,
  value text NOT NULL
);
CREATE TABLE axon.tenants (
  id         text PRIMARY KEY,
  name       text NOT NULL,
  created_at bigint NOT NULL
);
CREATE TABLE axon.api_keys (
  id         text PRIMARY KEY,
  tenant_id  text NOT NULL REFERENCES axon.tenants (id) ON DELETE CASCADE,
  key_hash   text NOT NULL UNIQUE,
  created_at bigint NOT NULL,
  revoked_at bigint
);
CREATE INDEX api_keys_by_tenant ON axon.api_keys (tenant_id, id);
CREATE TABLE axon.endpoints (
  id                         text PRIMARY KEY,
  tenant_id                  text NOT NULL REFERENCES axon.tenants (id) ON DELETE CASCADE,
  url                        text NOT NULL,
  description                text NOT NULL DEFAULT '',
  event_types                jsonb,                       -- ["a.b", "c.*"]; NULL = all
  headers                    jsonb NOT NULL DEFAULT '[]', -- [["Name", "value"], ...]
  disabled                   boolean NOT NULL DEFAULT false,
  disabled_reason            text NOT NULL DEFAULT '',
  max_in_flight              integer NOT NULL DEFAULT 0,
  rate_limit                 double precision NOT NULL DEFAULT 0,
  ordering                   text NOT NULL DEFAULT 'parallel'
                             CHECK (ordering IN ('parallel', 'fifo')),
  secret_sealed              text NOT NULL,
  previous_secret_sealed     text,
  previous_secret_expires_at bigint,
  failing_since              bigint,
  created_at                 bigint NOT NULL,
  updated_at                 bigint NOT NULL
);
CREATE INDEX endpoints_by_tenant ON axon.endpoints (tenant_id, id);
CREATE TABLE axon.events (
  id              text PRIMARY KEY,
  tenant_id       text NOT NULL REFERENCES axon.tenants (id) ON DELETE CASCADE,
  type            text NOT NULL,
  payload         text NOT NULL,
  idempotency_key text,
  deliveries      integer NOT NULL DEFAULT 0,
  created_at      bigint NOT NULL
);
CREATE INDEX events_by_tenant ON axon.events (tenant_id, id);
-- One row per (tenant, key): the event that took the key and when. A key older than 24 h is
-- taken over by the next event that uses it (as in the SQLite backend).
CREATE TABLE axon.idempotency_keys (
  tenant_id  text NOT NULL REFERENCES axon.tenants (id) ON DELETE CASCADE,
  key        text NOT NULL,
  event_id   text NOT NULL,
  created_at bigint NOT NULL,
  PRIMARY KEY (tenant_id, key)
);
CREATE TABLE axon.deliveries (
  id               text PRIMARY KEY,
  tenant_id        text NOT NULL REFERENCES axon.tenants (id) ON DELETE CASCADE,
  event_id         text NOT NULL REFERENCES axon.events (id) ON DELETE CASCADE,
  endpoint_id      text NOT NULL,
  event_type       text NOT NULL,
  status           text NOT NULL CHECK (status IN ('pending', 'succeeded', 'dead')),
  attempts         integer NOT NULL DEFAULT 0,
  series_start     integer NOT NULL DEFAULT 0,
  next_attempt_at  bigint NOT NULL,
  lease_owner      text,
  lease_expires_at bigint,
  created_at       bigint NOT NULL,
  updated_at       bigint NOT NULL
);
-- The claim queue: a pending delivery is claimable from max(next attempt, lease expiry).
CREATE INDEX deliveries_claimable
  ON axon.deliveries ((greatest(next_attempt_at, coalesce(lease_expires_at, 0))), id)
  WHERE status = 'pending';
CREATE INDEX deliveries_by_endpoint ON axon.deliveries (endpoint_id, status, id);
CREATE INDEX deliveries_by_tenant_status ON axon.deliveries (tenant_id, status, id);
CREATE INDEX deliveries_by_tenant ON axon.deliveries (tenant_id, id);
CREATE INDEX deliveries_by_event ON axon.deliveries (event_id);
CREATE INDEX deliveries_by_lease_owner ON axon.deliveries (lease_owner)
  WHERE lease_owner IS NOT NULL;
CREATE TABLE axon.attempts (
  delivery_id      text NOT NULL REFERENCES axon.deliveries (id) ON DELETE CASCADE,
  n                integer NOT NULL,
  started_at       bigint NOT NULL,
  duration_ms      integer NOT NULL DEFAULT 0,
  status_code      integer NOT NULL DEFAULT 0,
  error            text NOT NULL DEFAULT '',
  error_message    text NOT NULL DEFAULT '',
  response_excerpt text NOT NULL DEFAULT '',
  PRIMARY KEY (delivery_id, n)
);
)sql";

// Version 2: the transactional outbox (docs/operations.md) and the SQL helpers it shares with
// PostgresStore.
constexpr std::string_view kOutbox = R"sql(
-- Epoch milliseconds of the wall clock (not of the transaction start).
CREATE OR REPLACE FUNCTION axon.now_ms() RETURNS bigint LANGUAGE sql VOLATILE AS $fn$
  SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint
$fn$;

-- 2026-11-29T01:02:03.456Z, like core/envelope.hpp format_rfc3339_ms.
CREATE OR REPLACE FUNCTION axon.format_ms(ms bigint) RETURNS text LANGUAGE sql STABLE AS $fn$
  SELECT to_char(('epoch'::timestamptz + ms * interval '1 millisecond') AT TIME ZONE 'UTC',
                 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
$fn$;

-- An id like core/ids.hpp: prefix + 26 Crockford base32 characters of a ULID (48-bit ms
-- time, 80 random bits from gen_random_uuid(), core since PG13, so pgcrypto is not needed).
-- Within one transaction and millisecond the random part is incremented, so ids issued
-- together (an event's deliveries, a trigger's rows) stay strictly increasing.
CREATE OR REPLACE FUNCTION axon.new_id(prefix text, at_ms bigint DEFAULT NULL)
RETURNS text LANGUAGE plpgsql VOLATILE AS $fn$
DECLARE
  alphabet constant text := '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  ms bigint := coalesce(at_ms, axon.now_ms());
  state text := current_setting('axon.last_id', true);
  rnd numeric := 0;
  bytes bytea;
  v numeric;
  out text := '';
BEGIN
  IF coalesce(state, '') <> '' AND split_part(state, ':', 1)::bigint >= ms THEN
    ms := split_part(state, ':', 1)::bigint;
    rnd := split_part(state, ':', 2)::numeric + 1;
  ELSE
    -- 10 fully random bytes of a v4 UUID: 0-5 and 9-12 (6 and 8 carry version/variant).
    bytes := uuid_send(gen_random_uuid());
    FOR i IN 0..5 LOOP rnd := rnd * 256 + get_byte(bytes, i); END LOOP;
    FOR i IN 9..12 LOOP rnd := rnd * 256 + get_byte(bytes, i); END LOOP;
  END IF;
  PERFORM set_config('axon.last_id', ms::text || ':' || rnd::text, true);
  v := ms::numeric * 1208925819614629174706176 + rnd;  -- ms * 2^80 + random
  FOR i IN 1..26 LOOP
    out := substr(alphabet, mod(v, 32)::int + 1, 1) || out;
    v := div(v, 32);
  END LOOP;
  RETURN prefix || out;
END
$fn$;

-- core/subscription.hpp subscriptions_match: NULL = every type; "*" = everything;
-- "order.*" = types starting with "order." (not "order" itself); otherwise exact.
CREATE OR REPLACE FUNCTION axon.subscriptions_match(patterns jsonb, event_type text)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $fn$
  SELECT patterns IS NULL OR jsonb_typeof(patterns) = 'null' OR EXISTS (
    SELECT 1 FROM jsonb_array_elements_text(patterns) AS p (pattern)
    WHERE p.pattern = '*' OR p.pattern = event_type
       OR (right(p.pattern, 2) = '.*'
           AND length(event_type) > length(p.pattern) - 1
           AND starts_with(event_type, left(p.pattern, -1))))
$fn$;

-- Serialises one ingest per (tenant, idempotency key) until commit, so two concurrent
-- requests with the same key cannot both create an event.
CREATE OR REPLACE FUNCTION axon.lock_idempotency_key(tenant_id text, idempotency_key text)
RETURNS void LANGUAGE sql VOLATILE AS $fn$
  SELECT pg_advisory_xact_lock(hashtextextended('axon.idempotency:' || tenant_id || ':' ||
                                                idempotency_key, 0))
$fn$;

-- jsonb as minified JSON text (jsonb::text puts a space after ':' and ',').
CREATE OR REPLACE FUNCTION axon.jsonb_minify(j jsonb)
RETURNS text LANGUAGE plpgsql IMMUTABLE STRICT AS $fn$
BEGIN
  CASE jsonb_typeof(j)
    WHEN 'object' THEN
      RETURN '{' || coalesce((SELECT string_agg(to_jsonb(e.key)::text || ':' ||
                                                axon.jsonb_minify(e.value), ',' ORDER BY e.ord)
                              FROM jsonb_each(j) WITH ORDINALITY AS e (key, value, ord)), '')
             || '}';
    WHEN 'array' THEN
      RETURN '[' || coalesce((SELECT string_agg(axon.jsonb_minify(e.value), ',' ORDER BY e.ord)
                              FROM jsonb_array_elements(j) WITH ORDINALITY AS e (value, ord)),
                             '') || ']';
    ELSE
      RETURN j::text;
  END CASE;
END
$fn$;

-- Nesting depth of a JSON value: a scalar is 0, {} and [] are 1.
CREATE OR REPLACE FUNCTION axon.jsonb_depth(j jsonb)
RETURNS integer LANGUAGE plpgsql IMMUTABLE STRICT AS $fn$
DECLARE
  deepest integer;
BEGIN
  CASE jsonb_typeof(j)
    WHEN 'object' THEN
      SELECT max(axon.jsonb_depth(e.value)) INTO deepest FROM jsonb_each(j) AS e;
    WHEN 'array' THEN
      SELECT max(axon.jsonb_depth(e.value)) INTO deepest FROM jsonb_array_elements(j) AS e;
    ELSE
      RETURN 0;
  END CASE;
  RETURN coalesce(deepest, 0) + 1;
END
$fn$;

-- The transactional outbox: call inside your own transaction or from a trigger; the event
-- exists, fans out and wakes the dispatchers if and only if that transaction commits.
-- Returns the event id (the first event's id on an idempotent repeat within 24 h).
CREATE OR REPLACE FUNCTION axon.emit_event(tenant_id text, type text, data jsonb,
                                           idempotency_key text DEFAULT NULL)
RETURNS text LANGUAGE plpgsql VOLATILE AS $fn$
DECLARE
  v_now bigint := axon.now_ms();
  v_id text;
  v_count integer;
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
  INSERT INTO axon.events (id, tenant_id, type, payload, idempotency_key, deliveries, created_at)
  VALUES (v_id, emit_event.tenant_id, emit_event.type,
          '{"id":' || to_jsonb(v_id)::text ||
          ',"type":' || to_jsonb(emit_event.type)::text ||
          ',"tenant_id":' || to_jsonb(emit_event.tenant_id)::text ||
          ',"created_at":"' || axon.format_ms(v_now) ||
          '","data":' || axon.jsonb_minify(coalesce(emit_event.data, 'null'::jsonb)) || '}',
          emit_event.idempotency_key, 0, v_now);
  INSERT INTO axon.deliveries (id, tenant_id, event_id, endpoint_id, event_type, status,
                               attempts, series_start, next_attempt_at, created_at, updated_at)
  SELECT axon.new_id('dlv_', v_now), emit_event.tenant_id, v_id, m.id, emit_event.type,
         'pending', 0, 0, v_now, v_now, v_now
    FROM (SELECT ep.id FROM axon.endpoints ep
           WHERE ep.tenant_id = emit_event.tenant_id AND NOT ep.disabled
             AND axon.subscriptions_match(ep.event_types, emit_event.type)
           ORDER BY ep.id) AS m
   ORDER BY m.id;
  GET DIAGNOSTICS v_count = ROW_COUNT;
  UPDATE axon.events SET deliveries = v_count WHERE id = v_id;
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

// v3: the event-type catalogue (issue 9). Names are unique per tenant; the schema is JSON text.
constexpr std::string_view kEventTypes = R"sql(
CREATE TABLE axon.event_types (
  tenant_id   text NOT NULL REFERENCES axon.tenants (id) ON DELETE CASCADE,
  name        text NOT NULL,
  description text NOT NULL DEFAULT '',
  deprecated  boolean NOT NULL DEFAULT false,
  schema      text,
  version     integer NOT NULL DEFAULT 1,
  created_at  bigint NOT NULL,
  updated_at  bigint NOT NULL,
  PRIMARY KEY (tenant_id, name)
);
)sql";

// v4: operational endpoints (issue 9) receive only operational events, normal ones never.
constexpr std::string_view kOperational = R"sql(
ALTER TABLE axon.endpoints ADD COLUMN operational boolean NOT NULL DEFAULT false;
-- axon.emit_event as in version 2, but an outbox event is a normal event: it never fans
-- out to an operational endpoint.
CREATE OR REPLACE FUNCTION axon.emit_event(tenant_id text, type text, data jsonb,
                                           idempotency_key text DEFAULT NULL)
RETURNS text LANGUAGE plpgsql VOLATILE AS $fn$
DECLARE
  v_now bigint := axon.now_ms();
  v_id text;
  v_count integer;
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
  INSERT INTO axon.events (id, tenant_id, type, payload, idempotency_key, deliveries, created_at)
  VALUES (v_id, emit_event.tenant_id, emit_event.type,
          '{"id":' || to_jsonb(v_id)::text ||
          ',"type":' || to_jsonb(emit_event.type)::text ||
          ',"tenant_id":' || to_jsonb(emit_event.tenant_id)::text ||
          ',"created_at":"' || axon.format_ms(v_now) ||
          '","data":' || axon.jsonb_minify(coalesce(emit_event.data, 'null'::jsonb)) || '}',
          emit_event.idempotency_key, 0, v_now);
  INSERT INTO axon.deliveries (id, tenant_id, event_id, endpoint_id, event_type, status,
                               attempts, series_start, next_attempt_at, created_at, updated_at)
  SELECT axon.new_id('dlv_', v_now), emit_event.tenant_id, v_id, m.id, emit_event.type,
         'pending', 0, 0, v_now, v_now, v_now
    FROM (SELECT ep.id FROM axon.endpoints ep
           WHERE ep.tenant_id = emit_event.tenant_id AND NOT ep.disabled
             AND NOT ep.operational
             AND axon.subscriptions_match(ep.event_types, emit_event.type)
           ORDER BY ep.id) AS m
   ORDER BY m.id;
  GET DIAGNOSTICS v_count = ROW_COUNT;
  UPDATE axon.events SET deliveries = v_count WHERE id = v_id;
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

// Client certificates of endpoints (mTLS, issue 16): the PEM chain, and its private key
// sealed under the master key like the signing secrets. Existing endpoints have none.
constexpr std::string_view kClientCertificates = R"sql(
ALTER TABLE axon.endpoints ADD COLUMN tls_client_certificate text;
ALTER TABLE axon.endpoints ADD COLUMN tls_client_key_sealed text;
)sql";

// Many outbox events in one call (batch ingest's counterpart): a JSON array of
// {type, data, idempotency_key?} objects, each emitted as axon.emit_event would in order
// (a key used twice in one call returns the first event's id). Returns one id per element.
// An element that axon.emit_event refuses raises and so fails the caller's transaction:
// the outbox is all or nothing, like the transaction it belongs to.
constexpr std::string_view kOutboxBatch = R"sql(
CREATE OR REPLACE FUNCTION axon.emit_events(tenant_id text, events jsonb)
RETURNS SETOF text LANGUAGE plpgsql VOLATILE AS $fn$
DECLARE
  e jsonb;
BEGIN
  IF jsonb_typeof(emit_events.events) IS DISTINCT FROM 'array' THEN
    RAISE EXCEPTION 'axon.emit_events: events must be a JSON array of {type, data, idempotency_key?}'
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  FOR e IN SELECT x.value FROM jsonb_array_elements(emit_events.events) WITH ORDINALITY AS x (value, n)
           ORDER BY x.n LOOP
    IF jsonb_typeof(e) IS DISTINCT FROM 'object' THEN
      RAISE EXCEPTION 'axon.emit_events: every event must be an object, not %', e
        USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN NEXT axon.emit_event(emit_events.tenant_id, e ->> 'type', e -> 'data',
                                e ->> 'idempotency_key');
  END LOOP;
END
$fn$;
)sql";

// Claims shared among tenants: the claim finds the tenants with pending work by a skip scan
// and takes each one's oldest due deliveries from this index.
constexpr std::string_view kClaimByTenant = R"sql(
CREATE INDEX deliveries_claimable_by_tenant
  ON axon.deliveries (tenant_id, (greatest(next_attempt_at, coalesce(lease_expires_at, 0))), id)
  WHERE status = 'pending';
)sql";

using migration_sql::kDeliveriesWithoutEventKey;
using migration_sql::kDeliveryQueue;
using migration_sql::kDispatchFunctions;
using migration_sql::kFasterIds;
using migration_sql::kFasterSubscriptionMatch;
using migration_sql::kHotOutcomes;
using migration_sql::kLeanDeliveryWrites;
using migration_sql::kOneCallBatchIngest;
using migration_sql::kOneCallIngest;
using migration_sql::kOutboxIdRuns;
using migration_sql::kQueueRowsByKey;
using migration_sql::kRetention;

// A function-local table: some migrations' SQL is defined in other files
// (pg_migrations.hpp), so the list is built on first use, never during static initialisation.
std::span<const Migration> all_migrations() {
  static const Migration list[] = {{1, kTables},
                                   {2, kOutbox},
                                   {3, kEventTypes},
                                   {4, kOperational},
                                   {5, kRetention},
                                   {6, kClientCertificates},
                                   {7, kOutboxBatch},
                                   {8, kClaimByTenant},
                                   {9, kLeanDeliveryWrites},
                                   {10, kDispatchFunctions},
                                   {11, kFasterIds},
                                   {12, kDeliveryQueue},
                                   {13, kHotOutcomes},
                                   {14, kFasterSubscriptionMatch},
                                   {15, kOneCallIngest},
                                   {16, kQueueRowsByKey},
                                   {17, kOneCallBatchIngest},
                                   {18, kOutboxIdRuns},
                                   {19, kDeliveriesWithoutEventKey}};
  return list;
}

// pg_advisory_xact_lock key shared by every process migrating this database ("axonmigr").
constexpr std::int64_t kMigrationLockKey = 0x61786f6e6d696772;

}  // namespace

std::span<const Migration> migrations() { return all_migrations(); }

int latest_schema_version() { return all_migrations().back().version; }

namespace {
// The version of the migration whose SQL is `sql` (one of the constants above), or 0.
int version_of(std::string_view sql) {
  for (const Migration& m : all_migrations()) {
    if (m.sql.data() == sql.data()) return m.version;
  }
  return 0;
}
}  // namespace

int retention_schema_version() { return version_of(kRetention); }

int lean_writes_schema_version() { return version_of(kLeanDeliveryWrites); }

int dispatch_functions_schema_version() { return version_of(kDispatchFunctions); }

int delivery_queue_schema_version() { return version_of(kDeliveryQueue); }

int hot_outcomes_schema_version() { return version_of(kHotOutcomes); }
int one_call_ingest_schema_version() { return version_of(kOneCallIngest); }
int queue_rows_by_key_schema_version() { return version_of(kQueueRowsByKey); }
int one_call_batch_ingest_schema_version() { return version_of(kOneCallBatchIngest); }
int outbox_id_runs_schema_version() { return version_of(kOutboxIdRuns); }
int deliveries_without_event_key_schema_version() { return version_of(kDeliveriesWithoutEventKey); }

void run_migrations(PgConnection& conn) { run_migrations(conn, latest_schema_version()); }

void run_migrations(PgConnection& conn, int up_to) {
  Transaction tx(conn);
  tx.exec("SELECT pg_advisory_xact_lock($1)", Params(kMigrationLockKey));
  conn.exec_script(
      "CREATE SCHEMA IF NOT EXISTS axon;"
      "CREATE TABLE IF NOT EXISTS axon.schema_migrations ("
      "  version integer PRIMARY KEY, applied_at bigint NOT NULL)");
  PgResult current = tx.exec("SELECT coalesce(max(version), 0) FROM axon.schema_migrations");
  const int have = current.i32(0, 0);
  if (have > latest_schema_version()) {
    throw PgError("XX000", "database schema version " + std::to_string(have) +
                               " is newer than this program's (" +
                               std::to_string(latest_schema_version()) + ")");
  }
  for (const Migration& m : all_migrations()) {
    if (m.version <= have || m.version > up_to) continue;
    conn.exec_script(m.sql);
    tx.exec(
        "INSERT INTO axon.schema_migrations (version, applied_at) "
        "VALUES ($1, (extract(epoch FROM clock_timestamp()) * 1000)::bigint)",
        Params(m.version));
  }
  tx.commit();
}

}  // namespace axon::pg
