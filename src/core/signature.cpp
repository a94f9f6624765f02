#include "core/signature.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <charconv>

#include "core/encoding.hpp"

namespace axon {
namespace {

bool is_hex(std::string_view s) {
  for (char c : s) {
    bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    if (!ok) return false;
  }
  return !s.empty();
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string signed_message(std::int64_t t, std::string_view body) {
  std::string msg = std::to_string(t);
  msg += '.';
  msg += body;
  return msg;
}

}  // namespace

std::string generate_endpoint_secret(Random& random) {
  return std::string(kSecretPrefix) + base64_encode(random.bytes(32));
}

bool is_valid_endpoint_secret(std::string_view secret) {
  if (!secret.starts_with(kSecretPrefix)) return false;
  auto key = base64_decode(secret.substr(kSecretPrefix.size()));
  return key && key->size() >= 24;
}

std::string hmac_sha256(std::string_view key, std::string_view message) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  // A zero-length key is legal for HMAC; pass a valid pointer anyway.
  static const unsigned char kEmpty = 0;
  const void* key_ptr = key.empty() ? static_cast<const void*>(&kEmpty) : key.data();
  HMAC(EVP_sha256(), key_ptr, static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), md, &len);
  return std::string(reinterpret_cast<const char*>(md), len);
}

std::string axon_signature_header(std::span<const std::string> secrets, std::int64_t t,
                                  std::string_view body) {
  const std::string msg = signed_message(t, body);
  std::string header = "t=" + std::to_string(t);
  for (const auto& secret : secrets) {
    header += ",v1=";
    header += hex_encode(hmac_sha256(secret, msg));
  }
  return header;
}

std::string standard_signature_header(std::span<const std::string> secrets, std::string_view id,
                                      std::int64_t t, std::string_view body) {
  std::string msg(id);
  msg += '.';
  msg += signed_message(t, body);
  std::string header;
  for (const auto& secret : secrets) {
    std::string_view encoded = secret;
    if (encoded.starts_with(kSecretPrefix)) encoded.remove_prefix(kSecretPrefix.size());
    auto key = base64_decode(encoded);
    if (!key) continue;
    if (!header.empty()) header += ' ';
    header += "v1,";
    header += base64_encode(hmac_sha256(*key, msg));
  }
  return header;
}

// Stripe's grammar: comma-separated key=value items; exactly one t (decimal seconds), one or
// more v1 (hex); other schemes (v0=…) are ignored, as Stripe's verifiers do.
std::optional<ParsedAxonSignature> parse_axon_signature(std::string_view header) {
  ParsedAxonSignature out;
  bool have_t = false;
  while (true) {
    std::size_t comma = header.find(',');
    std::string_view item = trim(header.substr(0, comma));
    std::size_t eq = item.find('=');
    if (eq == std::string_view::npos || eq == 0) return std::nullopt;
    std::string_view key = item.substr(0, eq);
    std::string_view value = item.substr(eq + 1);
    if (key == "t") {
      if (have_t || value.empty() || value.size() > 18) return std::nullopt;
      for (char c : value) {
        if (c < '0' || c > '9') return std::nullopt;
      }
      std::from_chars(value.data(), value.data() + value.size(), out.t);
      have_t = true;
    } else if (key == "v1") {
      if (!is_hex(value)) return std::nullopt;
      out.v1.emplace_back(value);
    }
    if (comma == std::string_view::npos) break;
    header.remove_prefix(comma + 1);
  }
  if (!have_t || out.v1.empty()) return std::nullopt;
  return out;
}

}  // namespace axon
