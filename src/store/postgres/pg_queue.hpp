// Statement parts that keep axon.queue (pg_migrations_queue.cpp: one row per pending
// delivery, the only place a lease lives) in step with the deliveries a statement creates or
// makes pending again. Macros, so statements can embed them in their string literals.
// Thread-safety: constants.
#pragma once

// A CTE `requeued` to follow a CTE `moved (id, tenant_id, endpoint_id, next_attempt_at)` of
// deliveries an update made pending again (replays): queues each, due at its next attempt
// time and leased by nobody.
#define AXON_PG_REQUEUE_MOVED                                                         \
  "requeued AS ( "                                                                    \
  "  INSERT INTO axon.queue (delivery_id, tenant_id, endpoint_id, due_at) "           \
  "  SELECT moved.id, moved.tenant_id, moved.endpoint_id, moved.next_attempt_at "     \
  "    FROM moved "                                                                   \
  "  ON CONFLICT (delivery_id) DO UPDATE SET due_at = excluded.due_at, lease_owner = NULL, " \
  "  lease_expires_at = NULL, fifo_lease = false) "
