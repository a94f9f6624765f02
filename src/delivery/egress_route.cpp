#include "delivery/egress_route.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>

namespace axon {
namespace {

std::string address_text(const IpAddress& ip) {
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(ip.v6 ? AF_INET6 : AF_INET, ip.bytes, text, sizeof text);
  return ip.v6 ? "[" + std::string(text) + "]" : std::string(text);
}

}  // namespace

Result<std::vector<IpAddress>> resolve_host(const std::string& host) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const int rc = getaddrinfo(host.c_str(), nullptr, &hints, &found);
  if (rc != 0) {
    return fail(Errc::unavailable, "could not resolve " + host + ": " + gai_strerror(rc));
  }
  std::vector<IpAddress> out;
  for (addrinfo* a = found; a; a = a->ai_next) {
    IpAddress ip;
    if (a->ai_family == AF_INET) {
      std::memcpy(ip.bytes, &reinterpret_cast<sockaddr_in*>(a->ai_addr)->sin_addr, 4);
    } else if (a->ai_family == AF_INET6) {
      ip.v6 = true;
      std::memcpy(ip.bytes, &reinterpret_cast<sockaddr_in6*>(a->ai_addr)->sin6_addr, 16);
    } else {
      continue;
    }
    out.push_back(ip);
  }
  freeaddrinfo(found);
  if (out.empty()) return fail(Errc::unavailable, "no address for " + host);
  return out;
}

Result<std::string> check_egress_proxy_url(std::string_view url) {
  auto parsed = parse_endpoint_url(url);
  const bool shape_ok = parsed && parsed->scheme == "http" &&
                        (parsed->path_and_query.empty() || parsed->path_and_query == "/");
  if (!shape_ok) {
    return fail(Errc::invalid_request,
                "the egress proxy must be an HTTP proxy URL such as http://proxy.internal:3128");
  }
  return std::string(url);
}

DestinationPinner::DestinationPinner(const Clock& clock, HostResolver resolver,
                                     bool allow_private, Millis cache_ms)
    : clock_(clock), resolver_(std::move(resolver)), allow_private_(allow_private),
      cache_ms_(cache_ms) {}

Result<std::vector<IpAddress>> DestinationPinner::addresses(const std::string& host) {
  if (auto literal = parse_ip_literal(host)) return std::vector<IpAddress>{*literal};
  const Millis now = clock_.now_ms();
  if (auto hit = cache_.find(host); hit != cache_.end() && hit->second.expires_at > now) {
    return hit->second.addresses;
  }
  auto resolved = resolver_(host);
  if (!resolved) return resolved;
  if (cache_.size() > 10'000) cache_.clear();  // bound memory; a miss only costs a lookup
  cache_[host] = Cached{now + cache_ms_, *resolved};
  return resolved;
}

std::variant<PinnedRoute, RouteRefusal> DestinationPinner::route(std::string_view url) {
  auto parsed = parse_endpoint_url(url);
  if (!parsed) return RouteRefusal{AttemptError::blocked, "invalid URL: " + parsed.error().message};
  auto found = addresses(parsed->host);
  if (!found) return RouteRefusal{AttemptError::dns, found.error().message};
  // One address is pinned (the proxy gets no fallback list): an IPv4 one when the name has
  // one, as egress proxies often have no IPv6 route. Forbidden addresses are skipped, as the
  // open-socket hook skips them without a proxy.
  std::vector<IpAddress> candidates = *found;
  std::stable_partition(candidates.begin(), candidates.end(),
                        [](const IpAddress& ip) { return !ip.v6; });
  std::string first_reason;
  for (const IpAddress& ip : candidates) {
    if (!allow_private_) {
      if (auto reason = forbidden_address_reason(ip)) {
        if (first_reason.empty()) first_reason = std::move(*reason);
        continue;
      }
    }
    return PinnedRoute{"::" + address_text(ip) + ":" + std::to_string(parsed->port)};
  }
  return RouteRefusal{AttemptError::blocked,
                      "connection refused by the SSRF guard: " + first_reason};
}

}  // namespace axon
