// axon/detail/verify_impl.hpp: the definitions behind axon/verify.hpp (include that header,
// not this one): the HMAC, hex and base64 helpers, the parsing and checking of each scheme's
// headers, and the bodies of verify() and the sign functions. Pure functions, safe to call
// from any thread.
#pragma once

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "axon/verify.hpp"

namespace axon::verify {

namespace detail {

inline std::string hmac_sha256(std::string_view key, std::string_view message) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  static const unsigned char kEmpty = 0;  // HMAC wants a valid pointer even for an empty key
  const void* key_ptr = key.empty() ? static_cast<const void*>(&kEmpty) : key.data();
  if (!HMAC(EVP_sha256(), key_ptr, static_cast<int>(key.size()),
            reinterpret_cast<const unsigned char*>(message.data()), message.size(), md, &len)) {
    return {};
  }
  return std::string(reinterpret_cast<const char*>(md), len);
}

// Equal length and equal bytes; the time taken depends only on the lengths.
inline bool constant_time_equal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

inline std::string hex_encode(std::string_view bytes) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

inline std::string base64_encode(std::string_view bytes) {
  static const char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  auto at = [&](std::size_t k) { return std::uint32_t{static_cast<unsigned char>(bytes[k])}; };
  for (; i + 3 <= bytes.size(); i += 3) {
    std::uint32_t v = (at(i) << 16) | (at(i + 1) << 8) | at(i + 2);
    for (int shift = 18; shift >= 0; shift -= 6) out += kB64[(v >> shift) & 63];
  }
  if (std::size_t rest = bytes.size() - i; rest > 0) {
    std::uint32_t v = at(i) << 16;
    if (rest == 2) v |= at(i + 1) << 8;
    out += kB64[(v >> 18) & 63];
    out += kB64[(v >> 12) & 63];
    out += rest == 2 ? kB64[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

// Standard alphabet; padding optional; nullopt on any other character or a bad length.
inline std::optional<std::string> base64_decode(std::string_view text) {
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int v = -1;
    if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= 'a' && c <= 'z')
      v = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      v = c - '0' + 52;
    else if (c == '+')
      v = 62;
    else if (c == '/')
      v = 63;
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  return out;
}

inline std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Decimal unix seconds, at most 18 digits (no sign, no spaces).
inline std::optional<std::int64_t> parse_seconds(std::string_view text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  std::int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

// The Standard Webhooks key: base64 after an optional "whsec_" prefix.
inline std::optional<std::string> standard_key(std::string_view secret) {
  constexpr std::string_view kPrefix = "whsec_";
  if (secret.substr(0, kPrefix.size()) == kPrefix) secret.remove_prefix(kPrefix.size());
  if (secret.empty()) return std::nullopt;
  auto key = base64_decode(secret);
  if (!key || key->empty()) return std::nullopt;
  return key;
}

inline Result failure(Scheme scheme, Reason reason, std::string message, std::int64_t timestamp = 0,
                      std::string event_id = {}) {
  Result r;
  r.scheme = scheme;
  r.reason = reason;
  r.message = std::move(message);
  r.timestamp = timestamp;
  r.event_id = std::move(event_id);
  return r;
}

inline Result success(Scheme scheme, std::int64_t timestamp, std::string event_id) {
  Result r;
  r.ok = true;
  r.scheme = scheme;
  r.timestamp = timestamp;
  r.event_id = std::move(event_id);
  r.message = std::string("verified with ") +
              (scheme == Scheme::standard_webhooks ? "webhook-signature" : "X-Axon-Signature");
  return r;
}

// Checked after the signature: a stale but authentic delivery says so precisely.
inline std::optional<Result> check_age(Scheme scheme, std::string_view header, std::int64_t t,
                                       std::int64_t now, std::chrono::seconds tolerance,
                                       const std::string& event_id) {
  const std::int64_t limit = static_cast<std::int64_t>(tolerance.count());
  if (limit <= 0) return std::nullopt;  // a non-positive tolerance turns the check off
  const std::string tail = " (tolerance " + std::to_string(limit) + " s)";
  if (now - t > limit) {
    return failure(scheme, Reason::timestamp_too_old,
                   std::string(header) + " is " + std::to_string(now - t) + " s old" + tail, t,
                   event_id);
  }
  if (t - now > limit) {
    return failure(
        scheme, Reason::timestamp_too_new,
        std::string(header) + " is " + std::to_string(t - now) + " s in the future" + tail, t,
        event_id);
  }
  return std::nullopt;
}

inline Result verify_standard(std::string_view secret, const Headers& headers,
                              std::string_view body, std::chrono::seconds tolerance,
                              std::int64_t now) {
  constexpr Scheme kScheme = Scheme::standard_webhooks;
  auto id = headers.get("webhook-id");
  auto ts = headers.get("webhook-timestamp");
  auto sig = headers.get("webhook-signature");
  for (auto [value, name] : {std::pair{id, "webhook-id"}, std::pair{ts, "webhook-timestamp"},
                             std::pair{sig, "webhook-signature"}}) {
    if (!value) return failure(kScheme, Reason::missing_header, std::string(name) + " is missing");
  }
  const std::string event_id(trim(*id));
  if (event_id.empty()) return failure(kScheme, Reason::malformed_header, "webhook-id is empty");
  auto t = parse_seconds(trim(*ts));
  if (!t) {
    return failure(kScheme, Reason::malformed_header, "webhook-timestamp is not unix seconds", 0,
                   event_id);
  }
  auto key = standard_key(secret);
  if (!key) {
    return failure(kScheme, Reason::bad_secret, "the secret is not \"whsec_\" followed by base64",
                   *t, event_id);
  }
  std::vector<std::string_view> candidates;
  std::string_view rest = trim(*sig);
  if (rest.empty()) {
    return failure(kScheme, Reason::malformed_header, "webhook-signature is empty", *t, event_id);
  }
  while (!rest.empty()) {
    const std::size_t space = rest.find(' ');
    std::string_view entry = rest.substr(0, space);
    rest = space == std::string_view::npos ? std::string_view{} : trim(rest.substr(space + 1));
    const std::size_t comma = entry.find(',');
    if (comma == std::string_view::npos || comma == 0) {
      return failure(kScheme, Reason::malformed_header,
                     "webhook-signature entries must look like v1,<base64>", *t, event_id);
    }
    if (entry.substr(0, comma) == "v1") candidates.push_back(entry.substr(comma + 1));
  }
  std::string message = event_id + "." + std::to_string(*t) + ".";
  message.append(body.data(), body.size());
  const std::string expected = base64_encode(hmac_sha256(*key, message));
  bool matched = false;
  for (std::string_view candidate : candidates) {
    matched = constant_time_equal(candidate, expected) || matched;  // try all: no early exit
  }
  if (!matched) {
    return failure(kScheme, Reason::no_matching_signature,
                   candidates.empty()
                       ? "webhook-signature has no v1 entry"
                       : "no webhook-signature v1 entry matches this secret and body",
                   *t, event_id);
  }
  if (auto stale = check_age(kScheme, "webhook-timestamp", *t, now, tolerance, event_id)) {
    return *stale;
  }
  return success(kScheme, *t, event_id);
}

inline Result verify_axon(std::string_view secret, const Headers& headers, std::string_view body,
                          std::chrono::seconds tolerance, std::int64_t now) {
  constexpr Scheme kScheme = Scheme::axon_signature;
  auto header = headers.get("X-Axon-Signature");
  if (!header) return failure(kScheme, Reason::missing_header, "X-Axon-Signature is missing");
  std::string event_id(trim(headers.get("X-Axon-Event-Id").value_or("")));
  // Stripe's grammar: comma-separated key=value items; t once; v1 any number of times;
  // other keys (v0=…) are ignored, as Stripe's verifiers do.
  std::optional<std::int64_t> t;
  std::vector<std::string_view> candidates;
  std::string_view rest = *header;
  if (trim(rest).empty()) {
    return failure(kScheme, Reason::malformed_header, "X-Axon-Signature is empty", 0, event_id);
  }
  while (true) {
    const std::size_t comma = rest.find(',');
    std::string_view item = trim(rest.substr(0, comma));
    const std::size_t eq = item.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      return failure(kScheme, Reason::malformed_header,
                     "X-Axon-Signature items must look like key=value", 0, event_id);
    }
    std::string_view key = item.substr(0, eq), value = item.substr(eq + 1);
    if (key == "t") {
      if (t) {
        return failure(kScheme, Reason::malformed_header, "X-Axon-Signature has two t= items", 0,
                       event_id);
      }
      t = parse_seconds(value);
      if (!t) {
        return failure(kScheme, Reason::malformed_header, "X-Axon-Signature t= is not unix seconds",
                       0, event_id);
      }
    } else if (key == "v1") {
      candidates.push_back(value);
    }
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  if (!t) {
    return failure(kScheme, Reason::malformed_header, "X-Axon-Signature has no t= item", 0,
                   event_id);
  }
  if (secret.empty())
    return failure(kScheme, Reason::bad_secret, "the secret is empty", *t, event_id);
  std::string message = std::to_string(*t) + ".";
  message.append(body.data(), body.size());
  const std::string expected = hex_encode(hmac_sha256(secret, message));
  bool matched = false;
  for (std::string_view candidate : candidates) {
    // Hex compares case-insensitively; normalise without branching on secret data.
    std::string lowered(candidate);
    for (char& c : lowered) c = (c >= 'A' && c <= 'F') ? static_cast<char>(c + 32) : c;
    matched = constant_time_equal(lowered, expected) || matched;
  }
  if (!matched) {
    return failure(kScheme, Reason::no_matching_signature,
                   candidates.empty()
                       ? "X-Axon-Signature has no v1= entry"
                       : "no X-Axon-Signature v1= entry matches this secret and body",
                   *t, event_id);
  }
  if (auto stale = check_age(kScheme, "X-Axon-Signature t=", *t, now, tolerance, event_id)) {
    return *stale;
  }
  return success(kScheme, *t, event_id);
}

inline std::int64_t unix_seconds(std::chrono::system_clock::time_point when) {
  return static_cast<std::int64_t>(
      std::chrono::duration_cast<std::chrono::seconds>(when.time_since_epoch()).count());
}

}  // namespace detail

inline Result verify(std::string_view secret, const Headers& headers, std::string_view body,
                     std::chrono::seconds tolerance, std::chrono::system_clock::time_point now) {
  const std::int64_t now_s = detail::unix_seconds(now);
  const bool has_standard = headers.get("webhook-id") || headers.get("webhook-timestamp") ||
                            headers.get("webhook-signature");
  const bool has_axon = headers.get("X-Axon-Signature").has_value();
  if (!has_standard && !has_axon) {
    return detail::failure(Scheme::standard_webhooks, Reason::missing_header,
                           "neither webhook-signature nor X-Axon-Signature is present");
  }
  std::optional<Result> preferred;
  if (has_standard) {
    Result r = detail::verify_standard(secret, headers, body, tolerance, now_s);
    if (r) return r;
    preferred = std::move(r);
  }
  if (has_axon) {
    Result r = detail::verify_axon(secret, headers, body, tolerance, now_s);
    if (r || !preferred) return r;
  }
  return *preferred;
}

inline std::string sign_axon(const std::vector<std::string>& secrets, std::int64_t t,
                             std::string_view body) {
  std::string message = std::to_string(t) + ".";
  message.append(body.data(), body.size());
  std::string header = "t=" + std::to_string(t);
  for (const auto& secret : secrets) {
    header += ",v1=" + detail::hex_encode(detail::hmac_sha256(secret, message));
  }
  return header;
}

inline std::string sign_standard(const std::vector<std::string>& secrets, std::string_view id,
                                 std::int64_t t, std::string_view body) {
  std::string message = std::string(id) + "." + std::to_string(t) + ".";
  message.append(body.data(), body.size());
  std::string header;
  for (const auto& secret : secrets) {
    auto key = detail::standard_key(secret);
    if (!key) continue;
    if (!header.empty()) header += ' ';
    header += "v1," + detail::base64_encode(detail::hmac_sha256(*key, message));
  }
  return header;
}

inline Headers sign(std::string_view secret, std::string_view event_id, std::int64_t t,
                    std::string_view body) {
  const std::vector<std::string> secrets{std::string(secret)};
  Headers headers;
  headers.add("X-Axon-Event-Id", event_id);
  headers.add("X-Axon-Signature", sign_axon(secrets, t, body));
  headers.add("webhook-id", event_id);
  headers.add("webhook-timestamp", std::to_string(t));
  headers.add("webhook-signature", sign_standard(secrets, event_id, t, body));
  return headers;
}

}  // namespace axon::verify
