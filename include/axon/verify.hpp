// axon/verify.hpp: verify Axon Webhooks deliveries in C++. Header-only; needs C++17 and
// OpenSSL's libcrypto (find_package(AxonVerify) + target_link_libraries(app axon::verify)).
//
// A delivery carries two independent signatures over the same raw body (see docs/receiving.md
// in the Axon Webhooks repository):
//
//   X-Axon-Signature:   t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>[,v1=…]
//                       The Stripe-Signature scheme; the key is the whole "whsec_…" string.
//   webhook-id, webhook-timestamp,
//   webhook-signature:  v1,<base64 HMAC-SHA256(base64decode(secret after "whsec_"),
//                       "<id>.<t>.<body>")>[ v1,…]   The Standard Webhooks (Svix) scheme.
//
// verify() checks whichever schemes are present and succeeds if either verifies. When both
// fail, it reports the failure of the preferred scheme: Standard Webhooks when any webhook-*
// header is present (its signature also covers the event id), else X-Axon-Signature.
// Signatures are compared in constant time (CRYPTO_memcmp); every v1 entry is tried, so a
// delivery signed during a secret rotation verifies with either secret.
//
//   axon::verify::Headers headers{{"webhook-id", id}, {"webhook-timestamp", ts}, …};
//   auto result = axon::verify::verify(secret, headers, raw_body);  // tolerance 5 minutes
//   if (!result) return respond(400, result.message);
//
// Everything here is a pure function of its arguments (the overloads without `now` read the
// system clock) and safe to call from any thread.
//
// This header is the interface; the definitions, and the helpers they use (namespace detail:
// HMAC, hex, base64, the parsing of each scheme's headers), are in axon/detail/verify_impl.hpp,
// which it includes at the end.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace axon::verify {

// The signature scheme that verified (or whose failure is reported).
enum class Scheme {
  standard_webhooks,  // webhook-id / webhook-timestamp / webhook-signature
  axon_signature,     // X-Axon-Signature (Stripe scheme)
};

enum class Reason {
  none,                   // verified
  missing_header,         // no signature header at all, or a required companion is absent
  malformed_header,       // a header does not follow its grammar (e.g. t is not a number)
  timestamp_too_old,      // signed more than `tolerance` ago (possible replay)
  timestamp_too_new,      // signed more than `tolerance` in the future (clock skew)
  no_matching_signature,  // well-formed, but no v1 entry matches this secret and body
  bad_secret,             // the secret cannot be used (empty, or its base64 part is invalid)
};

inline const char* to_string(Scheme scheme) {
  return scheme == Scheme::standard_webhooks ? "standard_webhooks" : "axon_signature";
}

inline const char* to_string(Reason reason) {
  switch (reason) {
    case Reason::none:
      return "none";
    case Reason::missing_header:
      return "missing_header";
    case Reason::malformed_header:
      return "malformed_header";
    case Reason::timestamp_too_old:
      return "timestamp_too_old";
    case Reason::timestamp_too_new:
      return "timestamp_too_new";
    case Reason::no_matching_signature:
      return "no_matching_signature";
    case Reason::bad_secret:
      return "bad_secret";
  }
  return "unknown";
}

// The outcome of verify(). Converts to true when the delivery is authentic and fresh.
struct Result {
  bool ok = false;
  // On success: the scheme that verified. On failure: the scheme whose failure is reported
  // (for missing_header with no signature header at all: standard_webhooks).
  Scheme scheme = Scheme::standard_webhooks;
  std::int64_t timestamp = 0;  // the signed unix time in seconds (0 if it could not be read)
  // webhook-id for the Standard Webhooks scheme; X-Axon-Event-Id (when present) for the
  // X-Axon-Signature scheme, which does not sign it (the body's "id" is signed).
  std::string event_id;
  Reason reason = Reason::none;
  std::string
      message;  // one line for humans, e.g. "webhook-timestamp is 412 s old (tolerance 300 s)"

  explicit operator bool() const noexcept { return ok; }
};

inline constexpr std::chrono::seconds kDefaultTolerance{300};

// A small case-insensitive header list: build it from an initializer list, from any range of
// pairs of strings (std::map, std::vector<std::pair<…>>, …), or add() one by one. The first
// header of a given name wins.
class Headers {
 public:
  Headers() = default;
  Headers(std::initializer_list<std::pair<std::string_view, std::string_view>> items) {
    for (const auto& [name, value] : items) add(name, value);
  }
  template <class Range, class = decltype(std::begin(std::declval<const Range&>())),
            class = std::enable_if_t<!std::is_convertible_v<const Range&, std::string_view>>>
  explicit Headers(const Range& items) {
    for (const auto& item : items) add(std::get<0>(item), std::get<1>(item));
  }

  void add(std::string_view name, std::string_view value) {
    items_.emplace_back(std::string(name), std::string(value));
  }

  // The value of the first header called `name` (ASCII case-insensitive), if any.
  std::optional<std::string_view> get(std::string_view name) const {
    for (const auto& [key, value] : items_) {
      if (equals_ignore_case(key, name)) return std::string_view(value);
    }
    return std::nullopt;
  }

  const std::vector<std::pair<std::string, std::string>>& items() const { return items_; }

  static bool equals_ignore_case(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (lower(a[i]) != lower(b[i])) return false;
    }
    return true;
  }

 private:
  static char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

  std::vector<std::pair<std::string, std::string>> items_;
};


// Verifies one delivery. `headers` as received (names case-insensitive), `body` the raw bytes
// exactly as received (before any JSON parsing), `tolerance` how far the signed timestamp may
// be from `now` either way (zero or negative: no timestamp check), `now` the current time.
inline Result verify(std::string_view secret, const Headers& headers, std::string_view body,
                     std::chrono::seconds tolerance, std::chrono::system_clock::time_point now);

// The same with now = the system clock.
inline Result verify(std::string_view secret, const Headers& headers, std::string_view body,
                     std::chrono::seconds tolerance = kDefaultTolerance) {
  return verify(secret, headers, body, tolerance, std::chrono::system_clock::now());
}

// Any range of pairs of strings (std::map<std::string, std::string>, a vector of pairs, …).
template <class Range, class = decltype(std::begin(std::declval<const Range&>()))>
Result verify(std::string_view secret, const Range& headers, std::string_view body,
              std::chrono::seconds tolerance = kDefaultTolerance) {
  return verify(secret, Headers(headers), body, tolerance, std::chrono::system_clock::now());
}

template <class Range, class = decltype(std::begin(std::declval<const Range&>()))>
Result verify(std::string_view secret, const Range& headers, std::string_view body,
              std::chrono::seconds tolerance, std::chrono::system_clock::time_point now) {
  return verify(secret, Headers(headers), body, tolerance, now);
}

// --- signing, for tests and for senders that want to look like Axon Webhooks ---

// The X-Axon-Signature value: one v1= per secret, in order.
inline std::string sign_axon(const std::vector<std::string>& secrets, std::int64_t t,
                             std::string_view body);

// The webhook-signature value: one "v1,<base64>" per usable secret, space-separated.
inline std::string sign_standard(const std::vector<std::string>& secrets, std::string_view id,
                                 std::int64_t t, std::string_view body);

// Every signature header of a delivery of event `event_id` signed at `t` with `secret`:
// X-Axon-Event-Id, X-Axon-Signature, webhook-id, webhook-timestamp, webhook-signature.
inline Headers sign(std::string_view secret, std::string_view event_id, std::int64_t t,
                    std::string_view body);

}  // namespace axon::verify

#include "axon/detail/verify_impl.hpp"
