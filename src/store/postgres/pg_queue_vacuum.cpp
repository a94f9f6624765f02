#include "store/postgres/pg_queue_vacuum.hpp"

#include <chrono>

namespace axon::pg {

bool QueueVacuum::due(const Policy& policy, std::int64_t retired, Millis since_last_ms) {
  return retired >= policy.min_rows && since_last_ms >= policy.min_interval_ms;
}

QueueVacuum::QueueVacuum(Policy policy, std::function<void()> vacuum)
    : policy_(policy), vacuum_(std::move(vacuum)) {}

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
    crossed = retired_ < policy_.min_rows && retired_ + rows >= policy_.min_rows;
    retired_ += rows;
    if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
  }
  if (crossed) woken_.notify_one();  // only then can the thread have work
}

// Waits until enough rows went and the interval since the last vacuum has passed, vacuums
// (without the lock: outcomes keep counting meanwhile), and again until stopping.
void QueueVacuum::run() {
  using Clock = std::chrono::steady_clock;
  const auto interval = std::chrono::milliseconds(policy_.min_interval_ms);
  Clock::time_point last = Clock::now() - interval;
  std::unique_lock lock(mu_);
  for (;;) {
    woken_.wait(lock, [&] { return stopping_ || retired_ >= policy_.min_rows; });
    if (woken_.wait_until(lock, last + interval, [&] { return stopping_; })) return;
    const auto since_last =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - last).count();
    if (!due(policy_, retired_, since_last)) continue;
    retired_ = 0;
    lock.unlock();
    vacuum_();
    last = Clock::now();
    lock.lock();
  }
}

}  // namespace axon::pg
