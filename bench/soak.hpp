// The soak scenario: a steady, paced load on a running server for a long time, sampling what
// must stay flat under retention: the store's size (axon_store_size_bytes from /metrics),
// the server's resident memory and its open file descriptors (from /proc/<pid>).
// Thread-safety: run_soak blocks its caller; it starts and joins its own sender threads.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>

#include "receiver.hpp"

namespace bench {

struct SoakPlan {
  std::uint16_t port = 0;  // the server's API
  pid_t server_pid = -1;
  std::string events_path;  // POST target, e.g. /v1/tenants/ten_…/events
  std::string api_key;
  std::function<std::string(std::uint64_t seq)> event_body;
  double events_per_s = 200;
  double seconds = 60;
  double sample_every_s = 10;
  std::string store_label;
  std::string retention;  // as passed to serve, for the report
};

// Prints one SAMPLE line per interval and a final RESULT line; returns 0 when the run
// produced samples and every event was accepted.
int run_soak(const SoakPlan& plan, Receiver& receiver);

}  // namespace bench
