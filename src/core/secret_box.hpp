// Endpoint secrets at rest: AES-256-GCM under the master key. A sealed value is
// "v1:" + base64(12-byte nonce || ciphertext || 16-byte tag). Thread-safety: immutable
// after construction, safe to share.
#pragma once

#include <string>
#include <string_view>

#include "core/random.hpp"
#include "core/result.hpp"

namespace axon {

class SecretBox {
 public:
  // `key` must be exactly 32 bytes.
  static Result<SecretBox> create(std::string_view key);

  std::string seal(std::string_view plaintext, Random& random) const;
  Result<std::string> open(std::string_view sealed) const;

 private:
  explicit SecretBox(std::string key) : key_(std::move(key)) {}
  std::string key_;
};

}  // namespace axon
