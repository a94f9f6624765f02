// Time comes in through Clock so that leases, retry schedules and idempotency windows are
// tested by moving a FakeClock, never by sleeping. now_ms() is wall time (Unix epoch
// milliseconds: what is stored and shown); steady_ms() is monotonic time (milliseconds from
// an arbitrary origin) for measuring intervals, which a wall clock step must not distort.
// now_us() is wall time in microseconds, for what must order events closer than a
// millisecond apart (ids drawn by different processes).
// Thread-safety: SystemClock and FakeClock may be shared between threads.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace axon {

using Millis = std::int64_t;  // Unix epoch milliseconds, or a duration in milliseconds
using Micros = std::int64_t;  // Unix epoch microseconds

class Clock {
 public:
  virtual ~Clock() = default;
  virtual Millis now_ms() const = 0;
  virtual Millis steady_ms() const = 0;
  virtual Micros now_us() const { return now_ms() * 1000; }
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
  Micros now_us() const override {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

// advance() moves both times; set() moves only wall time (as a clock step would);
// set_micros() sets the microseconds within the current millisecond (0 unless set).
class FakeClock final : public Clock {
 public:
  explicit FakeClock(Millis start = 1'764'000'000'000) : now_(start) {}
  Millis now_ms() const override { return now_.load(); }
  Millis steady_ms() const override { return steady_.load(); }
  Micros now_us() const override { return now_.load() * 1000 + micros_.load(); }
  void set_micros(int within_ms) { micros_ = within_ms; }
  void advance(Millis by) {
    now_ += by;
    steady_ += by;
  }
  void set(Millis to) { now_ = to; }

 private:
  std::atomic<Millis> now_;
  std::atomic<Millis> steady_{1'000'000};
  std::atomic<int> micros_{0};
};

}  // namespace axon
