#include "retention/purger.hpp"

#include <spdlog/spdlog.h>

namespace axon {

Purger::Purger(Store& store, const Clock& clock, RetentionPolicy policy)
    : store_(store), clock_(clock), policy_(policy) {}

Purger::~Purger() { stop(); }

void Purger::start() {
  if (thread_.joinable()) return;
  {
    std::lock_guard lock(mu_);
    stopping_ = false;
  }
  thread_ = std::thread([this] { run(); });
}

void Purger::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

PurgeTotals Purger::totals() const {
  return PurgeTotals{events_.load(), deliveries_.load(), attempts_.load(), keys_.load()};
}

bool Purger::wait(Millis ms) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, std::chrono::milliseconds(ms), [this] { return stopping_; });
  return !stopping_;
}

void Purger::run() {
  do {
    const Millis started = clock_.now_ms();
    run_sweep();
    const Millis took = clock_.now_ms() - started;
    if (took > policy_.sweep_interval()) {
      spdlog::warn("retention: a sweep took {} ms, longer than its interval", took);
    }
  } while (wait(policy_.sweep_interval()));
}

void Purger::run_sweep(bool pause) {
  auto between_steps = [&](Millis step_started) {
    return !pause || wait(policy_.pause_after(clock_.now_ms() - step_started));
  };
  const Millis now = clock_.now_ms();
  if (auto cutoff = policy_.event_cutoff(now)) {
    std::optional<EventCursor> cursor;
    do {
      const Millis step_started = clock_.now_ms();
      auto step = store_.purge_finished_events(*cutoff, cursor, policy_.events_per_step());
      if (!step) {
        spdlog::warn("retention: purge step failed: {}", step.error().message);
        return;
      }
      events_ += step->events;
      deliveries_ += step->deliveries;
      attempts_ += step->attempts;
      cursor = step->next;
      if (cursor && !between_steps(step_started)) return;
    } while (cursor);
  }
  for (;;) {
    const Millis step_started = clock_.now_ms();
    auto purged = store_.purge_idempotency_keys(policy_.idempotency_cutoff(now),
                                                policy_.keys_per_step());
    if (!purged) {
      spdlog::warn("retention: idempotency key purge failed: {}", purged.error().message);
      return;
    }
    keys_ += *purged;
    if (*purged < policy_.keys_per_step() || !between_steps(step_started)) break;
  }
  for (int i = 0; i < policy_.reclaim_steps_per_sweep(); ++i) {
    const Millis step_started = clock_.now_ms();
    if (auto reclaimed = store_.reclaim_space(); !reclaimed) {
      spdlog::warn("retention: reclaiming space failed: {}", reclaimed.error().message);
      return;
    }
    if (!between_steps(step_started)) return;
  }
}

}  // namespace axon
