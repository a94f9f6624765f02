// What the API's request handling needs from its surroundings: the options of the server
// (limits, timeouts, rate limits) and the context handlers work with (store, secrets, clock,
// ids, hooks). Its own header so that the routing layer (router, auth, handlers) and the
// network layer (server.cpp, which calls the router) both depend on it, not on each other.
// Thread-safety: plain values; ApiContext's members are thread-safe (see each type).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "core/metrics.hpp"
#include "core/random.hpp"
#include "core/secret_box.hpp"
#include "store/store.hpp"

namespace axon {

struct ApiOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;   // 0 picks a free port
  int threads = 2;
  bool allow_private_targets = false;
  std::size_t max_body_bytes = 256 * 1024;
  std::size_t max_header_bytes = 16 * 1024;
  // Out of slots, a new connection closes the longest-idle keep-alive connection (then the
  // oldest one still sending its head) instead of being refused; 503 only when every slot is
  // in the middle of a request.
  int max_connections = 1024;
  Millis idle_timeout = 60'000;     // keep-alive connection waiting for its next request
  Millis header_timeout = 10'000;   // a complete request head, from accept or its first byte
  Millis request_read_timeout = 15'000;  // the body (and writing the answer)
  Millis rotation_overlap = 24LL * 3600 * 1000;  // old secret keeps signing this long
  // Requests per second per credential (token bucket keyed by the credential's hash); 0 = off.
  // Over the limit: 429 rate_limited with Retry-After.
  double rate_limit = 1000;
  double rate_limit_burst = 2000;
  // Endpoints one tenant may have; one more answers 422 limit_exceeded. Bounds what a single
  // tenant can make the dispatcher fan out to and hold open.
  int max_endpoints_per_tenant = 1000;
};

// What handlers need; owned by the caller and outliving the server.
struct ApiContext {
  Store& store;
  const SecretBox& secrets;
  const Clock& clock;
  Random& random;
  IdGenerator& ids;
  std::string admin_token_hash;  // sha256 hex of the admin token
  std::function<void()> on_events_ingested;  // wakes the dispatcher
  std::function<std::string()> metrics_text;  // Prometheus exposition for /metrics (may be empty)
  Metrics* metrics = nullptr;  // counters the handlers bump (events ingested); may be null
};

}  // namespace axon
