#include "store/rules.hpp"

#include <algorithm>

namespace axon::store_rules {

int clamp_page_limit(int limit) {
  return limit <= 0 ? kDefaultPageLimit : std::min(limit, kMaxPageLimit);
}

std::string auto_disable_reason(Millis period) {
  constexpr Millis kHour = 3600 * 1000;
  std::string described = period >= kHour && period % kHour == 0
                              ? std::to_string(period / kHour) + " h"
                          : period % 1000 == 0 ? std::to_string(period / 1000) + " s"
                                               : std::to_string(period) + " ms";
  return "disabled automatically: every attempt failed for " + described;
}

Error not_found(Resource resource) {
  switch (resource) {
    case Resource::tenant:
      return Error{Errc::not_found, "no such tenant"};
    case Resource::api_key:
      return Error{Errc::not_found, "no such API key"};
    case Resource::endpoint:
      return Error{Errc::not_found, "no such endpoint"};
    case Resource::event_type:
      return Error{Errc::not_found, "no such event type"};
    case Resource::event:
      return Error{Errc::not_found, "no such event"};
    case Resource::delivery:
      return Error{Errc::not_found, "no such delivery"};
  }
  return Error{Errc::not_found, "not found"};
}

std::unordered_map<std::string, EndpointHealth> endpoint_health(
    std::span<const AttemptRecord> records) {
  std::unordered_map<std::string, EndpointHealth> health;
  for (const AttemptRecord& record : records) {
    EndpointHealth& h = health[record.endpoint_id];
    if (record.new_status == DeliveryStatus::succeeded) {
      h.succeeded = true;
      h.failing_since.reset();
    } else if (!h.failing_since) {
      h.failing_since = record.attempt.started_at;
    }
  }
  return health;
}

}  // namespace axon::store_rules
