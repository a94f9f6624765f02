// How the delivery counters (axon.delivery_counts) follow a change of status. Inserts and
// deletes are counted by triggers; a statement that changes deliveries' statuses counts its
// own moves, so that the frequent updates that change none (claims, hand-backs) cost nothing.
// Thread-safety: a constant.
#pragma once

// A CTE `counted` (a macro, so statements can embed it in their string literals) to follow
// a CTE `moved (old_status, new_status)` that returns one row per delivery the statement
// updated: adds the moves to this session's counter rows (shard = backend pid, as the
// triggers do). `old_status` must be the status the update
// replaced: a literal when the statement's WHERE fixes it (re-checked on the latest row
// version under READ COMMITTED), else read from rows the statement locked FOR UPDATE.
#define AXON_PG_COUNT_MOVES \
  "counted AS ( " \
  "  INSERT INTO axon.delivery_counts AS c (status, shard, n) " \
  "  SELECT m.status, pg_backend_pid(), sum(m.delta) " \
  "    FROM moved CROSS JOIN LATERAL (VALUES (moved.old_status, -1), " \
  "                                          (moved.new_status, 1)) AS m (status, delta) " \
  "   WHERE moved.old_status <> moved.new_status " \
  "   GROUP BY m.status ORDER BY m.status " \
  "  ON CONFLICT (status, shard) DO UPDATE SET n = c.n + excluded.n) "
