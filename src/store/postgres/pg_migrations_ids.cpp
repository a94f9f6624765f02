// PostgreSQL migrations: faster ids for the outbox. kFasterIds computes axon.new_id on bigints;
// kOutboxIdRuns draws an event's delivery ids in one call (axon.new_ids) instead of one call
// each.
#include "store/postgres/pg_migrations.hpp"
#include "store/postgres/pg_migrations_emit.hpp"

namespace axon::pg::migration_sql {

// An id is prefix + the ULID's 26 Crockford base32 characters: 10 for the 48-bit millisecond
// time, 16 for the 80 random bits. Version 2 built them from one numeric (ms * 2^80 + random)
// in a loop of 26 numeric divisions, which cost more than the rows an event inserts. The 80
// bits split into two 40-bit halves are exactly 8 characters each, so bigint shifts give the
// same text; the state kept for the next id of the transaction becomes "ms:high:low".
const std::string_view kFasterIds = R"sql(
CREATE OR REPLACE FUNCTION axon.new_id(prefix text, at_ms bigint DEFAULT NULL)
RETURNS text LANGUAGE plpgsql VOLATILE AS $fn$
DECLARE
  alphabet constant text := '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  ms bigint := coalesce(at_ms, axon.now_ms());
  state text := current_setting('axon.last_id', true);
  hi bigint;  -- random bits 79..40
  lo bigint;  -- random bits 39..0
  bytes bytea;
BEGIN
  -- Within one transaction and millisecond the random part is incremented, so ids issued
  -- together stay strictly increasing. (A state from before this version has no third part:
  -- it then starts afresh.)
  IF coalesce(split_part(state, ':', 3), '') <> '' AND split_part(state, ':', 1)::bigint >= ms THEN
    ms := split_part(state, ':', 1)::bigint;
    hi := split_part(state, ':', 2)::bigint;
    lo := split_part(state, ':', 3)::bigint + 1;
    IF lo > 1099511627775 THEN  -- 2^40 - 1: carry into the high half
      lo := 0;
      hi := (hi + 1) & 1099511627775;
    END IF;
  ELSE
    -- 10 fully random bytes of a v4 UUID: 0-5 and 9-12 (6 and 8 carry version/variant).
    bytes := uuid_send(gen_random_uuid());
    hi := ('x' || encode(substr(bytes, 1, 5), 'hex'))::bit(40)::bigint;
    lo := ('x' || encode(substr(bytes, 6, 1) || substr(bytes, 10, 4), 'hex'))::bit(40)::bigint;
  END IF;
  PERFORM set_config('axon.last_id', ms || ':' || hi || ':' || lo, true);
  -- One expression, not a loop: each PL/pgSQL statement costs more than the arithmetic.
  RETURN prefix
         || substr(alphabet, ((ms >> 45) & 31)::int + 1, 1) || substr(alphabet, ((ms >> 40) & 31)::int + 1, 1)
         || substr(alphabet, ((ms >> 35) & 31)::int + 1, 1) || substr(alphabet, ((ms >> 30) & 31)::int + 1, 1)
         || substr(alphabet, ((ms >> 25) & 31)::int + 1, 1) || substr(alphabet, ((ms >> 20) & 31)::int + 1, 1)
         || substr(alphabet, ((ms >> 15) & 31)::int + 1, 1) || substr(alphabet, ((ms >> 10) & 31)::int + 1, 1)
         || substr(alphabet, ((ms >> 5) & 31)::int + 1, 1) || substr(alphabet, ((ms >> 0) & 31)::int + 1, 1)
         || substr(alphabet, ((hi >> 35) & 31)::int + 1, 1) || substr(alphabet, ((hi >> 30) & 31)::int + 1, 1)
         || substr(alphabet, ((hi >> 25) & 31)::int + 1, 1) || substr(alphabet, ((hi >> 20) & 31)::int + 1, 1)
         || substr(alphabet, ((hi >> 15) & 31)::int + 1, 1) || substr(alphabet, ((hi >> 10) & 31)::int + 1, 1)
         || substr(alphabet, ((hi >> 5) & 31)::int + 1, 1) || substr(alphabet, ((hi >> 0) & 31)::int + 1, 1)
         || substr(alphabet, ((lo >> 35) & 31)::int + 1, 1) || substr(alphabet, ((lo >> 30) & 31)::int + 1, 1)
         || substr(alphabet, ((lo >> 25) & 31)::int + 1, 1) || substr(alphabet, ((lo >> 20) & 31)::int + 1, 1)
         || substr(alphabet, ((lo >> 15) & 31)::int + 1, 1) || substr(alphabet, ((lo >> 10) & 31)::int + 1, 1)
         || substr(alphabet, ((lo >> 5) & 31)::int + 1, 1) || substr(alphabet, ((lo >> 0) & 31)::int + 1, 1);
END
$fn$;
)sql";

