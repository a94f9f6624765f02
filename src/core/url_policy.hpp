// Endpoint URL rules and the SSRF address policy (docs/api.md "Limits", docs/operations.md
// "Security model").
// Pure: parsing and address classification only. The dispatcher applies
// `is_forbidden_address` to the address actually connected (libcurl open-socket hook),
// so DNS rebinding and odd spellings cannot pass; the API applies `check_endpoint_url`
// at create/update time to refuse literal forbidden hosts early (422).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace axon {

struct ParsedUrl {
  std::string scheme;  // "http" | "https" (lower-cased)
  std::string host;    // as written, brackets removed for IPv6
  std::uint16_t port = 0;
  std::string path_and_query;
};

// http/https, a host, at most 2,048 characters, no whitespace or control characters.
Result<ParsedUrl> parse_endpoint_url(std::string_view url);

// An IP address in network byte order, 4 or 16 bytes.
struct IpAddress {
  bool v6 = false;
  std::uint8_t bytes[16] = {};
};

// Parses an address the way a resolver would accept a literal host: dotted quad, and the
// inet_aton forms ("2130706433", "0x7f.1", "017700000001"), and IPv6 (with or without
// brackets, IPv4-mapped / compatible forms). nullopt when `host` is a name, not an address.
std::optional<IpAddress> parse_ip_literal(std::string_view host);

// Loopback, RFC 1918, link-local (incl. 169.254.169.254), 100.64/10, 0/8, multicast,
// broadcast, documentation and benchmarking ranges, ::1, ::, fc00::/7, fe80::/10, and
// IPv4-mapped/compatible/NAT64/6to4 forms of the IPv4 ones. Returns the reason, or nullopt
// when the address is public.
std::optional<std::string> forbidden_address_reason(const IpAddress& addr);

// URL shape plus, unless `allow_private`, refusal of hosts that are literally a forbidden
// address or a local name ("localhost", "localhost.", "*.localhost").
// Errc::validation_failed for shape, Errc::url_not_allowed for the address policy.
Result<ParsedUrl> check_endpoint_url(std::string_view url, bool allow_private);

}  // namespace axon
