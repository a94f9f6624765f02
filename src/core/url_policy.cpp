#include "core/url_policy.hpp"
#include "core/text.hpp"

#include <arpa/inet.h>  // inet_pton only: pure text-to-bytes, no socket, no resolver

#include <cstring>

namespace axon {
namespace {

constexpr std::size_t kMaxUrlLength = 2048;

bool is_host_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_';
}

// One inet_aton part: decimal, 0-prefixed octal, or 0x-prefixed hex.
std::optional<std::uint64_t> parse_aton_part(std::string_view p) {
  if (p.empty()) return std::nullopt;
  unsigned base = 10;
  if (p.size() >= 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
    base = 16;
    p.remove_prefix(2);
    if (p.empty()) return std::nullopt;
  } else if (p.size() >= 2 && p[0] == '0') {
    base = 8;
    p.remove_prefix(1);
  }
  std::uint64_t v = 0;
  for (char c : p) {
    unsigned d;
    if (c >= '0' && c <= '9') {
      d = static_cast<unsigned>(c - '0');
    } else if (base == 16 && ascii_lower(c) >= 'a' && ascii_lower(c) <= 'f') {
      d = static_cast<unsigned>(ascii_lower(c) - 'a' + 10);
    } else {
      return std::nullopt;
    }
    if (d >= base) return std::nullopt;
    v = v * base + d;
    if (v > 0xFFFFFFFFull) return std::nullopt;
  }
  return v;
}

// IPv4 the way inet_aton reads it: 1 to 4 parts, the last filling the remaining bytes.
std::optional<IpAddress> parse_ipv4_aton(std::string_view host) {
  if (host.ends_with('.')) host.remove_suffix(1);  // "127.0.0.1." still means loopback
  std::uint64_t parts[4];
  std::size_t n = 0;
  while (true) {
    if (n == 4) return std::nullopt;
    std::size_t dot = host.find('.');
    auto v = parse_aton_part(host.substr(0, dot));
    if (!v) return std::nullopt;
    parts[n++] = *v;
    if (dot == std::string_view::npos) break;
    host.remove_prefix(dot + 1);
  }
  for (std::size_t i = 0; i + 1 < n; ++i) {
    if (parts[i] > 0xFF) return std::nullopt;
  }
  const unsigned last_bits = static_cast<unsigned>(8 * (5 - n));  // 32, 24, 16, 8
  if (last_bits < 32 && parts[n - 1] >= (1ull << last_bits)) return std::nullopt;
  std::uint32_t value = 0;
  for (std::size_t i = 0; i + 1 < n; ++i)
    value |= static_cast<std::uint32_t>(parts[i] << (24 - 8 * i));
  value |= static_cast<std::uint32_t>(parts[n - 1]);
  IpAddress a;
  for (int i = 0; i < 4; ++i) a.bytes[i] = static_cast<std::uint8_t>(value >> (24 - 8 * i));
  return a;
}

struct V4Range {
  std::uint32_t net;
  int bits;
  const char* reason;
};

constexpr V4Range kForbiddenV4[] = {
    {0x00000000, 8, "\"this network\" address (0.0.0.0/8)"},
    {0x0A000000, 8, "private address (10.0.0.0/8)"},
    {0x64400000, 10, "shared address space (100.64.0.0/10)"},
    {0x7F000000, 8, "loopback address (127.0.0.0/8)"},
    {0xA9FE0000, 16, "link-local address (169.254.0.0/16)"},
    {0xAC100000, 12, "private address (172.16.0.0/12)"},
    {0xC0000000, 24, "IETF protocol assignment (192.0.0.0/24)"},
    {0xC0000200, 24, "documentation address (192.0.2.0/24)"},
    {0xC0586300, 24, "6to4 relay anycast address (192.88.99.0/24)"},
    {0xC0A80000, 16, "private address (192.168.0.0/16)"},
    {0xC6120000, 15, "benchmarking address (198.18.0.0/15)"},
    {0xC6336400, 24, "documentation address (198.51.100.0/24)"},
    {0xCB007100, 24, "documentation address (203.0.113.0/24)"},
    {0xE0000000, 4, "multicast address (224.0.0.0/4)"},
    {0xFFFFFFFF, 32, "broadcast address (255.255.255.255)"},
    {0xF0000000, 4, "reserved address (240.0.0.0/4)"},
};

std::optional<std::string> forbidden_v4(const std::uint8_t* b) {
  const std::uint32_t v = (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) |
                          (std::uint32_t{b[2]} << 8) | std::uint32_t{b[3]};
  for (const auto& r : kForbiddenV4) {
    const std::uint32_t mask = r.bits == 0 ? 0 : ~std::uint32_t{0} << (32 - r.bits);
    if ((v & mask) == r.net) return std::string(r.reason);
  }
  return std::nullopt;
}

bool all_zero(const std::uint8_t* b, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    if (b[i] != 0) return false;
  }
  return true;
}

std::optional<std::string> embedded(const char* what, const std::uint8_t* v4) {
  if (auto r = forbidden_v4(v4)) return std::string(what) + " form of a " + *r;
  return std::nullopt;
}