// An event of the outbox fanned out to ten endpoints called axon.new_id eleven times: a
// PL/pgSQL call, its state read and written with current_setting/set_config and 26 characters
// encoded, each time. Those calls were about a sixth of axon.emit_event's time. axon.new_ids
// reads the state once, draws a run of n consecutive ids (the random part incremented, as n
// calls within one millisecond would) and encodes the shared head (prefix, time, high half)
// once, so a delivery costs the 8 characters of its low half, encoded by axon.base32_40 (an
// SQL function: inlined into the query). A run that would carry out of the low half starts at
// the next high value instead (the ids still increase). As in core/ids.hpp, the random part
// starts at the microsecond within the millisecond (its top 10 bits), so that ids drawn by
// consecutive transactions within one millisecond still sort in the order they were drawn (a
// FIFO endpoint's order); before, each transaction started from 80 random bits. axon.new_id
// becomes a run of one: one place for the state. emit_event draws its deliveries' ids as one run
// after finding the endpoints, and writes the event's delivery count with the event (before,
// a second UPDATE of the event row).
constexpr char kIdRuns[] = R"sql(
CREATE OR REPLACE FUNCTION axon.base32_40(v bigint)
RETURNS text LANGUAGE sql IMMUTABLE AS $fn$
  SELECT substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', ((v >> 35) & 31)::int + 1, 1)
      || substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', ((v >> 30) & 31)::int + 1, 1)
      || substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', ((v >> 25) & 31)::int + 1, 1)
      || substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', ((v >> 20) & 31)::int + 1, 1)
      || substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', ((v >> 15) & 31)::int + 1, 1)
      || substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', ((v >> 10) & 31)::int + 1, 1)
      || substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', ((v >> 5) & 31)::int + 1, 1)
      || substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', (v & 31)::int + 1, 1)
$fn$;

CREATE OR REPLACE FUNCTION axon.new_ids(prefix text, n integer, at_ms bigint DEFAULT NULL)
RETURNS text[] LANGUAGE plpgsql VOLATILE AS $fn$
DECLARE
  ms bigint := coalesce(at_ms, axon.now_ms());
  -- The microsecond within ms (axon.now_ms rounds, so ms spans ms*1000-500 to ms*1000+499);
  -- 999 once ms is over (an id drawn later than any drawn within it), 0 before it starts.
  micros bigint := least(greatest((extract(epoch FROM clock_timestamp()) * 1000000)::bigint
                                  - ms * 1000 + 500, 0), 999);
  state text := current_setting('axon.last_id', true);
  hi bigint;  -- random bits 79..40: the microsecond (10 bits), then 30 random bits
  lo bigint;  -- random bits 39..0, of the run's first id
  bytes bytea;
  head text;
  ids text[];
