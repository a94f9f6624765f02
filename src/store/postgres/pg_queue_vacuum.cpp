#include "store/postgres/pg_queue_vacuum.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <exception>

namespace axon::pg {

Millis QueueVacuum::rest_ms(const Policy& policy, Millis last_took_ms) {
  return std::max(policy.min_interval_ms, kBusyFactor * last_took_ms);
}

bool QueueVacuum::due(const Policy& policy, std::int64_t retired, Millis since_last_ms,
                      Millis last_took_ms) {
  return policy.min_rows > 0 && retired >= policy.min_rows &&
         since_last_ms >= rest_ms(policy, last_took_ms);
}

QueueVacuum::QueueVacuum(Policy policy, std::function<bool()> vacuum)
    : policy_{std::max<std::int64_t>(0, policy.min_rows),
              std::max<Millis>(0, policy.min_interval_ms)},
      vacuum_(std::move(vacuum)) {}

QueueVacuum::~QueueVacuum() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  woken_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void QueueVacuum::note_retired(std::int64_t rows) {
  bool crossed = false;
  {
    std::lock_guard lock(mu_);
    if (given_up_ || policy_.min_rows == 0) return;  // off: never a thread
    crossed = retired_ < policy_.min_rows && retired_ + rows >= policy_.min_rows;
    retired_ += rows;
    if (!thread_.joinable()) {
      try {
        thread_ = std::thread([this] { run(); });
      } catch (const std::exception& e) {  // no thread now: the next note tries again
        spdlog::warn("queue vacuum: cannot start its thread: {}", e.what());
        return;
      }
    }
  }
  if (crossed) woken_.notify_one();  // only then can the thread have work
}

bool QueueVacuum::started() const {
  std::lock_guard lock(mu_);
  return thread_.joinable();
}

// Waits until enough rows went and the rest after the last vacuum is over, vacuums (without
// the lock: outcomes keep counting meanwhile), and again until stopping or given up.
void QueueVacuum::run() {
  using Clock = std::chrono::steady_clock;
  auto ms = [](Clock::duration d) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  };
  Clock::time_point last_end = Clock::now() - std::chrono::milliseconds(policy_.min_interval_ms);
  Millis last_took = 0;
  std::unique_lock lock(mu_);
  for (;;) {
    woken_.wait(lock, [&] { return stopping_ || retired_ >= policy_.min_rows; });
    const auto rest = std::chrono::milliseconds(rest_ms(policy_, last_took));
    if (woken_.wait_until(lock, last_end + rest, [&] { return stopping_; })) return;
    if (!due(policy_, retired_, ms(Clock::now() - last_end), last_took)) continue;
    retired_ = 0;
    lock.unlock();
    const Clock::time_point start = Clock::now();
    bool keep_going = false;
    try {
      keep_going = vacuum_();
    } catch (const std::exception& e) {
      spdlog::warn("queue vacuum: {}", e.what());
      keep_going = true;
    }
    last_end = Clock::now();
    last_took = ms(last_end - start);
    lock.lock();
    if (!keep_going) {
      given_up_ = true;
      return;
    }
  }
}

}  // namespace axon::pg
