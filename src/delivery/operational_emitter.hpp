// Turns operational events (core/operational_events.hpp) into stored events: each one is
// ingested as an operational NewEvent twice, in the tenant it is about and in the operator
// tenant (once when that is the same tenant), each with the event's idempotency key, so a
// re-emission (a retry after an outage, or after a crash before the trigger was recorded)
// creates nothing new. A tenant that does not exist (deleted meanwhile, or no operator
// tenant in a test setup) is skipped. Where there is no matching operational endpoint the
// store keeps nothing.
//
// Used by the API (endpoint PATCH) through ingest_operational_event, and by the Dispatcher
// through OperationalEmitter (attempt outcomes, auto-disable).
#pragma once

#include <functional>
#include <mutex>
#include <vector>

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "core/operational_events.hpp"
#include "core/random.hpp"
#include "delivery/attempt_outcome.hpp"
#include "store/store.hpp"

namespace axon {

// Ingests `event` in its tenant and in the operator tenant. Returns the number of new
// deliveries. Errors other than not_found (missing tenant) are returned.
Result<int> ingest_operational_event(Store& store, IdGenerator& ids, const OperationalEvent& event,
                                     Millis now);

// Creates the operator tenant (kOperatorTenantId, named "operator") unless it exists;
// a concurrent create by another process is fine. serve and migrate call it at start.
Result<void> ensure_operator_tenant(Store& store, Millis now);

// The dispatcher's side: operational events of attempt outcomes wait in a pending list and
// are emitted before the outcomes are recorded (Dispatcher: "record"), so a crash in between
// repeats the emission (idempotent) rather than losing it.
//
// Thread-safety: every method may be called from any thread (the pending list is locked;
// ids come from the emitter's own generator and CSPRNG).
class OperationalEmitter {
 public:
  // `failing_after`: --operational-failing-after. `on_work` runs after an emission that
  // created deliveries (the dispatcher wakes itself).
  OperationalEmitter(Store& store, const Clock& clock, int failing_after,
                     std::function<void()> on_work);

  // Adds the operational events of one attempt outcome to the pending list.
  void collect(const AttemptContext& context, const AttemptRecord& record);
  // Adds endpoint.disabled (source "auto") for an endpoint the housekeeping disabled, then
  // tries to emit everything pending (it runs where store calls are allowed).
  void endpoint_auto_disabled(const Endpoint& endpoint);
  // Emits every pending event, oldest first. On Errc::unavailable the ones not yet emitted
  // stay pending and the error is returned (callers retry later, as for complete_attempts);
  // an event the store refuses for another reason is logged and dropped, so one bad event
  // cannot block the dispatcher.
  Result<void> emit_pending();

  std::size_t pending_count() const;

 private:
  Store& store_;
  const Clock& clock_;
  const int failing_after_;
  std::function<void()> on_work_;
  SecureRandom random_;
  IdGenerator ids_;
  mutable std::mutex mu_;
  std::vector<OperationalEvent> pending_;  // guarded by mu_
  std::mutex emit_mu_;                     // one emission at a time keeps the order
};

}  // namespace axon
