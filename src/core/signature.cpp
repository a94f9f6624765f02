#include "core/signature.hpp"

#include <openssl/evp.h>

#include <openssl/crypto.h>

#include <array>
#include <charconv>
#include <cstring>
#include <initializer_list>
#include <memory>

#include "core/encoding.hpp"
#include "core/text.hpp"

namespace axon {
namespace {

bool is_hex(std::string_view s) {
  for (char c : s) {
    bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    if (!ok) return false;
  }
  return !s.empty();
}

using Digest = std::array<unsigned char, 32>;

// HMAC-SHA256 (RFC 2104) of the concatenation of `parts`. SHA-256 is fetched once and the
// message is fed in pieces: OpenSSL 3's one-shot HMAC() looks the algorithm up on every
// call, and building "t.body" copied the body per scheme; both showed in a drain profile.
Digest hmac_sha256_parts(std::string_view key, std::initializer_list<std::string_view> parts) {
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  struct CtxFree {
    void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
  };
  thread_local std::unique_ptr<EVP_MD_CTX, CtxFree> ctx(EVP_MD_CTX_new());
  constexpr std::size_t kBlock = 64;
  unsigned char k[kBlock] = {};
  unsigned int n = 0;
  if (key.size() > kBlock) {
    EVP_Digest(key.data(), key.size(), k, &n, sha256, nullptr);
  } else if (!key.empty()) {
    std::memcpy(k, key.data(), key.size());
  }
  unsigned char pad[kBlock];
  Digest inner{}, out{};
  for (std::size_t i = 0; i < kBlock; ++i) pad[i] = static_cast<unsigned char>(k[i] ^ 0x36);
  EVP_DigestInit_ex(ctx.get(), sha256, nullptr);
  EVP_DigestUpdate(ctx.get(), pad, kBlock);
  for (auto part : parts) EVP_DigestUpdate(ctx.get(), part.data(), part.size());
  EVP_DigestFinal_ex(ctx.get(), inner.data(), &n);
  for (std::size_t i = 0; i < kBlock; ++i) pad[i] = static_cast<unsigned char>(k[i] ^ 0x5c);
  EVP_DigestInit_ex(ctx.get(), sha256, nullptr);
  EVP_DigestUpdate(ctx.get(), pad, kBlock);
  EVP_DigestUpdate(ctx.get(), inner.data(), inner.size());
  EVP_DigestFinal_ex(ctx.get(), out.data(), &n);
  OPENSSL_cleanse(k, sizeof k);
  OPENSSL_cleanse(pad, sizeof pad);
  return out;
}

std::string_view as_bytes(const Digest& d) {
  return {reinterpret_cast<const char*>(d.data()), d.size()};
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
  return std::string(as_bytes(hmac_sha256_parts(key, {message})));
}

std::string axon_signature_header(std::span<const std::string> secrets, std::int64_t t,
                                  std::string_view body) {
  const std::string t_text = std::to_string(t);
  std::string header = "t=" + t_text;
  for (const auto& secret : secrets) {
    header += ",v1=";
    header += hex_encode(as_bytes(hmac_sha256_parts(secret, {t_text, ".", body})));
  }
  return header;
}

std::string standard_signature_header(std::span<const std::string> secrets, std::string_view id,
                                      std::int64_t t, std::string_view body) {
  const std::string t_text = std::to_string(t);
  std::string header;
  for (const auto& secret : secrets) {
    std::string_view encoded = secret;
    if (encoded.starts_with(kSecretPrefix)) encoded.remove_prefix(kSecretPrefix.size());
    auto key = base64_decode(encoded);
    if (!key) continue;
    if (!header.empty()) header += ' ';
    header += "v1,";
    header += base64_encode(as_bytes(hmac_sha256_parts(*key, {id, ".", t_text, ".", body})));
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
