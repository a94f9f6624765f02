// Migrations that keep the delivery counters and the delivery hot path (see pg_schema.cpp
// for the full list, in order).
#include "store/postgres/pg_migrations.hpp"

namespace axon::pg::migration_sql {

// Retention and counters that cost the same at any size (issue 15).
// - events_by_created: the purge sweeps events in (created_at, id) order from a cursor.
// - idempotency_keys_by_created: keys older than 24 h are purged in batches.
// - delivery_counts: deliveries per status, kept by statement-level triggers in the same
//   transaction as every insert, status change and delete (ingest, the outbox, outcomes,
//   replays, endpoint and tenant deletion, the purge). Each server session adds to its own
//   row (shard = its backend pid), so concurrent transactions never queue on a shared
//   counter row; readers sum the few rows, and PostgresStore::reclaim_space folds the rows
//   of ended sessions into shard 0. Initialised here from the rows already stored.
extern const std::string_view kRetention = R"sql(
CREATE INDEX events_by_created ON axon.events (created_at, id);
CREATE INDEX idempotency_keys_by_created ON axon.idempotency_keys (created_at);

CREATE TABLE axon.delivery_counts (
  status text NOT NULL,
  shard  integer NOT NULL,
  n      bigint NOT NULL,
  PRIMARY KEY (status, shard)
);
INSERT INTO axon.delivery_counts (status, shard, n)
SELECT s.status, 0, (SELECT count(*) FROM axon.deliveries d WHERE d.status = s.status)
  FROM (VALUES ('pending'), ('succeeded'), ('dead')) AS s (status);

CREATE FUNCTION axon.count_deliveries() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO axon.delivery_counts AS c (status, shard, n)
    SELECT r.status, pg_backend_pid(), count(*) FROM new_rows r GROUP BY r.status
    ORDER BY r.status
    ON CONFLICT (status, shard) DO UPDATE SET n = c.n + excluded.n;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO axon.delivery_counts AS c (status, shard, n)
    SELECT r.status, pg_backend_pid(), -count(*) FROM old_rows r GROUP BY r.status
    ORDER BY r.status
    ON CONFLICT (status, shard) DO UPDATE SET n = c.n + excluded.n;
  ELSE
    INSERT INTO axon.delivery_counts AS c (status, shard, n)
    SELECT m.status, pg_backend_pid(), sum(m.delta)
      FROM (SELECT o.status, -1 AS delta FROM old_rows o JOIN new_rows r ON r.id = o.id
             WHERE r.status <> o.status
            UNION ALL
            SELECT r.status, 1 FROM old_rows o JOIN new_rows r ON r.id = o.id
             WHERE r.status <> o.status) AS m
     GROUP BY m.status ORDER BY m.status
    ON CONFLICT (status, shard) DO UPDATE SET n = c.n + excluded.n;
  END IF;
  RETURN NULL;
END
$fn$;
CREATE TRIGGER deliveries_count_insert AFTER INSERT ON axon.deliveries
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION axon.count_deliveries();
CREATE TRIGGER deliveries_count_update AFTER UPDATE ON axon.deliveries
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION axon.count_deliveries();
CREATE TRIGGER deliveries_count_delete AFTER DELETE ON axon.deliveries
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION axon.count_deliveries();
)sql";

// Lean delivery writes: the hot path (claim, lease hand-back, outcome) pays only for the rows
// it changes.
// - Counters: the statement-level UPDATE trigger of kRetention copied every updated row into
//   two transition tables and joined them, on every claim and hand-back too, which change no
//   status. It is gone: the few statements that change a delivery's status (the outcome,
//   replays, deleting an endpoint) add their moves to the counters themselves, in the same
//   statement (pg_counts.hpp). Inserts and deletes stay counted by the triggers.
// - Attempts: their foreign key to deliveries cost a lookup (SELECT … FOR KEY SHARE) per
//   attempt row. The outcome statement writes attempts only for deliveries it has locked,
//   and deleting deliveries (the purge, cascades from events and tenants) deletes their
//   attempts in the same statement's trigger, so no attempt is left without its delivery.
// - A delivery's tenant is its event's: the foreign key from deliveries to tenants only
//   repeated, with a lookup per delivery inserted, what the one to events guarantees (deleting
//   a tenant deletes its events, and they their deliveries).
// - deliveries_by_tenant (tenant_id, id): a claim and an outcome rewrite every index of the
//   row; the listing without a status now merges the per-status pages of
//   deliveries_by_tenant_status instead.
// Written to run again unchanged (IF EXISTS, OR REPLACE).
extern const std::string_view kLeanDeliveryWrites = R"sql(
DROP TRIGGER IF EXISTS deliveries_count_update ON axon.deliveries;
ALTER TABLE axon.attempts DROP CONSTRAINT IF EXISTS attempts_delivery_id_fkey;
ALTER TABLE axon.deliveries DROP CONSTRAINT IF EXISTS deliveries_tenant_id_fkey;
DROP INDEX IF EXISTS axon.deliveries_by_tenant;

-- (axon.count_deliveries keeps its UPDATE branch, now unused.)
CREATE OR REPLACE FUNCTION axon.delete_attempts_of_deleted() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
  DELETE FROM axon.attempts a USING old_rows r WHERE a.delivery_id = r.id;
  RETURN NULL;
END
$fn$;
DROP TRIGGER IF EXISTS deliveries_delete_attempts ON axon.deliveries;
CREATE TRIGGER deliveries_delete_attempts AFTER DELETE ON axon.deliveries
  REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION axon.delete_attempts_of_deleted();
)sql";

// Deliveries without a foreign key to their event, as kLeanDeliveryWrites did for attempts:
// the key cost each delivery inserted a lookup of its event (SELECT ... FOR KEY SHARE, queued
// as one trigger event per row), about a tenth of an outbox event's insert time with ten
// deliveries. Every path that writes a delivery writes its event first, in the same
// transaction (ingest, the batch call, the outbox), and no path changes a delivery's event.
// Deleting events still deletes their deliveries: the purge deletes them itself, and a
// statement trigger on axon.events deletes those of any other deleted event (the cascade from
// a deleted tenant), so their attempts, queue rows and counters go with them as before.
// Written to run again unchanged.
extern const std::string_view kDeliveriesWithoutEventKey = R"sql(
CREATE OR REPLACE FUNCTION axon.delete_deliveries_of_deleted_events() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
  DELETE FROM axon.deliveries d USING old_rows r WHERE d.event_id = r.id;
  RETURN NULL;
END
$fn$;
DROP TRIGGER IF EXISTS events_delete_deliveries ON axon.events;
CREATE TRIGGER events_delete_deliveries AFTER DELETE ON axon.events
  REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION axon.delete_deliveries_of_deleted_events();
ALTER TABLE axon.deliveries DROP CONSTRAINT IF EXISTS deliveries_event_id_fkey;
)sql";

}  // namespace axon::pg::migration_sql
