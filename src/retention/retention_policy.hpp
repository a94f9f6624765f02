// RetentionPolicy: what the purge deletes and at what pace (serve --retention). Pure logic:
// every answer is computed from the times passed in.
//
// - An event older than the window whose deliveries are all finished is expired; a window
//   of 0 keeps everything. Idempotency keys expire after 24 h whatever the window.
// - Sweeps run often enough that expired data is gone within a minute, within 10 s when the
//   window is under a minute.
// - A sweep works in steps of `events_per_step` events (one short transaction each) and
//   pauses after each step as long as the step took (at least kMinPauseMs), so the purge
//   holds the writer at most about half the time and ingest and outcomes slip in between.
//
// Thread-safety: immutable after construction; share freely.
#pragma once

#include <optional>

#include "core/clock.hpp"

namespace axon {

class RetentionPolicy {
 public:
  static constexpr Millis kDefaultWindowMs = 30LL * 24 * 3600 * 1000;  // 30d
  static constexpr Millis kIdempotencyWindowMs = 24LL * 3600 * 1000;
  static constexpr Millis kMinPauseMs = 5;
  static constexpr Millis kMaxPauseMs = 1000;

  explicit RetentionPolicy(Millis window_ms = kDefaultWindowMs) : window_ms_(window_ms) {}

  Millis window_ms() const { return window_ms_; }
  bool keeps_everything() const { return window_ms_ <= 0; }

  // Events created before this are expired (once finished); nullopt = keep everything.
  std::optional<Millis> event_cutoff(Millis now) const;
  // Idempotency keys taken before this are purged.
  Millis idempotency_cutoff(Millis now) const { return now - kIdempotencyWindowMs; }
  // Time between the starts of two sweeps: 30 s, or 5 s for a window under a minute.
  Millis sweep_interval() const;
  // Pause after a step that took `step_ms`.
  Millis pause_after(Millis step_ms) const;

  // 100 events of 10 endpoints each, with an attempt per delivery: about 2,000 rows per step.
  int events_per_step() const { return 100; }
  int keys_per_step() const { return 1000; }
  // reclaim_space calls per sweep (each hands back a bounded number of pages).
  int reclaim_steps_per_sweep() const { return 8; }

 private:
  Millis window_ms_;
};

}  // namespace axon
