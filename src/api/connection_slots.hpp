// Which connection the API server closes when it is out of connection slots, so that one
// client holding many idle or trickling connections cannot lock everyone else out.
//
// Like nginx reusing idle keep-alive connections: a connection waiting for its next request
// is the cheapest to lose (it has been served; its client reconnects), then one that has not
// yet sent a complete request head (a slow client, or a flood), oldest first in each group.
// A connection in the middle of a request is never chosen.
// Pure logic; thread-safety: none needed (values only).
#pragma once

#include <chrono>

namespace axon::api {

enum class ConnectionPhase {
  awaiting_head,  // accepted, or a next request begun: no complete head yet
  idle,           // keep-alive between requests (or answered and closing)
  in_request,     // head read: reading the body, handling or answering
};

struct ConnectionState {
  ConnectionPhase phase = ConnectionPhase::awaiting_head;
  std::chrono::steady_clock::time_point since;  // when it entered `phase`
};

// May this connection be closed to make room for a new one?
bool evictable(const ConnectionState& connection);

// True when `a` should be closed before `b` (both evictable).
bool evict_before(const ConnectionState& a, const ConnectionState& b);

}  // namespace axon::api
