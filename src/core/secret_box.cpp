#include "core/secret_box.hpp"

#include <openssl/evp.h>

#include <memory>

#include "core/encoding.hpp"

namespace axon {
namespace {

constexpr std::string_view kVersion = "v1:";
constexpr int kNonceLen = 12;
constexpr int kTagLen = 16;

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

const unsigned char* u8(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}
unsigned char* u8(std::string& s) { return reinterpret_cast<unsigned char*>(s.data()); }

}  // namespace

Result<SecretBox> SecretBox::create(std::string_view key) {
  if (key.size() != 32) {
    return fail(Errc::internal, "secret box: the master key must be exactly 32 bytes, got " +
                                    std::to_string(key.size()));
  }
  return SecretBox(std::string(key));
}

std::string SecretBox::seal(std::string_view plaintext, Random& random) const {
  std::string out = random.bytes(kNonceLen);
  out.resize(kNonceLen + plaintext.size() + kTagLen);
  CipherCtx ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  int len = 0, final_len = 0;
  // Each step only fails on allocation failure or a programming error.
  bool ok =
      ctx && EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, u8(key_), u8(out)) == 1;
  ok = ok && EVP_EncryptUpdate(ctx.get(), u8(out) + kNonceLen, &len, u8(plaintext),
                               static_cast<int>(plaintext.size())) == 1;
  ok = ok && EVP_EncryptFinal_ex(ctx.get(), u8(out) + kNonceLen + len, &final_len) == 1;
  ok = ok && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagLen,
                                 u8(out) + kNonceLen + plaintext.size()) == 1;
  if (!ok) std::abort();
  return std::string(kVersion) + base64_encode(out);
}

Result<std::string> SecretBox::open(std::string_view sealed) const {
  if (!sealed.starts_with(kVersion)) {
    return fail(Errc::internal, "secret box: sealed value has an unknown format");
  }
  auto raw = base64_decode(sealed.substr(kVersion.size()));
  if (!raw || raw->size() < kNonceLen + kTagLen) {
    return fail(Errc::internal, "secret box: sealed value is malformed");
  }
  const std::string_view all = *raw;
  const std::string_view nonce = all.substr(0, kNonceLen);
  const std::string_view cipher = all.substr(kNonceLen, all.size() - kNonceLen - kTagLen);
  std::string tag(all.substr(all.size() - kTagLen));
  std::string plain(cipher.size(), '\0');
  CipherCtx ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  int len = 0, final_len = 0;
  bool ok =
      ctx && EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, u8(key_), u8(nonce)) == 1;
  ok = ok && EVP_DecryptUpdate(ctx.get(), u8(plain), &len, u8(cipher),
                               static_cast<int>(cipher.size())) == 1;
  ok = ok && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagLen, tag.data()) == 1;
  ok = ok && EVP_DecryptFinal_ex(ctx.get(), u8(plain) + len, &final_len) == 1;
  if (!ok) {
    return fail(Errc::internal,
                "secret box: authentication failed (wrong master key or tampered value)");
  }
  return plain;
}

}  // namespace axon
