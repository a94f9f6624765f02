// Turning what the sender observed into what the store records: the RetryPolicy input,
// and the AttemptRecord (status, next attempt, endpoint disable) for complete_attempts.
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "core/retry_policy.hpp"
#include "delivery/http_sender.hpp"
#include "store/store.hpp"

namespace axon {

// What the dispatcher keeps about an attempt while it is in flight.
struct AttemptContext {
  std::string delivery_id;
  std::string endpoint_id;
  int attempt = 1;
  int attempt_in_series = 1;
  std::string tenant_id;  // for logs
  // For the operational events of the outcome (delivery/operational_emitter.hpp).
  std::string event_id;
  std::string event_type;
  std::string url;
  bool operational = false;  // the endpoint is operational: its outcomes emit nothing
};

// The context of an attempt at `job`.
AttemptContext attempt_context(const DeliveryJob& job);

// The policy input. A transport failure counts as "no response" even if a status line had
// arrived (e.g. 200 then a reset mid-body): at-least-once prefers a retry to a guess.
AttemptResult to_attempt_result(const HttpResult& result);

AttemptRecord make_attempt_record(const AttemptContext& context, const HttpResult& result,
                                  const Decision& decision);

// `bytes` as valid UTF-8 (invalid sequences become U+FFFD, a character cut at the end is
// dropped), so the excerpt can always be stored as text and served as JSON.
std::string utf8_excerpt(std::string_view bytes);

}  // namespace axon
