// Webhook signatures, exactly as docs/receiving.md describes them. Pure: no clock, no I/O.
//
//  X-Axon-Signature:  t=<unix seconds>,v1=<hex HMAC-SHA256(secret bytes, "<t>.<body>")>[,v1=…]
//                     (byte-for-byte the Stripe-Signature scheme; the key is the whole
//                     "whsec_…" string)
//  webhook-signature: v1,<base64 HMAC-SHA256(base64decode(secret after "whsec_"),
//                     "<id>.<t>.<body>")>[ v1,…]   (Standard Webhooks / Svix)
//
// During a secret rotation several secrets are valid: one entry per secret, newest first.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/random.hpp"

namespace axon {

inline constexpr std::string_view kSecretPrefix = "whsec_";

// A new endpoint secret: "whsec_" + base64 of 32 random bytes.
std::string generate_endpoint_secret(Random& random);

// True when `secret` is "whsec_" followed by base64 of at least 24 bytes.
bool is_valid_endpoint_secret(std::string_view secret);

std::string hmac_sha256(std::string_view key, std::string_view message);  // raw 32 bytes

// Value of X-Axon-Signature.
std::string axon_signature_header(std::span<const std::string> secrets, std::int64_t t,
                                  std::string_view body);

// Value of webhook-signature. Secrets whose base64 part does not decode are skipped.
std::string standard_signature_header(std::span<const std::string> secrets, std::string_view id,
                                      std::int64_t t, std::string_view body);

// Parsed X-Axon-Signature / Stripe-Signature header: t and every v1 value (hex, as sent).
struct ParsedAxonSignature {
  std::int64_t t = 0;
  std::vector<std::string> v1;
};
std::optional<ParsedAxonSignature> parse_axon_signature(std::string_view header);

}  // namespace axon
