// Time comes in through Clock so that leases, retry schedules and idempotency windows are
// tested by moving a FakeClock, never by sleeping. now_ms() is wall time (Unix epoch
// milliseconds: what is stored and shown); steady_ms() is monotonic time (milliseconds from
// an arbitrary origin) for measuring intervals, which a wall clock step must not distort.
// Thread-safety: SystemClock and FakeClock may be shared between threads.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace axon {

using Millis = std::int64_t;  // Unix epoch milliseconds, or a duration in milliseconds

class Clock {
 public:
  virtual ~Clock() = default;
  virtual Millis now_ms() const = 0;
  virtual Millis steady_ms() const = 0;
};

class SystemClock final : public Clock {
 public:
  Millis now_ms() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  Millis steady_ms() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
};

// advance() moves both times; set() moves only wall time (as a clock step would).
class FakeClock final : public Clock {
 public:
  explicit FakeClock(Millis start = 1'764'000'000'000) : now_(start) {}
  Millis now_ms() const override { return now_.load(); }
  Millis steady_ms() const override { return steady_.load(); }
  void advance(Millis by) {
    now_ += by;
    steady_ += by;
  }
  void set(Millis to) { now_ = to; }

 private:
  std::atomic<Millis> now_;
  std::atomic<Millis> steady_{1'000'000};
};

}  // namespace axon
