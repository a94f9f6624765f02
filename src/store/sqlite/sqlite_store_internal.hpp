// Private helpers shared by the SqliteStore translation units (sqlite_*.cpp). Not part of
// the store's interface.
#pragma once

#include <exception>
#include <type_traits>

#include "store/sqlite/sqlite_rows.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store/rules.hpp"

namespace axon::sqlite {

// Runs fn() and turns any exception into an Error: nothing thrown inside the store leaves it.
template <class F>
auto guarded(F&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const SqlError& e) {
    return std::unexpected(e.error());
  } catch (const std::exception& e) {
    return fail(Errc::internal, std::string("sqlite store: ") + e.what());
  }
}

template <class F>
auto SqliteStore::write(F&& fn) -> decltype(fn(std::declval<Connection&>())) {
  WriterTurns::Scoped turn(writer_turns_, WriterTurns::Kind::foreground);
  return guarded([&] { return fn(*writer_); });
}

template <class F>
auto SqliteStore::background_write(F&& fn) -> decltype(fn(std::declval<Connection&>())) {
  WriterTurns::Scoped turn(writer_turns_, WriterTurns::Kind::background);
  return guarded([&] { return fn(*writer_); });
}

template <class F>
auto SqliteStore::read(F&& fn) -> decltype(fn(std::declval<Connection&>())) {
  if (in_memory_) return write(std::forward<F>(fn));
  return guarded([&]() -> decltype(fn(std::declval<Connection&>())) {
    auto conn = acquire_reader();
    struct Return {
      SqliteStore* store;
      std::unique_ptr<Connection>& conn;
      ~Return() { store->release_reader(std::move(conn)); }
    } give_back{this, conn};
    return fn(*conn);
  });
}

using store_rules::clamp_page_limit;  // page sizes, as in the PostgreSQL store
using store_rules::Resource;

// The bound for `id < ?` of a page: the cursor, or a string above every id (ids are ASCII),
// so one statement serves the first page and the next ones and always seeks the index.
inline std::string page_after(const PageRequest& page) { return page.after.value_or("\x7f"); }

// Turns limit+1 fetched rows into a page: drops the extra one and sets `next`.
template <class T>
Page<T> make_page(std::vector<T> rows, int limit) {
  Page<T> page;
  if (static_cast<int>(rows.size()) > limit) {
    rows.resize(static_cast<std::size_t>(limit));
    page.next = rows.back().id;
  }
  page.items = std::move(rows);
  return page;
}

// The claim queue (deliveries.claimable_at, see sqlite_schema.cpp).
// Recomputes claimable_at for every pending delivery of the endpoint from the endpoint's
// state: parked when disabled or deleted; due at max(next attempt, lease expiry) when
// parallel; only the oldest pending one claimable when FIFO. Costs O(pending deliveries of
// the endpoint): for rare changes (enable, disable, ordering, replay), not per attempt.
void settle_queue(Connection& conn, std::string_view endpoint_id);
// After a FIFO endpoint's head delivery left `pending`, makes the next oldest claimable.
void promote_fifo_head(Connection& conn, std::string_view endpoint_id);

// Moves `n` deliveries into (n > 0) or out of (n < 0) `status` in delivery_counts. The
// statements that insert deliveries or change their status call it in their transaction;
// only deletes (the purge, cascades from tenants and events) still count by trigger.
void count_deliveries(Connection& conn, DeliveryStatus status, std::int64_t n);

// Reads one endpoint of a tenant, or nullopt.
std::optional<Endpoint> find_endpoint(Connection& conn, std::string_view tenant_id,
                                      std::string_view id, const HeaderSealer* sealer);

// Wall-clock time for bookkeeping columns of methods that take no `now`.
Millis wall_clock_ms();

}  // namespace axon::sqlite
