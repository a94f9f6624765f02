#include "api/connection_slots.hpp"

namespace axon::api {

namespace {

// Lower goes first.
int eviction_rank(ConnectionPhase phase) { return phase == ConnectionPhase::idle ? 0 : 1; }

}  // namespace

bool evictable(const ConnectionState& connection) {
  return connection.phase != ConnectionPhase::in_request;
}

bool evict_before(const ConnectionState& a, const ConnectionState& b) {
  const int rank_a = eviction_rank(a.phase), rank_b = eviction_rank(b.phase);
  if (rank_a != rank_b) return rank_a < rank_b;
  return a.since < b.since;
}

}  // namespace axon::api
