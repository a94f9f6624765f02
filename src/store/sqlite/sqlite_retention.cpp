// SqliteStore: retention (purge steps, idempotency keys, free pages), size and counters.
#include <algorithm>
#include <limits>

#include "store/sqlite/sqlite_store_internal.hpp"

namespace axon::sqlite {
namespace {

// Free pages kept for reuse by later inserts: up to a quarter of the file. Only the surplus
// is handed back (after a one-off big purge, or when the window was shortened), so a steady
// load does not shrink and regrow the file on every sweep.
constexpr std::int64_t kFreeSlackDivisor = 4;
// Pages handed back per reclaim_space call (4 MiB at the default page size): one short
// write transaction.
constexpr std::int64_t kReclaimPagesPerStep = 1024;

std::int64_t pragma_int(Connection& c, const char* sql) {
  auto st = c.prepare(sql);
  st.step();
  return st.int64_at(0);
}

}  // namespace

Result<PurgeStep> SqliteStore::purge_finished_events(Millis cutoff,
                                                     const std::optional<EventCursor>& after,
                                                     int scan_limit) {
  scan_limit = std::max(scan_limit, 1);
  return background_write([&](Connection& c) -> Result<PurgeStep> {
    // One write transaction: the writer is exclusive, so no replay can make a delivery
    // pending between the check and the delete.
    WriteTransaction tx(c);
    PurgeStep step;
    std::vector<std::string> doomed;
    int examined = 0;
    {
      auto st = c.prepare(
                     "SELECT v.id, v.created_at, EXISTS (SELECT 1 FROM deliveries d"
                     "   WHERE d.event_id = v.id AND d.status = 'pending')"
                     " FROM events v WHERE (v.created_at, v.id) > (?1, ?2) AND v.created_at < ?3"
                     " ORDER BY v.created_at, v.id LIMIT ?4")
                    .bind_all(after ? after->created_at : std::numeric_limits<Millis>::min(),
                              after ? after->id : std::string(), cutoff, scan_limit);
      while (st.step()) {
        ++examined;
        step.next = EventCursor{st.int64_at(1), st.text_at(0)};
        if (st.int_at(2) == 0) doomed.push_back(st.text_at(0));
      }
    }
    if (examined < scan_limit) step.next.reset();  // reached the cutoff: the sweep is over
    for (const auto& id : doomed) {
      c.prepare(
           "DELETE FROM attempts WHERE delivery_id IN"
           " (SELECT id FROM deliveries WHERE event_id = ?)")
          .bind_all(id)
          .run();
      step.attempts += c.changes();
      c.prepare("DELETE FROM deliveries WHERE event_id = ?").bind_all(id).run();
      step.deliveries += c.changes();
      c.prepare("DELETE FROM events WHERE id = ?").bind_all(id).run();
      step.events += c.changes();
    }
    tx.commit();
    return step;
  });
}

Result<int> SqliteStore::purge_idempotency_keys(Millis cutoff, int limit) {
  return background_write([&](Connection& c) -> Result<int> {
    c.prepare(
         "DELETE FROM idempotency_keys WHERE (tenant_id, key) IN"
         " (SELECT tenant_id, key FROM idempotency_keys WHERE created_at < ? LIMIT ?)")
        .bind_all(cutoff, std::max(limit, 1))
        .run();
    return c.changes();
  });
}

Result<void> SqliteStore::reclaim_space() {
  if (in_memory_) return {};
  return background_write([&](Connection& c) -> Result<void> {
    if (pragma_int(c, "PRAGMA auto_vacuum") != 2) return {};  // not incremental: reuse only
    const std::int64_t pages = pragma_int(c, "PRAGMA page_count");
    const std::int64_t free_pages = pragma_int(c, "PRAGMA freelist_count");
    const std::int64_t surplus = free_pages - pages / kFreeSlackDivisor;
    if (surplus <= 0) return {};
    const std::string sql = "PRAGMA incremental_vacuum(" +
                            std::to_string(std::min(surplus, kReclaimPagesPerStep)) + ")";
    c.exec(sql.c_str());
    return {};
  });
}

std::optional<Store::WriterBusy> SqliteStore::writer_busy() {
  return WriterBusy{.foreground_s = writer_turns_.busy_seconds(WriterTurns::Kind::foreground),
                    .background_s = writer_turns_.busy_seconds(WriterTurns::Kind::background)};
}

Result<std::int64_t> SqliteStore::storage_bytes() {
  return read([&](Connection& c) -> Result<std::int64_t> {
    const std::int64_t pages = pragma_int(c, "PRAGMA page_count");
    const std::int64_t free_pages = pragma_int(c, "PRAGMA freelist_count");
    return (pages - free_pages) * pragma_int(c, "PRAGMA page_size");
  });
}

void count_deliveries(Connection& conn, DeliveryStatus status, std::int64_t n) {
  if (n == 0) return;
  conn.prepare("UPDATE delivery_counts SET n = n + ? WHERE status = ?")
      .bind_all(n, status_name(status))
      .run();
}

Result<Store::Counts> SqliteStore::delivery_counts(Millis now) {
  return read([&](Connection& c) -> Result<Counts> {
    ReadTransaction snapshot(c);
    Counts counts;
    std::int64_t pending = 0;
    {
      auto st = c.prepare("SELECT status, n FROM delivery_counts");
      while (st.step()) {
        switch (parse_status(st.text_at(0))) {
          case DeliveryStatus::pending: pending = st.int64_at(1); break;
          case DeliveryStatus::succeeded: counts.succeeded = st.int64_at(1); break;
          case DeliveryStatus::dead: counts.dead = st.int64_at(1); break;
        }
      }
    }
    // The claim queue's partial index holds exactly the claimable deliveries; counting its
    // due head stops at the cap, so the cost is bounded whatever the backlog.
    auto due = c.prepare(
                    "SELECT count(*) FROM (SELECT 1 FROM deliveries"
                    " WHERE claimable_at <= ? LIMIT ?)")
                   .bind_all(now, kDueCountCap);
    due.step();
    counts.pending_due = std::min(due.int64_at(0), pending);
    counts.pending_scheduled = pending - counts.pending_due;
    return counts;
  });
}

}  // namespace axon::sqlite
