// PostgreSQL migration: faster ids for the outbox (axon.new_id, called once per event and
// once per delivery it fans out to). The same ids as before, computed on bigints.
#include "store/postgres/pg_migrations.hpp"

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

}  // namespace axon::pg::migration_sql
