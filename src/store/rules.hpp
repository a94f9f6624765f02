// Rules both stores must apply alike, written once: SQLite and PostgreSQL answer the same
// limits, windows and messages, and the conformance suite cannot be satisfied by two
// copies that merely happen to agree today.
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <unordered_map>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "store/store.hpp"

namespace axon::store_rules {

// An Idempotency-Key names the same event for this long after its first use.
inline constexpr Millis kIdempotencyWindowMs = 24LL * 60 * 60 * 1000;

// Page sizes: limit <= 0 means the default; more than the maximum is clamped.
inline constexpr int kDefaultPageLimit = 50;
inline constexpr int kMaxPageLimit = 1000;
int clamp_page_limit(int limit);

// The disabled_reason of an endpoint disabled by disable_failing_endpoints(now, period),
// e.g. "disabled automatically: every attempt failed for 120 h".
std::string auto_disable_reason(Millis period);

// One not-found error per kind of resource, whichever store and method reports it.
enum class Resource { tenant, api_key, endpoint, event_type, event, delivery };
Error not_found(Resource resource);
inline std::unexpected<Error> fail_not_found(Resource resource) {
  return std::unexpected(not_found(resource));
}

// failing_since after a batch of attempt outcomes, per endpoint. The rule: a success clears
// failing_since; a failure sets it to the failure's start unless it is already set (the run of
// failures began earlier). Applied to one batch in record order, that leaves, per endpoint:
//   - `succeeded`: the batch had a success, so the stored value is replaced by
//     `failing_since` (nullopt, or the first failure after the batch's last success);
//   - otherwise the stored value is kept if set, else becomes `failing_since`.
struct EndpointHealth {
  bool succeeded = false;
  std::optional<Millis> failing_since;
};
std::unordered_map<std::string, EndpointHealth> endpoint_health(
    std::span<const AttemptRecord> records);

}  // namespace axon::store_rules