BEGIN
  IF n IS NULL OR n < 1 THEN
    RETURN '{}';
  END IF;
  IF coalesce(split_part(state, ':', 3), '') <> '' AND split_part(state, ':', 1)::bigint >= ms THEN
    ms := split_part(state, ':', 1)::bigint;
    hi := split_part(state, ':', 2)::bigint;
    lo := split_part(state, ':', 3)::bigint + 1;
    IF lo > 1099511627775 THEN  -- 2^40 - 1: carry into the high half
      lo := 0;
      hi := (hi + 1) & 1099511627775;
    END IF;
  END IF;
  -- A fresh start, or a state from an earlier microsecond of this millisecond: from the
  -- microsecond on, as core/ids.hpp does, so that ids drawn one after another by different
  -- transactions (a producer's consecutive ones) sort in that order.
  IF hi IS NULL OR (hi >> 30) < micros THEN
    -- 10 fully random bytes of a v4 UUID: 0-5 and 9-12 (6 and 8 carry version/variant).
    bytes := uuid_send(gen_random_uuid());
    hi := (micros << 30) | (('x' || encode(substr(bytes, 1, 5), 'hex'))::bit(40)::bigint & 1073741823);
    lo := ('x' || encode(substr(bytes, 6, 1) || substr(bytes, 10, 4), 'hex'))::bit(40)::bigint;
  END IF;
  IF lo + n - 1 > 1099511627775 THEN  -- 2^40 - 1: carry into the high half
    lo := 0;
    hi := (hi + 1) & 1099511627775;
  END IF;
  PERFORM set_config('axon.last_id', ms || ':' || hi || ':' || (lo + n - 1), true);
  head := prefix
          || substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', ((ms >> 45) & 31)::int + 1, 1)
          || substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', ((ms >> 40) & 31)::int + 1, 1)
          || axon.base32_40(ms & 1099511627775) || axon.base32_40(hi);
  IF n = 1 THEN
    RETURN ARRAY[head || axon.base32_40(lo)];
  END IF;
  -- A loop of simple expressions, not ARRAY(SELECT ...): that query was planned again on
  -- every call, and cost more than the ids.
  FOR g IN 0 .. n - 1 LOOP
    ids[g + 1] := head || axon.base32_40(lo + g);
  END LOOP;
  RETURN ids;
END
$fn$;

CREATE OR REPLACE FUNCTION axon.new_id(prefix text, at_ms bigint DEFAULT NULL)
RETURNS text LANGUAGE plpgsql VOLATILE AS $fn$
BEGIN
  RETURN (axon.new_ids(prefix, 1, at_ms))[1];
END
$fn$;
)sql";
constexpr char kEmitEventVariables18[] = "  v_endpoints text[];\n";
constexpr char kEmitEventDeliveries18[] = R"sql(
  SELECT array_agg(ep.id ORDER BY ep.id) INTO v_endpoints
    FROM axon.endpoints ep
   WHERE ep.tenant_id = emit_event.tenant_id AND NOT ep.disabled AND NOT ep.operational
     AND axon.subscriptions_match(ep.event_types, emit_event.type);
  v_count := coalesce(cardinality(v_endpoints), 0);
)sql";
constexpr char kEmitEventAfterInsert18[] = R"sql(v_count, v_now);
  IF v_count > 0 THEN
    WITH made AS (
      INSERT INTO axon.deliveries (id, tenant_id, event_id, endpoint_id, event_type, status,
                                   attempts, series_start, next_attempt_at, created_at,
                                   updated_at)
      SELECT u.id, emit_event.tenant_id, v_id, u.endpoint_id, emit_event.type, 'pending', 0, 0,
             v_now, v_now, v_now
        FROM unnest(axon.new_ids('dlv_', v_count, v_now), v_endpoints) AS u (id, endpoint_id)
      RETURNING id, endpoint_id)
    INSERT INTO axon.queue (delivery_id, tenant_id, endpoint_id, due_at)
    SELECT made.id, emit_event.tenant_id, made.endpoint_id, v_now FROM made;
  END IF;
)sql";
constexpr auto kOutboxIdRunsText =
    join_sql(kIdRuns, kEmitEventSignature, kEmitEventVariables18, kEmitEventChecks,
             kEmitEventDeliveries18, kEmitEventInsertUpToDeliveries, kEmitEventAfterInsert18,
             kEmitEventEnd);
extern const std::string_view kOutboxIdRuns = as_view(kOutboxIdRunsText);

}  // namespace axon::pg::migration_sql
