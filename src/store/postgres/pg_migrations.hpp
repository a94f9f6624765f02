// SQL of the PostgreSQL migrations kept outside pg_schema.cpp (which lists them all in order),
// so that no source file grows past a readable size. Each constant is one migration.
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

namespace axon::pg::migration_sql {

// The text of string literals joined at compile time (NUL-terminated): a migration that
// redefines a function can share the unchanged part of its body with the one before it,
// where a macro cannot (a raw string literal may not span lines in a #define).
template <std::size_t... N>
constexpr std::array<char, (N + ...) - sizeof...(N) + 1> join_sql(const char (&... parts)[N]) {
  std::array<char, (N + ...) - sizeof...(N) + 1> out{};
  std::size_t at = 0;
  auto append = [&](const char* part, std::size_t size) {
    for (std::size_t i = 0; i + 1 < size; ++i) out[at++] = part[i];
  };
  (append(parts, N), ...);
  return out;
}
template <std::size_t N>
constexpr std::string_view as_view(const std::array<char, N>& text) {
  return {text.data(), N - 1};
}

// The SET clauses of the dispatcher's hot-path functions (why: see the comment of
// kDispatchFunctions in pg_migrations_dispatch.cpp), for the migrations that define them.
#define AXON_PG_HOT_PATH_SETTINGS                                                  \
  "SET jit = off\nSET plan_cache_mode = force_generic_plan\nSET enable_seqscan = off\n" \
  "SET enable_sort = off\nSET enable_hashjoin = off\nSET enable_mergejoin = off\n"      \
  "SET enable_bitmapscan = off"

// The delivery counters and the retention indexes (issue 15).
extern const std::string_view kRetention;
// Lean delivery writes: counters without a trigger on UPDATE, attempts without a foreign key.
extern const std::string_view kLeanDeliveryWrites;
// The dispatcher's claim, outcome and next-due time as functions with cached plans.
extern const std::string_view kDispatchFunctions;
// Faster axon.new_id: the same ids from bigint arithmetic instead of numeric.
extern const std::string_view kFasterIds;
// The queue of pending deliveries and their leases, apart from the delivery history.
extern const std::string_view kDeliveryQueue;
// Outcomes as HOT updates: no index of axon.deliveries keyed on status.
extern const std::string_view kHotOutcomes;
// Subscription matching as one `?|`, which the planner inlines.
extern const std::string_view kFasterSubscriptionMatch;
// The API's single event stored in one function call with cached plans.
extern const std::string_view kOneCallIngest;
// Outcomes that find their queue rows by key whatever the planner's statistics say.
extern const std::string_view kQueueRowsByKey;
// A tenant's events (the group commit, the batch call) stored in one function call.
extern const std::string_view kOneCallBatchIngest;
// An event's delivery ids drawn in one call (axon.new_ids) by axon.emit_event.
extern const std::string_view kOutboxIdRuns;
// Deliveries without a foreign key to events; deleting events deletes them by trigger.
extern const std::string_view kDeliveriesWithoutEventKey;

}  // namespace axon::pg::migration_sql
