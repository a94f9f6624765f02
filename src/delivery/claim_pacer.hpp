// ClaimPacer: when the dispatcher claims due deliveries from the store, and how many.
//
// Pure policy on wall times passed in (the times the store compares due times with):
// - Capacity: attempts in flight, jobs queued in the scheduler, outcomes not yet recorded and
//   an outstanding claim all count against max_in_flight, so during a store outage claiming
//   pauses instead of piling up work that cannot be recorded.
// - Batching: claim only when a worthwhile batch fits (a quarter of a batch), unless the
//   dispatcher is idle, so a busy dispatcher does not run one transaction per attempt.
// - Pacing: a full batch means more is probably due (claim again at once); a short one means
//   everything due is ours, so the next claim waits until the next due time (at least 10 ms,
//   at most poll_interval). A failed claim is retried with StoreBackoff. A burst of
//   notifications (one per ingested event) shares one claim; a notification that arrives
//   while a claim is outstanding applies after it (that claim may have missed the new work).
// - Work due again (due_by: a retry or a FIFO head recorded, a hand-back) brings the next
//   claim forward. Outcomes are recorded concurrently with claims (the dispatcher's two
//   lanes), so a due_by that arrives while a claim is outstanding is kept and applied after
//   that claim's own pacing: the claim may have read the store before the outcome committed.
// - One claim at a time.
//
// Thread-safety: none; owned by the dispatcher thread.
#pragma once

#include <cstddef>
#include <optional>

#include "core/clock.hpp"
#include "delivery/pacing.hpp"

namespace axon {

struct ClaimPacerOptions {
  int max_in_flight = 1024;
  int claim_batch = 512;
  Millis poll_interval = 1'000;
};

// What the dispatcher holds now, besides an outstanding claim.
struct DispatcherLoad {
  std::size_t in_flight = 0;   // attempts started
  std::size_t queued = 0;      // claimed jobs waiting in the scheduler
  std::size_t unrecorded = 0;  // outcomes not yet committed (buffered or being recorded)
};

class ClaimPacer {
 public:
  static constexpr Millis kMinIdleSleep = 10;
  static constexpr Millis kNotifyCoalesce = 2;  // next_due_at said "now" but nothing was claimable
  // How long claims wait after most of a claim was handed back as surplus. Short: a claim also
  // brings other tenants' new work, which must not wait long for a hung tenant.
  static constexpr Millis kSurplusClaimPause = 200;

  explicit ClaimPacer(ClaimPacerOptions options) : options_(options) {}

  // Start of a dispatcher turn; `notified`: notify() was called since the last turn.
  void on_turn(bool notified);

  // The limit of a claim to post now, if one is due and worthwhile; it is then outstanding.
  std::optional<int> claim_now(Millis now, const DispatcherLoad& load);
  // The outstanding claim (posted at `claimed_at` with `limit`) returned `count` jobs;
  // `next_due` is the store's next due time when it was asked (a short batch).
  void on_claimed(Millis claimed_at, int limit, int count, std::optional<Millis> next_due);
  // The outstanding claim failed: returns the delay before the next try.
  Millis on_claim_failed(Millis claimed_at);

  // Work becomes claimable at `at` (a retry recorded, a hand-back): claim no later (after
  // the outstanding claim, if there is one).
  void due_by(Millis at);
  // The scheduler handed back `surplus` claimed jobs that cannot start soon. When that is most
  // of the last claim, claiming again at once would only lease more of it and hand it back,
  // over and over: claims pause for kSurplusClaimPause.
  void on_surplus(Millis now, std::size_t surplus);

  // How long the dispatcher may sleep as far as claiming goes (nullopt: no claim to wait for).
  std::optional<Millis> wait_ms(Millis now, const DispatcherLoad& load) const;

  int free_capacity(const DispatcherLoad& load) const;
  bool may_claim(const DispatcherLoad& load) const;
  bool claim_outstanding() const { return outstanding_ > 0; }
  Millis next_claim_at() const { return next_claim_at_; }

 private:
  const ClaimPacerOptions options_;
  StoreBackoff backoff_;
  int outstanding_ = 0;       // limit of the claim on the lane (0 = none)
  bool notify_pending_ = false;
  Millis next_claim_at_ = 0;  // 0 = now
  std::optional<Millis> due_after_claim_;  // due_by() while a claim was outstanding
  Millis last_claim_at_ = 0;
  std::size_t last_claimed_ = 0;  // jobs the last claim returned
  Millis paused_until_ = 0;       // no claim before this (surplus pause)
};

}  // namespace axon
