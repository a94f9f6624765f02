// Operational webhooks: events about the delivery system itself (endpoint.disabled,
// endpoint.enabled, delivery.failing, delivery.exhausted, delivery.recovered), modeled on
// Svix's operational webhooks. This module only decides and builds: which event (if any)
// an attempt outcome or an endpoint change produces, its `data` JSON and its idempotency
// key. Turning that into stored events (tenant + operator copies) is delivery/
// operational_emitter.hpp.
//
// The loop rule: an outcome of a delivery to an operational endpoint produces nothing.
// Thread-safety: pure functions.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"

namespace axon {

namespace operational_type {
inline constexpr std::string_view endpoint_disabled = "endpoint.disabled";
inline constexpr std::string_view endpoint_enabled = "endpoint.enabled";
inline constexpr std::string_view delivery_failing = "delivery.failing";
inline constexpr std::string_view delivery_exhausted = "delivery.exhausted";
inline constexpr std::string_view delivery_recovered = "delivery.recovered";
}  // namespace operational_type

// The five types, in the order above.
const std::array<std::string_view, 5>& operational_event_types();
bool is_operational_event_type(std::string_view type);
// True when the subscription pattern ("delivery.*", "*", an exact name) matches at least
// one operational type: the rule for an operational endpoint's event_types.
bool pattern_matches_operational(std::string_view pattern);

// The reserved tenant that receives a copy of every operational event ("operator").
inline constexpr std::string_view kOperatorTenantId = "ten_00000000000000000000000000";
inline constexpr std::string_view kOperatorTenantName = "operator";

// Default of --operational-failing-after.
inline constexpr int kDefaultOperationalFailingAfter = 3;

// One operational event, before it has an id: `data_json` is minified JSON.
struct OperationalEvent {
  std::string type;
  std::string tenant_id;  // the tenant whose endpoint/delivery it is about
  std::string data_json;
  std::string idempotency_key;
};

// What the dispatcher knows about one finished attempt.
struct AttemptFacts {
  std::string tenant_id;
  std::string endpoint_id;
  std::string endpoint_url;
  std::string delivery_id;
  std::string event_id;
  std::string event_type;
  bool operational = false;   // the delivery went to an operational endpoint
  int attempt = 1;            // n, over the delivery's whole life
  int attempt_in_series = 1;  // n within the current retry series
  int status_code = 0;        // 0 = no response
  std::string error;          // error class, "" on success
  Millis started_at = 0;
  enum class Outcome { succeeded, retry, dead } outcome = Outcome::retry;
  bool endpoint_gone = false;  // 410: the endpoint is being disabled
  std::string disable_reason;
};

// The operational events one attempt outcome produces, with `failing_after` = N
// (0 = never send delivery.failing / delivery.recovered):
//   retry with attempt_in_series == N          -> delivery.failing
//   dead                                       -> delivery.exhausted
//   succeeded with attempt_in_series > N       -> delivery.recovered (a failing was sent)
//   410 Gone                                   -> endpoint.disabled (source "gone") too
// Nothing at all when facts.operational (no loops).
std::vector<OperationalEvent> attempt_operational_events(const AttemptFacts& facts,
                                                         int failing_after);

// Where an endpoint state change came from.
enum class EndpointChangeSource { api, gone, automatic };
std::string_view endpoint_change_source_name(EndpointChangeSource source);  // api|gone|auto

struct EndpointChange {
  std::string tenant_id;
  std::string endpoint_id;
  std::string url;
  std::string reason;
  EndpointChangeSource source = EndpointChangeSource::api;
  // What makes the key unique per change: the endpoint's updated_at after the change (API,
  // auto-disable), or "<delivery_id>:<n>" of the 410 attempt.
  std::string trigger;
};

// endpoint.disabled / endpoint.enabled.
OperationalEvent endpoint_disabled_event(const EndpointChange& change);
OperationalEvent endpoint_enabled_event(const EndpointChange& change);

}  // namespace axon
