// PostgreSQL migration: subscription matching without a sub-select (see pg_schema.cpp for the
// full list of migrations, in order).
#include "store/postgres/pg_migrations.hpp"

namespace axon::pg::migration_sql {

// axon.subscriptions_match runs once per endpoint of every event stored (the API's ingest and
// the outbox's axon.emit_event). Its first body walked the patterns with a sub-select, which
// keeps PostgreSQL from inlining a SQL function: every call went through the SQL-function
// executor, 18 µs each (pg_stat_user_functions on the outbox benchmark), about a tenth of an
// outbox event's database time. Same answers, turned around: the patterns that can match a
// type are few and known ('*', the type, and "prefix.*" for each prefix ending at one of its
// dots, with something after that dot), so the match is one `?|` on the patterns, and the
// body is a plain expression the planner inlines into the calling statement.
// (Stored patterns are JSON strings, checked by the API, which `?|` compares as the old
// body's jsonb_array_elements_text did.)
extern const std::string_view kFasterSubscriptionMatch = R"sql(
CREATE OR REPLACE FUNCTION axon.subscription_keys(event_type text)
RETURNS text[] LANGUAGE plpgsql IMMUTABLE STRICT AS $fn$
DECLARE
  keys text[] := ARRAY['*', event_type];
  dot integer := strpos(event_type, '.');
  at integer := 0;  -- the position of the dot found last
BEGIN
  WHILE dot > 0 LOOP
    at := at + dot;
    IF at < length(event_type) THEN  -- "a.*" matches "a.b", never "a."
      keys := keys || (left(event_type, at) || '*');
    END IF;
    dot := strpos(substr(event_type, at + 1), '.');
  END LOOP;
  RETURN keys;
END
$fn$;

CREATE OR REPLACE FUNCTION axon.subscriptions_match(patterns jsonb, event_type text)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $fn$
  SELECT patterns IS NULL OR jsonb_typeof(patterns) = 'null'
      OR patterns ?| axon.subscription_keys(event_type)
$fn$;
)sql";

}  // namespace axon::pg::migration_sql
