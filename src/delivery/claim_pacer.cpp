#include "delivery/claim_pacer.hpp"

#include <algorithm>

namespace axon {

void ClaimPacer::on_turn(bool notified) {
  if (notified) notify_pending_ = true;
  if (notify_pending_ && outstanding_ == 0) {
    notify_pending_ = false;
    next_claim_at_ = std::min(next_claim_at_, last_claim_at_ + kNotifyCoalesce);
  }
}

int ClaimPacer::free_capacity(const DispatcherLoad& load) const {
  return options_.max_in_flight - outstanding_ -
         static_cast<int>(load.in_flight + load.queued + load.unrecorded);
}

bool ClaimPacer::may_claim(const DispatcherLoad& load) const {
  const int capacity = free_capacity(load);
  if (capacity <= 0) return false;
  const int low_water =
      std::max(1, std::min(options_.claim_batch, options_.max_in_flight) / 4);
  return capacity >= low_water || (load.in_flight == 0 && load.queued == 0);
}

std::optional<int> ClaimPacer::claim_now(Millis now, const DispatcherLoad& load) {
  if (outstanding_ > 0 || now < std::max(next_claim_at_, paused_until_) || !may_claim(load)) {
    return std::nullopt;
  }
  const int limit = std::min(options_.claim_batch, free_capacity(load));
  last_claim_at_ = now;
  outstanding_ = limit;
  return limit;
}

void ClaimPacer::on_claimed(Millis claimed_at, int limit, int count,
                            std::optional<Millis> next_due) {
  outstanding_ = 0;
  backoff_.succeeded();
  last_claimed_ = static_cast<std::size_t>(count);
  if (count >= limit) {
    next_claim_at_ = claimed_at;  // probably more due
  } else {
    // Everything due is ours: sleep until the next delivery becomes due.
    next_claim_at_ = claimed_at + options_.poll_interval;
    if (next_due) {
      next_claim_at_ = std::clamp(*next_due, claimed_at + kMinIdleSleep,
                                  claimed_at + options_.poll_interval);
    }
  }
  if (due_after_claim_) next_claim_at_ = std::min(next_claim_at_, *due_after_claim_);
  due_after_claim_.reset();
}

Millis ClaimPacer::on_claim_failed(Millis claimed_at) {
  outstanding_ = 0;
  const Millis delay = backoff_.failed();
  next_claim_at_ = claimed_at + delay;
  // The store is failing: the backoff wins; the claim after it finds that work (or learns
  // its due time) anyway.
  due_after_claim_.reset();
  return delay;
}

void ClaimPacer::due_by(Millis at) {
  if (outstanding_ > 0) {
    due_after_claim_ = std::min(due_after_claim_.value_or(at), at);
    return;
  }
  next_claim_at_ = std::min(next_claim_at_, at);
}

void ClaimPacer::on_surplus(Millis now, std::size_t surplus) {
  if (surplus > 0 && 2 * surplus >= last_claimed_) paused_until_ = now + kSurplusClaimPause;
}

std::optional<Millis> ClaimPacer::wait_ms(Millis now, const DispatcherLoad& load) const {
  if (outstanding_ > 0 || !may_claim(load)) return std::nullopt;
  return std::max<Millis>(0, std::max(next_claim_at_, paused_until_) - now);
}

}  // namespace axon