std::optional<std::string> forbidden_v6(const std::uint8_t* b) {
  if (all_zero(b, 16)) return "unspecified address (::)";
  if (all_zero(b, 15) && b[15] == 1) return "loopback address (::1)";
  if (all_zero(b, 10) && b[10] == 0xFF && b[11] == 0xFF) return embedded("IPv4-mapped", b + 12);
  if (all_zero(b, 12)) return "deprecated IPv4-compatible address (::/96)";
  static constexpr std::uint8_t kNat64[12] = {0x00, 0x64, 0xFF, 0x9B};
  if (std::memcmp(b, kNat64, 12) == 0) return embedded("NAT64", b + 12);
  if ((b[0] & 0xFE) == 0xFC) return "unique local address (fc00::/7)";
  if (b[0] == 0xFE && (b[1] & 0xC0) == 0x80) return "link-local address (fe80::/10)";
  if (b[0] == 0xFF) return "multicast address (ff00::/8)";
  if ((b[0] & 0xE0) != 0x20) return "reserved address (outside global unicast 2000::/3)";
  if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0D && b[3] == 0xB8) {
    return "documentation address (2001:db8::/32)";
  }
  if (b[0] == 0x20 && b[1] == 0x01 && b[2] <= 0x01) {
    return "IETF protocol assignment (2001::/23, incl. Teredo)";
  }
  if (b[0] == 0x20 && b[1] == 0x02) return embedded("6to4", b + 2);
  if (b[0] == 0x3F && b[1] == 0xFF && (b[2] & 0xF0) == 0) {
    return "documentation address (3fff::/20)";
  }
  return std::nullopt;
}

bool is_local_name(std::string_view host) {
  const std::string h = ascii_lower(host);
  std::string_view v = h;
  if (v.ends_with('.')) v.remove_suffix(1);
  return v == "localhost" || v.ends_with(".localhost");
}

}  // namespace

Result<ParsedUrl> parse_endpoint_url(std::string_view url) {
  auto bad = [](std::string why) { return fail(Errc::validation_failed, "url " + why); };
  if (url.empty()) return bad("is empty");
  if (url.size() > kMaxUrlLength) return bad("is longer than 2048 characters");
  for (char ch : url) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c == 0x7F) return bad("contains whitespace or control characters");
    if (c >= 0x80) return bad("must be ASCII (percent-encode the path, punycode the host)");
  }
  const std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return bad("must start with http:// or https://");
  ParsedUrl out;
  out.scheme = ascii_lower(url.substr(0, scheme_end));
  if (out.scheme != "http" && out.scheme != "https") return bad("scheme must be http or https");

  std::string_view rest = url.substr(scheme_end + 3);
  const std::size_t auth_end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, auth_end);
  std::string_view tail = auth_end == std::string_view::npos ? "" : rest.substr(auth_end);
  if (authority.find('@') != std::string_view::npos) {
    return bad("must not contain credentials (user:password@)");
  }
  if (authority.find('\\') != std::string_view::npos) return bad("host contains a backslash");

  std::string_view host, port_text;
  bool has_port = false;
  if (authority.starts_with('[')) {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return bad("has an unterminated IPv6 address");
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return bad("has junk after the IPv6 address");
      has_port = true;
      port_text = after.substr(1);
    }
    if (host.find('%') != std::string_view::npos) return bad("must not use an IPv6 zone id");
    auto ip = parse_ip_literal(host);
    if (!ip || !ip->v6) return bad("has an invalid IPv6 address");
  } else {
    const std::size_t colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      has_port = true;
      port_text = authority.substr(colon + 1);
      if (port_text.find(':') != std::string_view::npos) {
        return bad("has too many colons (IPv6 addresses go in brackets)");
      }
    }
    if (host.empty()) return bad("must have a host");
    if (host.size() > 253) return bad("host is too long");
    for (char c : host) {
      if (!is_host_char(c)) return bad("host contains an invalid character");
    }
    std::string_view labels = host.ends_with('.') ? host.substr(0, host.size() - 1) : host;
    if (labels.empty() || labels.starts_with('.') || labels.find("..") != std::string_view::npos) {
      return bad("host has an empty label");
    }
  }
  if (host.empty()) return bad("must have a host");
  out.host = std::string(host);

  if (has_port) {
    if (port_text.empty() || port_text.size() > 5) return bad("port must be 1..65535");
    unsigned port = 0;
    for (char c : port_text) {
      if (c < '0' || c > '9') return bad("port must be 1..65535");
      port = port * 10 + static_cast<unsigned>(c - '0');
    }
    if (port < 1 || port > 65535) return bad("port must be 1..65535");
    out.port = static_cast<std::uint16_t>(port);
  } else {
    out.port = out.scheme == "https" ? 443 : 80;
  }

  tail = tail.substr(0, tail.find('#'));  // fragments are never sent
  out.path_and_query =
      (tail.empty() || tail[0] != '/') ? "/" + std::string(tail) : std::string(tail);
  return out;
}

std::optional<IpAddress> parse_ip_literal(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty() || host.size() > 64) return std::nullopt;
  if (host.find(':') != std::string_view::npos) {
    // A zone id ("fe80::1%eth0") does not change which address this is; classify without it.
    host = host.substr(0, host.find('%'));
    IpAddress a;
    a.v6 = true;
    const std::string text(host);
    if (inet_pton(AF_INET6, text.c_str(), a.bytes) != 1) return std::nullopt;
    return a;
  }
  return parse_ipv4_aton(host);
}

std::optional<std::string> forbidden_address_reason(const IpAddress& addr) {
  return addr.v6 ? forbidden_v6(addr.bytes) : forbidden_v4(addr.bytes);
}

Result<ParsedUrl> check_endpoint_url(std::string_view url, bool allow_private) {
  auto parsed = parse_endpoint_url(url);
  if (!parsed || allow_private) return parsed;
  const std::string suffix = "; private and local targets are refused (--allow-private-targets)";
  if (is_local_name(parsed->host)) {
    return fail(Errc::url_not_allowed,
                "url host \"" + parsed->host + "\" is a local name" + suffix);
  }
  if (auto ip = parse_ip_literal(parsed->host)) {
    if (auto reason = forbidden_address_reason(*ip)) {
      return fail(Errc::url_not_allowed,
                  "url host \"" + parsed->host + "\" is a " + *reason + suffix);
    }
  }
  return parsed;
}

}  // namespace axon
