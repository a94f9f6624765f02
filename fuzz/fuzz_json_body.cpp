// libFuzzer target: bytes as a JSON request body -> parse_json_limited / the validating
// minifier (depth limit, duplicate names) -> the endpoint field decoder (create and patch, with
// and without the SSRF policy), the custom-header check, the event and batch readers (data kept
// as text) and the envelope builder.
// A crash, a sanitizer report, an uncaught exception or a broken invariant is a finding.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "api/endpoint_input.hpp"
#include "api/event_input.hpp"
#include "api/json_codec.hpp"
#include "api/request_input.hpp"
#include "core/envelope.hpp"
#include "core/json_limits.hpp"
#include "core/json_text.hpp"
#include "core/subscription.hpp"
#include "core/url_policy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto any = axon::parse_json_limited(text);
  if (any && !axon::json_depth_within(*any, axon::kMaxJsonDepth)) std::abort();

  auto body_text = axon::api::minify_json_object_body(text, axon::kMaxJsonDepth + 1);
  if (!body_text) return 0;
  // Minified text is a fixed point of the minifier.
  auto again = axon::minify_json(*body_text, axon::kMaxJsonDepth + 1);
  if (!again || *again != *body_text) std::abort();
  if (auto batch = axon::api::read_batch_events(*body_text)) {
    for (std::string_view element : *batch) {
      if (axon::json_kind(element) == axon::JsonKind::object) {
        (void)axon::api::read_event_input(element, /*key_in_body=*/true);
      }
    }
  }
  // The event: its data goes into the envelope as text; the envelope must read back the same.
  if (auto event = axon::api::read_event_input(*body_text, /*key_in_body=*/false)) {
    std::string envelope =
        axon::build_envelope("evt_fuzz", event->type, "ten_fuzz", 1'764'000'000'000, event->data);
    auto checked = axon::minify_json(envelope, axon::kMaxJsonDepth + 1);
    if (!checked || *checked != envelope) std::abort();
    if (axon::json_member(envelope, "data") != event->data) std::abort();
  }
  // A document for the other fields (a number beyond a double cannot become one).
  auto body = nlohmann::json::parse(*body_text, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) return 0;
  if (!body.is_object()) std::abort();

  for (bool require_url : {true, false}) {
    for (bool allow_private : {true, false}) {
      auto patch = axon::api::parse_endpoint_fields(body, require_url, allow_private);
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

  (void)axon::api::optional_string(body, "description");
  (void)axon::api::optional_integer(body, "max_in_flight");
  (void)axon::api::optional_number(body, "rate_limit");
  (void)axon::api::optional_bool(body, "disabled");
  if (auto since = axon::api::optional_string(body, "since"); since && *since) {
    (void)axon::parse_rfc3339(**since);
  }
  return 0;
}
