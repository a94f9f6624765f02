// SecretCache: endpoint signing secrets and client keys, opened once with the master key.
//
// Claimed jobs carry their secrets sealed (core/secret_box.hpp); opening one costs an AEAD
// decryption, and the same few secrets come back with every job of an endpoint, so opened
// secrets are kept by their sealed form. The cache is cleared when it grows past kMaxEntries
// (rotation leaves old sealed forms behind; clearing is simpler than LRU and rare).
// A sealed secret this node's master key cannot open is left out of the answer and not cached.
//
// Thread-safety: none; owned by the dispatcher thread.
#pragma once

#include <cstddef>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/secret_box.hpp"

namespace axon {

class SecretCache {
 public:
  static constexpr std::size_t kMaxEntries = 10'000;

  explicit SecretCache(const SecretBox& box) : box_(box) {}

  // The opened form of each sealed secret that opens, in order.
  std::vector<std::string> open(const std::vector<std::string>& sealed);

  std::size_t size() const { return opened_.size(); }

 private:
  const SecretBox& box_;
  std::unordered_map<std::string, std::string> opened_;  // sealed -> opened
};

}  // namespace axon
