// OutcomeRecorder: attempt outcomes on their way to the store, by group commit.
//
// Finished attempts wait in a buffer; a batch is taken when it is worth a transaction (no
// attempt left in flight, a claim batch's worth, or the oldest has waited flush_delay), at
// most one batch at a time (outcomes that finish meanwhile form the next, bigger batch).
// A batch the store could not record (an outage) goes back to the front of the buffer, oldest
// first, and the next try waits with StoreBackoff; nothing is dropped. Buffered outcomes
// count against the dispatcher's capacity (ClaimPacer), so claiming pauses meanwhile.
// Times are steady milliseconds, passed in.
//
// commit_attempts is the store side of one batch: one transaction, and if the store refuses
// the batch for a reason other than an outage, each record on its own, so one bad record
// cannot block every outcome.
//
// Thread-safety: OutcomeRecorder has none (owned by the dispatcher thread); commit_attempts
// is as thread-safe as `complete`.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <span>
#include <vector>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "delivery/pacing.hpp"
#include "store/store.hpp"

namespace axon {

class OutcomeRecorder {
 public:
  // `flush_delay`: the longest an outcome waits to share a transaction; `max_batch`: a batch
  // this big is recorded at once.
  OutcomeRecorder(Millis flush_delay, int max_batch)
      : flush_delay_(flush_delay), max_batch_(static_cast<std::size_t>(std::max(1, max_batch))) {}

  void add(AttemptRecord record, Millis steady_now);

  // The batch to record now, if one is due; it is then being recorded until
  // on_recorded/on_failed.
  std::optional<std::vector<AttemptRecord>> take_batch(Millis steady_now, bool none_in_flight);
  // The batch being recorded is in the store.
  void on_recorded();
  // The batch being recorded failed: it is buffered again; returns the delay before the retry.
  Millis on_failed(std::vector<AttemptRecord> batch, Millis steady_now);

  // When a batch may next become due (steady), if the dispatcher should wake for it.
  std::optional<Millis> wake_at() const;

  // Outcomes not yet in the store (buffered or being recorded).
  std::size_t unrecorded() const { return buffered_.size() + recording_; }
  bool recording() const { return recording_ > 0; }
  // The buffer itself, for shutdown, when the dispatcher records what is left directly.
  std::vector<AttemptRecord>& buffered() { return buffered_; }

 private:
  const Millis flush_delay_;
  const std::size_t max_batch_;
  std::vector<AttemptRecord> buffered_;
  std::size_t recording_ = 0;  // records of the batch being recorded (0 = none)
  Millis oldest_ = 0;          // when the oldest buffered outcome was added
  Millis next_try_ = 0;        // no batch before this (backoff after a failure)
  StoreBackoff backoff_;
};

// Records `batch` with `complete` (Store::complete_attempts bound to an owner and a time):
// all in one call, or, when that call fails for a reason other than an outage, one by one,
// dropping (and logging) only the records refused on their own; their deliveries are retried
// when the lease expires. On an outage the error is returned and `batch` keeps the records
// not yet recorded; on success `batch` is left as it was or emptied.
using CompleteAttempts = std::function<Result<void>(std::span<const AttemptRecord>)>;
Result<void> commit_attempts(std::vector<AttemptRecord>& batch, const CompleteAttempts& complete);

}  // namespace axon
