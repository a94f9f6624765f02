// Purger: runs the retention sweeps of a RetentionPolicy against the Store on its own
// thread: expired events (with their deliveries and attempts) in bounded steps, then
// idempotency keys older than 24 h, then a few bounded space-reclaiming steps.
//
// A failed store call is logged and the sweep ends early; the next sweep starts over, so a
// store that is briefly unavailable costs a delay, nothing else.
//
// Thread-safety: start/stop from one thread; totals() and run_sweep() from any thread
// (run_sweep is what the thread calls; tests call it directly with a FakeClock).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include "core/clock.hpp"
#include "retention/retention_policy.hpp"
#include "store/store.hpp"

namespace axon {

// What the purge deleted since the process started.
struct PurgeTotals {
  std::int64_t events = 0;
  std::int64_t deliveries = 0;
  std::int64_t attempts = 0;
  std::int64_t idempotency_keys = 0;
};

class Purger {
 public:
  Purger(Store& store, const Clock& clock, RetentionPolicy policy);
  ~Purger();
  Purger(const Purger&) = delete;
  Purger& operator=(const Purger&) = delete;

  void start();
  // Stops between two steps; waits for the thread.
  void stop();

  // One whole sweep, now. Pauses between steps (real time) unless `pause` is false.
  void run_sweep(bool pause = true);

  const RetentionPolicy& policy() const { return policy_; }
  PurgeTotals totals() const;

 private:
  void run();
  // Waits `ms` of real time or until stop(); false when stopping.
  bool wait(Millis ms);

  Store& store_;
  const Clock& clock_;
  const RetentionPolicy policy_;

  std::atomic<std::int64_t> events_{0};
  std::atomic<std::int64_t> deliveries_{0};
  std::atomic<std::int64_t> attempts_{0};
  std::atomic<std::int64_t> keys_{0};

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace axon
