#include "core/operational_events.hpp"

#include <nlohmann/json.hpp>

#include "core/envelope.hpp"
#include "core/subscription.hpp"

namespace axon {
namespace {

using OrderedJson = nlohmann::ordered_json;

std::string dump(const OrderedJson& value) {
  return value.dump(-1, ' ', false, OrderedJson::error_handler_t::replace);
}

OperationalEvent delivery_event(std::string_view type, const AttemptFacts& f) {
  OrderedJson attempt = {
      {"n", f.attempt},
      {"status_code", f.status_code > 0 ? OrderedJson(f.status_code) : OrderedJson(nullptr)},
      {"error", f.error.empty() ? OrderedJson(nullptr) : OrderedJson(f.error)},
      {"started_at", format_rfc3339_ms(f.started_at)}};
  OrderedJson data = {{"tenant_id", f.tenant_id},     {"endpoint_id", f.endpoint_id},
                      {"delivery_id", f.delivery_id}, {"event_id", f.event_id},
                      {"event_type", f.event_type},   {"attempt", std::move(attempt)}};
  // One event per (type, delivery, attempt): a re-emission after a crash is a no-op.
  std::string key =
      "axon-op:" + std::string(type) + ":" + f.delivery_id + ":" + std::to_string(f.attempt);
  return OperationalEvent{std::string(type), f.tenant_id, dump(data), std::move(key)};
}

OperationalEvent endpoint_event(std::string_view type, const EndpointChange& c) {
  OrderedJson data = {{"tenant_id", c.tenant_id},
                      {"endpoint_id", c.endpoint_id},
                      {"url", c.url},
                      {"reason", c.reason.empty() ? OrderedJson(nullptr) : OrderedJson(c.reason)},
                      {"source", endpoint_change_source_name(c.source)}};
  std::string key = "axon-op:" + std::string(type) + ":" + c.endpoint_id + ":" + c.trigger;
  return OperationalEvent{std::string(type), c.tenant_id, dump(data), std::move(key)};
}

}  // namespace

const std::array<std::string_view, 5>& operational_event_types() {
  static constexpr std::array<std::string_view, 5> kTypes = {
      operational_type::endpoint_disabled, operational_type::endpoint_enabled,
      operational_type::delivery_failing, operational_type::delivery_exhausted,
      operational_type::delivery_recovered};
  return kTypes;
}

bool is_operational_event_type(std::string_view type) {
  for (std::string_view t : operational_event_types()) {
    if (t == type) return true;
  }
  return false;
}

bool pattern_matches_operational(std::string_view pattern) {
  for (std::string_view t : operational_event_types()) {
    if (pattern_matches(pattern, t)) return true;
  }
  return false;
}

std::vector<OperationalEvent> attempt_operational_events(const AttemptFacts& facts,
                                                         int failing_after) {
  std::vector<OperationalEvent> events;
  if (facts.operational) return events;  // no loops
  using Outcome = AttemptFacts::Outcome;
  const bool tracks_failing = failing_after > 0;
  switch (facts.outcome) {
    case Outcome::retry:
      if (tracks_failing && facts.attempt_in_series == failing_after) {
        events.push_back(delivery_event(operational_type::delivery_failing, facts));
      }
      break;
    case Outcome::dead:
      events.push_back(delivery_event(operational_type::delivery_exhausted, facts));
      break;
    case Outcome::succeeded:
      if (tracks_failing && facts.attempt_in_series > failing_after) {
        events.push_back(delivery_event(operational_type::delivery_recovered, facts));
      }
      break;
  }
  if (facts.endpoint_gone) {
    events.push_back(endpoint_disabled_event(
        EndpointChange{facts.tenant_id, facts.endpoint_id, facts.endpoint_url, facts.disable_reason,
                       EndpointChangeSource::gone,
                       "gone:" + facts.delivery_id + ":" + std::to_string(facts.attempt)}));
  }
  return events;
}

std::string_view endpoint_change_source_name(EndpointChangeSource source) {
  switch (source) {
    case EndpointChangeSource::api:
      return "api";
    case EndpointChangeSource::gone:
      return "gone";
    case EndpointChangeSource::automatic:
      return "auto";
  }
  return "api";
}

OperationalEvent endpoint_disabled_event(const EndpointChange& change) {
  return endpoint_event(operational_type::endpoint_disabled, change);
}

OperationalEvent endpoint_enabled_event(const EndpointChange& change) {
  return endpoint_event(operational_type::endpoint_enabled, change);
}

}  // namespace axon
