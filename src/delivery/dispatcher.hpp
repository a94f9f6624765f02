// Dispatcher: moves due deliveries from the Store to receivers and records the outcome.
//
// One dispatcher thread per process owns an HttpSender (libcurl multi). Each turn it:
// claims a batch of due deliveries under a lease (Store::claim_due), signs the stored
// payload with the endpoint's secrets, starts the POSTs that the FairScheduler allows (tenants
// take turns and share the in-flight slots; per-endpoint max_in_flight and rate_limit and the
// per-address cap honoured; see delivery/fair_scheduler.hpp), collects finished attempts,
// asks RetryPolicy what follows, and records a batch of outcomes in one transaction
// (Store::complete_attempts).
// When nothing is due it sleeps until Store::next_due_at() or until notify() — a delivery
// that is not yet due costs nothing while it waits.
//
// The dispatcher wires parts that each keep one rule and are tested on their own with a
// FakeClock: ClaimPacer (when and how much to claim), FairScheduler (which job starts
// next), SecretCache, HttpSender (the network), OutcomeRecorder (group commit of outcomes,
// store-outage backoff), LeaseKeeper (expiring leases and hand-backs), two StoreLanes (store
// calls off the network loop: claims on one, outcomes on the other) and the auto-disable
// check. All time comes from `clock`.
//
// Thread-safety: start/notify/stop may be called from any thread; notify() is cheap and
// never blocks (the API calls it after every accepted event).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "core/clock.hpp"
#include "core/metrics.hpp"
#include "core/retry_policy.hpp"
#include "core/secret_box.hpp"
#include "delivery/http_sender.hpp"
#include "store/store.hpp"

namespace axon {

struct DispatcherOptions {
  std::string owner;                 // lease owner id, unique per process (e.g. host:pid:random)
  RetryPolicy retry_policy;          // --retry-schedule
  Millis request_timeout = 15'000;   // --request-timeout: whole-request limit per attempt
  Millis connect_timeout = 10'000;   // capped at request_timeout
  bool allow_private_targets = false;  // --allow-private-targets: lift the SSRF guard
  EgressOptions egress;              // --ca-file, --egress-proxy
  int max_in_flight = 1024;          // process-wide cap on concurrent attempts, shared by tenants
  int claim_batch = 512;             // deliveries leased per claim
  Millis lease_ms = 0;               // 0 = request_timeout + 10 s (how long a crashed owner holds work)
  Millis poll_interval = 1'000;      // upper bound on sleep (lost notifications)
  Millis auto_disable_after = 5LL * 24 * 3600 * 1000;  // endpoint failing this long -> disabled
  Millis auto_disable_check_interval = 60'000;
  int max_per_host = 64;             // concurrent attempts per tenant and scheme://host:port
  int max_per_address = 256;         // … and per tenant and connected IP address (all its ports)
  Millis flush_delay = 5;            // outcomes wait at most this long to share a transaction
  // Record outcome batches on a store lane of their own, concurrently with claims and
  // hand-backs (false: one lane runs every store call in posting order). On by default for
  // both stores: PostgreSQL runs the two transactions side by side; on SQLite they queue on
  // the store's one writer connection (a lock, so no SQLITE_BUSY), and the drain measured no
  // slower than with one lane (the claim's next-due read and the hand-offs still overlap).
  bool concurrent_outcomes = true;
  // --operational-failing-after: delivery.failing after this many failed attempts in a row
  // (0 = never; see core/operational_events.hpp).
  int operational_failing_after = 3;
  std::string user_agent = "Axon-Webhooks/" AXON_VERSION;
  Metrics* metrics = nullptr;  // /metrics counters (outcomes, error classes, latency); may be null
};

// Counters for /metrics and tests. Monotonic unless noted.
struct DispatcherStats {
  std::atomic<std::int64_t> attempts{0};
  std::atomic<std::int64_t> succeeded{0};
  std::atomic<std::int64_t> retried{0};
  std::atomic<std::int64_t> dead{0};
  std::atomic<std::int64_t> in_flight{0};  // gauge
  // Deliveries handed back unattempted: their endpoint's secret would not open.
  std::atomic<std::int64_t> unsignable{0};
};

class Dispatcher {
 public:
  Dispatcher(Store& store, const SecretBox& secrets, const Clock& clock, Random& random,
             DispatcherOptions options);
  ~Dispatcher();  // stops if still running
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  void start();
  // Wakes the dispatcher: new work may be due now.
  void notify();
  // Stops claiming, lets in-flight attempts finish for up to `grace`, records their outcomes,
  // aborts the rest and hands every remaining lease back. Blocks until the thread exits.
  void stop(Millis grace = 10'000);

  const DispatcherStats& stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace axon
