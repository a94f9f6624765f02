#include "api/endpoint_input.hpp"

#include <set>

#include "api/http_types.hpp"
#include "api/request_input.hpp"
#include "core/client_certificate.hpp"
#include "core/operational_events.hpp"
#include "core/subscription.hpp"
#include "core/url_policy.hpp"
#include "core/text.hpp"

namespace axon::api {

using nlohmann::json;

namespace {

constexpr std::size_t kMaxDescriptionChars = 1000;
constexpr std::size_t kMaxEventTypes = 256;
constexpr std::size_t kMaxHeaders = 64;
constexpr std::size_t kMaxHeaderNameChars = 256;
constexpr std::size_t kMaxHeaderValueChars = 4096;
constexpr std::int64_t kMaxInFlight = 10'000;
constexpr double kMaxRateLimit = 100'000;

// RFC 9110 tchar.
bool is_token_char(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

Result<std::optional<std::vector<std::string>>> parse_event_types(const json& value) {
  using Patterns = std::optional<std::vector<std::string>>;
  if (value.is_null()) return Patterns();
  if (!value.is_array()) {
    return fail(Errc::invalid_request, "event_types must be an array of strings or null");
  }
  if (value.empty()) {
    return fail(Errc::validation_failed,
                "event_types must not be empty (use null or omit it to receive every type)");
  }
  if (value.size() > kMaxEventTypes) {
    return fail(Errc::validation_failed, "event_types may list at most 256 patterns");
  }
  std::vector<std::string> patterns;
  for (const json& item : value) {
    if (!item.is_string()) {
      return fail(Errc::invalid_request, "event_types must contain only strings");
    }
    std::string pattern = item.get<std::string>();
    if (!is_valid_subscription_pattern(pattern)) {
      return fail(
          Errc::validation_failed,
          "event_types: '" + pattern + "' is not an event type, a 'prefix.*' wildcard or '*'");
    }
    patterns.push_back(std::move(pattern));
  }
  return Patterns(std::move(patterns));
}

Result<HeaderList> parse_headers(const json& value) {
  if (!value.is_object()) {
    return fail(Errc::invalid_request, "headers must be an object of name: value strings");
  }
  if (value.size() > kMaxHeaders) {
    return fail(Errc::validation_failed, "headers may set at most 64 headers");
  }
  HeaderList headers;
  std::set<std::string> seen;  // lower-cased names
  for (const auto& [name, item] : value.items()) {
    if (!item.is_string()) {
      return fail(Errc::invalid_request, "headers." + name + " must be a string");
    }
    std::string text = item.get<std::string>();
    auto allowed = check_custom_header(name, text);
    if (!allowed) return std::unexpected(allowed.error());
    if (!seen.insert(ascii_lower(name)).second) {
      return fail(Errc::validation_failed, "headers: '" + name + "' is set twice");
    }
    headers.emplace_back(name, std::move(text));
  }
  return headers;
}

}  // namespace

Result<std::optional<ClientCertificateInput>> parse_client_certificate(const json& body) {
  using Input = std::optional<ClientCertificateInput>;
  const bool has_certificate = body.contains("tls_client_certificate");
  const bool has_key = body.contains("tls_client_key");
  if (!has_certificate && !has_key) return Input();
  auto certificate = optional_string(body, "tls_client_certificate");
  if (!certificate) return std::unexpected(certificate.error());
  auto key = optional_string(body, "tls_client_key");
  if (!key) return std::unexpected(key.error());
  if (certificate->has_value() != key->has_value()) {
    return fail(Errc::validation_failed,
                "tls_client_certificate and tls_client_key are set together: send both (or both "
                "null to remove the client certificate)");
  }
  if (!certificate->has_value()) return Input(ClientCertificateInput{});
  auto checked = check_client_credentials(**certificate, **key);
  if (!checked) return std::unexpected(checked.error());
  return Input(ClientCertificateInput{std::move(*certificate), std::move(*key)});
}

Result<std::optional<bool>> parse_operational_flag(const json& body) {
  return optional_bool(body, "operational");
}

Result<void> check_operational_subscriptions(
    const std::optional<std::vector<std::string>>& patterns) {
  if (!patterns) return {};
  for (const auto& pattern : *patterns) {
    if (!pattern_matches_operational(pattern)) {
      return fail(Errc::validation_failed,
                  "event_types: '" + pattern +
                      "' matches no operational event type (an operational endpoint receives "
                      "only endpoint.disabled, endpoint.enabled, delivery.failing, "
                      "delivery.exhausted and delivery.recovered)");
    }
  }
  return {};
}

Result<void> check_custom_header(std::string_view name, std::string_view value) {
  std::string label = "headers: '" + std::string(name.substr(0, 64)) + "'";
  if (name.empty() || name.size() > kMaxHeaderNameChars) {
    return fail(Errc::validation_failed, "headers: a header name must be 1 to 256 characters");
  }
  for (char c : name) {
    if (!is_token_char(c)) {
      return fail(Errc::validation_failed, label + " is not a valid HTTP header name");
    }
  }
  static constexpr std::string_view kReserved[] = {
      "Host", "Content-Length", "Content-Type", "User-Agent", "Transfer-Encoding", "Connection"};
  for (std::string_view reserved : kReserved) {
    if (iequals(name, reserved)) {
      return fail(Errc::validation_failed, label + " is set by Axon and may not be overridden");
    }
  }
  if (istarts_with(name, "webhook-") || istarts_with(name, "x-axon-")) {
    return fail(Errc::validation_failed,
                label + " is reserved (webhook-* and X-Axon-* are set by Axon)");
  }
  if (value.size() > kMaxHeaderValueChars) {
    return fail(Errc::validation_failed, label + " value is longer than 4096 characters");
  }
  for (char c : value) {
    if (c == '\r' || c == '\n' || c == '\0') {
      return fail(Errc::validation_failed, label + " value may not contain CR, LF or NUL");
    }
  }
  return {};
}

Result<EndpointPatch> parse_endpoint_fields(const json& body, bool require_url,
                                            bool allow_private_targets) {
  EndpointPatch patch;

  if (require_url) {
    auto required = required_string(body, "url");
    if (!required) return std::unexpected(required.error());
  }
  auto url = optional_string(body, "url");
  if (!url) return std::unexpected(url.error());
  if (*url) {
    auto checked = check_endpoint_url(**url, allow_private_targets);
    if (!checked) {
      Errc code = checked.error().code == Errc::url_not_allowed ? Errc::url_not_allowed
                                                                : Errc::validation_failed;
      return fail(code, "url: " + checked.error().message);
    }
    patch.url = std::move(*url);
  }

  if (body.contains("description")) {
    auto description = optional_string(body, "description");
    if (!description) return std::unexpected(description.error());
    std::string text = description->value_or("");
    if (utf8_length(text) > kMaxDescriptionChars) {
      return fail(Errc::validation_failed, "description must be at most 1000 characters");
    }
    patch.description = std::move(text);
  }

  if (auto it = body.find("event_types"); it != body.end()) {
    auto patterns = parse_event_types(*it);
    if (!patterns) return std::unexpected(patterns.error());
    patch.event_types = std::move(*patterns);
  }

  if (auto it = body.find("headers"); it != body.end() && !it->is_null()) {
    auto headers = parse_headers(*it);
    if (!headers) return std::unexpected(headers.error());
    patch.headers = std::move(*headers);
  }

  auto disabled = optional_bool(body, "disabled");
  if (!disabled) return std::unexpected(disabled.error());
  patch.disabled = *disabled;
  if (patch.disabled == true) patch.disabled_reason = "disabled by API";

  auto max_in_flight = optional_integer(body, "max_in_flight");
  if (!max_in_flight) return std::unexpected(max_in_flight.error());
  if (*max_in_flight) {
    if (**max_in_flight < 0 || **max_in_flight > kMaxInFlight) {
      return fail(Errc::validation_failed, "max_in_flight must be between 0 (unlimited) and 10000");
    }
    patch.max_in_flight = static_cast<int>(**max_in_flight);
  }

  auto rate_limit = optional_number(body, "rate_limit");
  if (!rate_limit) return std::unexpected(rate_limit.error());
  if (*rate_limit) {
    if (**rate_limit < 0 || **rate_limit > kMaxRateLimit) {
      return fail(Errc::validation_failed,
                  "rate_limit must be between 0 (unlimited) and 100000 per second");
    }
    patch.rate_limit = **rate_limit;
  }

  auto ordering = optional_string(body, "ordering");
  if (!ordering) return std::unexpected(ordering.error());
  if (*ordering) {
    if (**ordering == "parallel") {
      patch.ordering = Ordering::parallel;
    } else if (**ordering == "fifo") {
      patch.ordering = Ordering::fifo;
    } else {
      return fail(Errc::validation_failed, "ordering must be \"parallel\" or \"fifo\"");
    }
  }
  return patch;
}

}  // namespace axon::api
