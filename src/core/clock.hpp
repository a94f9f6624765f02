// Time comes in through Clock so that leases, retry schedules and idempotency windows are
// tested by moving a FakeClock, never by sleeping. Times are Unix epoch milliseconds.
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
};

class SystemClock final : public Clock {
 public:
  Millis now_ms() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

class FakeClock final : public Clock {
 public:
  explicit FakeClock(Millis start = 1'764'000'000'000) : now_(start) {}
  Millis now_ms() const override { return now_.load(); }
  void advance(Millis by) { now_ += by; }
  void set(Millis to) { now_ = to; }

 private:
  std::atomic<Millis> now_;
};

}  // namespace axon
