// TokenBucket: an endpoint's `rate_limit` (attempts per second) as a token bucket on the
// steady timeline of Clock::steady_ms(); it never reads a clock, the caller passes `now`.
// The burst is a tenth of a second's worth (at least one token), so a limit
// of 20/s means at most ~2 back-to-back attempts, then one every 50 ms.
// Thread-safety: none; owned by the dispatcher thread.
#pragma once

#include <algorithm>
#include <chrono>

#include "core/clock.hpp"

namespace axon {

class TokenBucket {
 public:
  // A point on Clock::steady_ms()'s timeline, finer than a millisecond so that refills add up.
  using TimePoint = std::chrono::time_point<Clock, std::chrono::nanoseconds>;

  // rate <= 0 means unlimited. Changing the rate keeps the tokens already earned (capped).
  void set_rate(double rate, TimePoint now) {
    if (rate == rate_) return;
    rate_ = rate;
    burst_ = std::max(1.0, rate / 10.0);
    tokens_ = initialised_ ? std::min(tokens_, burst_) : burst_;
    refilled_ = now;
    initialised_ = true;
  }

  bool limited() const { return rate_ > 0; }
  double rate() const { return rate_; }

  // Takes one token if there is one.
  bool try_take(TimePoint now) {
    if (!limited()) return true;
    refill(now);
    if (tokens_ < 1.0) return false;
    tokens_ -= 1.0;
    return true;
  }

  // When the bucket will next hold `n` tokens (n >= 1).
  TimePoint time_for(double n, TimePoint now) {
    refill(now);
    if (!limited() || tokens_ >= n) return now;
    const double seconds = (n - tokens_) / rate_;
    return now + std::chrono::duration_cast<TimePoint::duration>(
                     std::chrono::duration<double>(seconds));
  }

 private:
  void refill(TimePoint now) {
    if (now <= refilled_) return;
    const double elapsed = std::chrono::duration<double>(now - refilled_).count();
    tokens_ = std::min(burst_, tokens_ + elapsed * rate_);
    refilled_ = now;
  }

  double rate_ = 0;
  double burst_ = 1;
  double tokens_ = 1;
  TimePoint refilled_{};
  bool initialised_ = false;
};

}  // namespace axon
