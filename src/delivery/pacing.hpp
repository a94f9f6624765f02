// Two small timing rules the dispatcher's parts share, as pure values on times passed in:
// - StoreBackoff: the delay before retrying a store call that failed (a claim, a batch of
//   outcomes): 100 ms, doubling on each further failure up to 5 s, back to none on success;
// - Periodic: a task that runs every `interval` (lease checks, the auto-disable check),
//   due at once the first time.
// Thread-safety: none; each value belongs to one thread (the dispatcher's).
#pragma once

#include <algorithm>

#include "core/clock.hpp"

namespace axon {

class StoreBackoff {
 public:
  static constexpr Millis kFirst = 100;
  static constexpr Millis kMax = 5'000;

  // A call failed: the delay before the next try.
  Millis failed() {
    delay_ = std::min(kMax, std::max(kFirst, delay_ * 2));
    return delay_;
  }
  void succeeded() { delay_ = 0; }
  Millis delay() const { return delay_; }

 private:
  Millis delay_ = 0;
};

class Periodic {
 public:
  explicit Periodic(Millis interval) : interval_(interval) {}

  // True when the task should run at `now`; the next run is then due `interval` later.
  bool due(Millis now) {
    if (now < next_) return false;
    next_ = now + interval_;
    return true;
  }
  Millis next_at() const { return next_; }

 private:
  Millis interval_;
  Millis next_ = 0;
};

}  // namespace axon
