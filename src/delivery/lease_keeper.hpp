// LeaseKeeper: the leases the dispatcher gives back to the store before they expire.
//
// A claimed job holds a lease (lease_ms). A job still queued when its lease nears its end
// must go back: an attempt started later could outlive the lease and race another node's.
// Every second (steady time) the keeper asks for the queued jobs whose lease ends before
// `needed_until(now)`: now + the longest attempt (request_timeout) + a margin, or half the
// lease if that is shorter. Hand-backs from anywhere (expiring leases, the scheduler's
// surplus, a disabled endpoint's queue, a delivery this node cannot sign) collect here
// until the dispatcher sends them to the store in one lane task (release_handbacks), with
// the scheduler's recalls of earlier hand-backs (recall_handbacks).
//
// Thread-safety: LeaseKeeper has none (owned by the dispatcher thread); release_handbacks
// is as thread-safe as the store.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "delivery/fair_scheduler.hpp"
#include "delivery/pacing.hpp"
#include "store/store.hpp"

namespace axon {

class LeaseKeeper {
 public:
  static constexpr Millis kLeaseMargin = 5'000;
  static constexpr Millis kCheckInterval = 1'000;
  // A delivery whose secret this node cannot open waits this long before anyone claims it.
  static constexpr Millis kUnsignableRetryDelay = 30'000;

  // The lease to take when none is configured (0): long enough for one attempt, short
  // enough that a crashed owner's work is soon claimable again.
  static Millis lease_for(Millis configured_lease_ms, Millis request_timeout);

  LeaseKeeper(Millis lease_ms, Millis request_timeout)
      : lease_ms_(lease_ms), request_timeout_(request_timeout) {}

  Millis lease_ms() const { return lease_ms_; }
  // True when the expiring leases should be collected now (steady time).
  bool check_due(Millis steady_now) { return check_.due(steady_now); }
  // A queued job whose lease ends before this (wall time) goes back.
  Millis needed_until(Millis now) const;

  // Hand-backs waiting to be sent; the scheduler's collect_* append here.
  std::vector<Handback>& pending() { return pending_; }
  void hand_back(Millis due_at, std::vector<std::string> delivery_ids);
  void hand_back_unsignable(Millis now, std::string delivery_id);
  // The earliest due time of the pending hand-backs: work claimable again then.
  std::optional<Millis> earliest_due() const;
  std::vector<Handback> take();

  // Earlier hand-backs to bring forward (the scheduler's take_recalls).
  void recall(std::vector<Recall> recalls);
  bool has_recalls() const { return !recalls_.empty(); }
  std::vector<Recall> take_recalls();

 private:
  const Millis lease_ms_;
  const Millis request_timeout_;
  Periodic check_{kCheckInterval};
  std::vector<Handback> pending_;
  std::vector<Recall> recalls_;
};

// Releases each hand-back's deliveries (leased to `owner`) due at its time. A failure is
// logged: those deliveries stay leased until the lease expires, then anyone may claim them.
void release_handbacks(Store& store, std::string_view owner, const std::vector<Handback>& batch);
// Makes the recalled deliveries due at `due_at` (those untouched since they were handed
// back). A failure is logged: they stay due when they were handed back for.
void recall_handbacks(Store& store, const std::vector<Recall>& recalls, Millis due_at);

}  // namespace axon
