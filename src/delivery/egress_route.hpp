// The route of a delivery through an egress proxy, decided before the proxy is asked.
// (Names resolve to several addresses; the first allowed one is used, IPv4 first.)
//
// Behind a proxy the SSRF guard cannot look at the socket (that goes to the proxy), so the
// destination is resolved here, every address is checked against the address policy, and
// the proxy is then asked to CONNECT to the checked address itself (libcurl CONNECT_TO):
// the proxy never resolves the name again, so a second DNS answer cannot rebind the
// delivery to a forbidden address. The URL keeps its host name, so the Host header, TLS SNI
// and certificate verification still use the name the endpoint was registered with.
//
// Thread-safety: DestinationPinner is single-threaded (the sender's thread).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "core/url_policy.hpp"
#include "core/retry_policy.hpp"

namespace axon {

// Resolves a host name to its addresses (Errc::unavailable when it does not resolve).
using HostResolver = std::function<Result<std::vector<IpAddress>>(const std::string& host)>;

// getaddrinfo(), both address families. Blocking.
Result<std::vector<IpAddress>> resolve_host(const std::string& host);

// "http://host:port" (a trailing "/" allowed) -> the same, validated; anything else is
// Errc::invalid_request with a message for the operator.
Result<std::string> check_egress_proxy_url(std::string_view url);

struct PinnedRoute {
  std::string connect_to;  // a CURLOPT_CONNECT_TO entry: "::<checked address>:<port>"
};

struct RouteRefusal {
  AttemptError error = AttemptError::blocked;  // blocked, or dns when the name has no address
  std::string message;
};

class DestinationPinner {
 public:
  // Answers are cached for `cache_ms` (names are resolved on the sender's thread).
  DestinationPinner(const Clock& clock, HostResolver resolver, bool allow_private,
                    Millis cache_ms = 30'000);

  // The checked address to ask the proxy for, or why the delivery may not go out.
  std::variant<PinnedRoute, RouteRefusal> route(std::string_view url);

 private:
  Result<std::vector<IpAddress>> addresses(const std::string& host);

  const Clock& clock_;
  HostResolver resolver_;
  bool allow_private_;
  Millis cache_ms_;
  struct Cached {
    Millis expires_at;
    std::vector<IpAddress> addresses;
  };
  std::unordered_map<std::string, Cached> cache_;
};

}  // namespace axon
