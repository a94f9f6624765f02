// Which connection the API server closes when its slots are full: idle keep-alive connections
// first, then those still waiting for a complete head, oldest first; never one mid-request.
#include "api/connection_slots.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

namespace axon::api {
namespace {

using std::chrono::seconds;

ConnectionState at(ConnectionPhase phase, int second) {
  return {phase, std::chrono::steady_clock::time_point(seconds(second))};
}

TEST(ConnectionSlots, AConnectionMidRequestIsNeverEvicted) {
  EXPECT_FALSE(evictable(at(ConnectionPhase::in_request, 0)));
  EXPECT_TRUE(evictable(at(ConnectionPhase::idle, 0)));
  EXPECT_TRUE(evictable(at(ConnectionPhase::awaiting_head, 0)));
}

TEST(ConnectionSlots, IdleGoesFirstThenSlowHeadsOldestFirst) {
  std::vector<ConnectionState> open = {
      at(ConnectionPhase::awaiting_head, 1), at(ConnectionPhase::idle, 5),
      at(ConnectionPhase::awaiting_head, 0), at(ConnectionPhase::idle, 3)};
  std::sort(open.begin(), open.end(), evict_before);
  std::vector<std::pair<ConnectionPhase, long>> order;
  for (const auto& c : open) {
    order.emplace_back(c.phase,
                       std::chrono::duration_cast<seconds>(c.since.time_since_epoch()).count());
  }
  using P = ConnectionPhase;
  EXPECT_EQ(order, (std::vector<std::pair<P, long>>{
                       {P::idle, 3}, {P::idle, 5}, {P::awaiting_head, 0}, {P::awaiting_head, 1}}));
}

}  // namespace
}  // namespace axon::api
