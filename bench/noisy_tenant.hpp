// The noisy-tenant scenario (bench_loadgen --scenario tenants): does one tenant's hung
// endpoints delay another tenant's deliveries? A "noisy" tenant registers many endpoints
// whose receivers accept and never answer (the receiver's /hang paths, spread over its
// ports) and sends two events with large data; then a "healthy" tenant sends events one at a
// time to a receiver that answers at once. Prints one RESULT line: the healthy tenant's
// latency from the API's 202 to the receiver (p50/p99/p100) and the server's peak RSS.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "receiver.hpp"

namespace bench {

struct NoisyTenantRun {
  std::uint16_t server_port = 0;
  std::string admin_token;
  std::string store;           // label for the RESULT line
  int noisy_endpoints = 1000;
  int noisy_event_kb = 250;
  int healthy_events = 20;
  std::function<long()> peak_rss_kb;  // the server's VmHWM
};

// Runs against a server already started with --allow-private-targets; 0 when every healthy
// delivery arrived.
int run_noisy_tenant(const NoisyTenantRun& run, Receiver& receiver);

}  // namespace bench
