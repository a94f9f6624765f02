// PostgreSQL migration: outcomes as HOT updates of the delivery row (see pg_schema.cpp for
// the full list of migrations, in order).
#include "store/postgres/pg_migrations.hpp"

namespace axon::pg::migration_sql {

// Why. Once claims only touch axon.queue (kDeliveryQueue), the rest of an outcome's cost is
// its UPDATE of the wide axon.deliveries row (status, attempts, next_attempt_at,
// updated_at). PostgreSQL can make an update HOT (a new row version on the same page, no
// index entry written) only if no indexed column changes, and a column named in a partial
// index's predicate counts as indexed. `status` was a key column of deliveries_by_endpoint
// and deliveries_by_tenant_status, so every outcome wrote a new entry in all four indexes of
// the table.
//
// What. No index of deliveries names a column an outcome that does not kill a delivery
// changes:
// - deliveries_of_tenant (tenant_id, id) and deliveries_of_endpoint (endpoint_id, id) replace
//   the status-keyed ones. The listings walk them newest first and filter on status: a
//   listing without a status, and the usual 'pending' one (pending deliveries are the newest,
//   the backlog's head), read about a page; listing only 'succeeded' walks past the pending
//   and dead ones newer than the page, and 'pending' past the finished ones newer than the
//   oldest pending delivery. Listings are rare; outcomes are the hot path.
// - `dead`, a stored generated column (status = 'dead'), and two partial indexes on it,
//   dead_letters_of_tenant and dead_letters_of_endpoint: the dead-letter list and the bulk
//   replay read only dead deliveries however many succeeded. HOT compares the values of the
//   indexed columns, and `dead` changes only when a delivery dies or is replayed (rare), so
//   pending -> succeeded and retries stay HOT. Being generated, it cannot disagree with
//   status: no statement has to keep it in step.
// - fillfactor 50: a HOT update needs room for the new row version on the same page, and an
//   outcome batch updates runs of neighbouring rows (one event's deliveries, claimed
//   together) in one transaction, before any old version can be pruned. Measured with
//   bench_store_hot_path (batches of 256): 20% of outcomes HOT at fillfactor 85, 42% at 70,
//   100% at 50. The price is heap space: a page of delivery history ends up about half
//   full (the old versions are pruned, inserts stop at the fillfactor), so the table is up
//   to twice its former size on disk, bounded by retention; the indexes no longer grow with
//   outcomes. Adding the generated column rewrites the table (after the fillfactor is set),
//   so old pages get the room too; the rewrite holds an exclusive lock on deliveries for as
//   long as it takes (see the upgrade notes in docs/operations.md).
// The listings order by id COLLATE "C" (the same order: ids are ASCII of one shape), an order
// only these four indexes give: with plain id, the planner may walk the primary key newest
// first filtering on the tenant (seen on a one-tenant backlog), which costs a walk of every
// newer row of the other tenants when the tenant's own rows are old.
// The primary key and deliveries_by_event stay (outcomes and replays by key, retention).
// Written to run again unchanged.
extern const std::string_view kHotOutcomes = R"sql(
ALTER TABLE axon.deliveries SET (fillfactor = 50);
ALTER TABLE axon.deliveries
  ADD COLUMN IF NOT EXISTS dead boolean GENERATED ALWAYS AS (status = 'dead') STORED;
CREATE INDEX IF NOT EXISTS deliveries_of_tenant
  ON axon.deliveries (tenant_id, (id COLLATE "C"));
CREATE INDEX IF NOT EXISTS deliveries_of_endpoint
  ON axon.deliveries (endpoint_id, (id COLLATE "C"));
CREATE INDEX IF NOT EXISTS dead_letters_of_tenant
  ON axon.deliveries (tenant_id, (id COLLATE "C")) WHERE dead;
CREATE INDEX IF NOT EXISTS dead_letters_of_endpoint
  ON axon.deliveries (endpoint_id, (id COLLATE "C")) WHERE dead;
DROP INDEX IF EXISTS axon.deliveries_by_endpoint;
DROP INDEX IF EXISTS axon.deliveries_by_tenant_status;
)sql";

}  // namespace axon::pg::migration_sql
