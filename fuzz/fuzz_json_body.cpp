// libFuzzer target: bytes as a JSON request body -> parse_json_limited / parse_json_object_body
// (depth limit) -> the endpoint field decoder (create and patch, with and without the SSRF
// policy), the custom-header check, the event `type` / `data` checks and the envelope builder.
// A crash, a sanitizer report, an uncaught exception or a broken invariant is a finding.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "api/endpoint_input.hpp"
#include "api/json_codec.hpp"
#include "api/request_input.hpp"
#include "core/envelope.hpp"
#include "core/json_limits.hpp"
#include "core/subscription.hpp"
#include "core/url_policy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto any = axon::parse_json_limited(text);
  if (any && !axon::json_depth_within(*any, axon::kMaxJsonDepth)) std::abort();

  auto body = axon::api::parse_json_object_body(text, axon::kMaxJsonDepth + 1);
  if (!body) return 0;
  if (!body->is_object()) std::abort();

  for (bool require_url : {true, false}) {
    for (bool allow_private : {true, false}) {
      auto patch = axon::api::parse_endpoint_fields(*body, require_url, allow_private);
      if (!patch) continue;
      if (require_url && !patch->url) std::abort();
      if (patch->url && !axon::check_endpoint_url(*patch->url, allow_private)) std::abort();
      if (patch->headers) {
        for (const auto& [name, value] : *patch->headers) {
          if (!axon::api::check_custom_header(name, value)) std::abort();
          if (value.find_first_of("\r\n") != std::string::npos) std::abort();
        }
      }
      if (patch->event_types && *patch->event_types) {
        for (const auto& pattern : **patch->event_types) {
          if (!axon::is_valid_subscription_pattern(pattern)) std::abort();
          (void)axon::pattern_matches(pattern, "order.created");
        }
      }
    }
  }

  // The event body: {type, data}.
  auto type = axon::api::required_string(*body, "type");
  auto event_data = body->find("data");
  if (type && axon::is_valid_event_type(*type) && event_data != body->end() &&
      axon::json_depth_within(*event_data, axon::kMaxJsonDepth)) {
    std::string envelope =
        axon::build_envelope("evt_fuzz", *type, "ten_fuzz", 1'764'000'000'000,
                             axon::api::dump_json(*event_data));
    // The envelope is what gets signed and sent: it must be JSON again, with the same data.
    auto reparsed = axon::parse_json_limited(envelope, axon::kMaxJsonDepth + 1);
    if (!reparsed || (*reparsed)["data"] != *event_data) std::abort();
  }
  (void)axon::api::optional_string(*body, "description");
  (void)axon::api::optional_integer(*body, "max_in_flight");
  (void)axon::api::optional_number(*body, "rate_limit");
  (void)axon::api::optional_bool(*body, "disabled");
  if (auto since = axon::api::optional_string(*body, "since"); since && *since) {
    (void)axon::parse_rfc3339(**since);
  }
  return 0;
}
