#include "delivery/outcome_recorder.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <iterator>

namespace axon {

void OutcomeRecorder::add(AttemptRecord record, Millis steady_now) {
  if (buffered_.empty()) oldest_ = steady_now;
  buffered_.push_back(std::move(record));
}

std::optional<std::vector<AttemptRecord>> OutcomeRecorder::take_batch(Millis steady_now,
                                                                      bool none_in_flight) {
  if (buffered_.empty() || recording_ > 0 || steady_now < next_try_) return std::nullopt;
  const bool due = none_in_flight || buffered_.size() >= max_batch_ ||
                   steady_now - oldest_ >= flush_delay_;
  if (!due) return std::nullopt;
  recording_ = buffered_.size();
  std::vector<AttemptRecord> batch = std::move(buffered_);
  buffered_.clear();
  return batch;
}

void OutcomeRecorder::on_recorded() {
  recording_ = 0;
  backoff_.succeeded();
}

Millis OutcomeRecorder::on_failed(std::vector<AttemptRecord> batch, Millis steady_now) {
  recording_ = 0;
  const Millis delay = backoff_.failed();
  next_try_ = steady_now + delay;
  // Keep them, oldest first, ahead of outcomes that finished meanwhile.
  if (buffered_.empty()) oldest_ = steady_now;
  batch.insert(batch.end(), std::make_move_iterator(buffered_.begin()),
               std::make_move_iterator(buffered_.end()));
  buffered_ = std::move(batch);
  return delay;
}

std::optional<Millis> OutcomeRecorder::wake_at() const {
  if (buffered_.empty() || recording_ > 0) return std::nullopt;
  return std::max(next_try_, oldest_ + flush_delay_);
}

Result<void> commit_attempts(std::vector<AttemptRecord>& batch, const CompleteAttempts& complete) {
  auto all = complete(batch);
  if (all || is_store_outage(all.error().code)) return all;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    auto r = complete(std::span(&batch[i], 1));
    if (r) continue;
    if (is_store_outage(r.error().code)) {
      batch.erase(batch.begin(), batch.begin() + static_cast<long>(i));
      return r;
    }
    spdlog::error("dispatcher: dropping the outcome of attempt {} of delivery {}: {}",
                  batch[i].attempt.n, batch[i].delivery_id, r.error().message);
  }
  batch.clear();
  return {};
}

}  // namespace axon
