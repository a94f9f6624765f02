#include "delivery/webhook_request.hpp"

#include <array>

#include "core/signature.hpp"
#include "core/text.hpp"

namespace axon {
namespace {

// A header name is an RFC 9110 token; a value has no CR, LF or NUL.
bool is_sendable(std::string_view name, std::string_view value) {
  if (name.empty()) return false;
  for (char c : name) {
    const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return value.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

}  // namespace

bool is_reserved_header(std::string_view name) {
  static constexpr std::array<std::string_view, 9> kExact = {
      "host",       "content-length",    "content-type", "user-agent", "expect",
      "connection", "transfer-encoding", "te",           "upgrade"};
  for (auto reserved : kExact) {
    if (iequals(name, reserved)) return true;
  }
  return istarts_with(name, "x-axon-") || istarts_with(name, "webhook-");
}

HeaderList webhook_headers(const DeliveryJob& job, std::span<const std::string> secrets,
                           std::int64_t t, std::string_view user_agent) {
  HeaderList h;
  h.reserve(job.headers.size() + 11);
  for (const auto& [name, value] : job.headers) {
    if (!is_reserved_header(name) && is_sendable(name, value)) h.emplace_back(name, value);
  }
  const std::string t_text = std::to_string(t);
  h.emplace_back("Content-Type", "application/json");
  h.emplace_back("User-Agent", user_agent);
  h.emplace_back("X-Axon-Event", job.event_type);
  h.emplace_back("X-Axon-Event-Id", job.event_id);
  h.emplace_back("X-Axon-Delivery-Id", job.delivery_id);
  h.emplace_back("X-Axon-Attempt", std::to_string(job.attempt));
  h.emplace_back("X-Axon-Signature", axon_signature_header(secrets, t, *job.payload));
  h.emplace_back("webhook-id", job.event_id);
  h.emplace_back("webhook-timestamp", t_text);
  h.emplace_back("webhook-signature",
                 standard_signature_header(secrets, job.event_id, t, *job.payload));
  return h;
}

}  // namespace axon
