// The PostgreSQL schema as versioned migrations (all objects in schema `axon`), and the
// migration runner: one transaction under a database-wide advisory lock, so several
// processes migrating at once apply each version exactly once. Times are bigint epoch ms.
// Thread-safety: stateless; run on a connection owned by the caller.
#pragma once

#include <span>
#include <string_view>

#include "store/postgres/pg_connection.hpp"

namespace axon::pg {

struct Migration {
  int version;
  std::string_view sql;
};

// Every migration, oldest first (tests rebuild an older schema from it).
std::span<const Migration> migrations();

// The newest schema version this build knows.
int latest_schema_version();

// Applies every migration newer than the database's version; idempotent. Throws PgError.
void run_migrations(PgConnection& conn);
// Applies migrations up to and including `up_to` only (tests put rows in an older schema).
void run_migrations(PgConnection& conn, int up_to);
// The version that added the delivery counters and retention indexes.
int retention_schema_version();
// The version after which a status change counts itself (pg_counts.hpp) and attempts have
// no foreign key.
int lean_writes_schema_version();
// The version that adds the dispatcher's functions (axon.claim_due, axon.complete_attempts,
// axon.next_due_at); the store calls them from then on.
int dispatch_functions_schema_version();
// The version that moves pending deliveries and their leases into axon.queue.
int delivery_queue_schema_version();
// The version after which no index of axon.deliveries names a column an outcome changes.
int hot_outcomes_schema_version();
// The version that stores the API's single event in one call (axon.ingest_event).
int one_call_ingest_schema_version();
// Migration kQueueRowsByKey: outcomes reach their queue rows by key whatever the statistics.
int queue_rows_by_key_schema_version();
// The version that stores a tenant's events in one call (axon.ingest_events).
int one_call_batch_ingest_schema_version();
// The version whose axon.emit_event draws its delivery ids in one call (axon.new_ids).
int outbox_id_runs_schema_version();
// The version after which deleting events deletes their deliveries by trigger, not by key.
int deliveries_without_event_key_schema_version();

}  // namespace axon::pg
