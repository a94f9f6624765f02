// The API's own view of one HTTP exchange, independent of Beast: the server copies a parsed
// request into an ApiRequest, the router and handlers answer with an ApiResponse, and the
// server writes it. Plain values; no thread-safety concerns.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/text.hpp"

namespace axon::api {

using NameValues = std::vector<std::pair<std::string, std::string>>;

struct ApiRequest {
  std::string method;  // "GET", "POST", …
  std::string target;  // path and query as sent
  NameValues headers;  // in arrival order, names as sent
  std::string body;
  std::string request_id;  // "req_…", also sent back as X-Request-Id (for logs)
  // SHA-256 (hex) of the bearer token when the connection already hashed it for the rate
  // limiter, so authentication does not hash it again; empty when not computed.
  std::string credential_hash;

  // First header with this name (case-insensitive), if any.
  std::optional<std::string_view> header(std::string_view name) const;
};

struct ApiResponse {
  int status = 200;
  std::string content_type = "application/json";
  NameValues headers;  // extra headers (Allow, WWW-Authenticate, …)
  std::string body;
};

using axon::iequals;  // case-insensitive ASCII comparison (core/text.hpp)

}  // namespace axon::api
