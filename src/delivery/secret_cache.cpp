#include "delivery/secret_cache.hpp"

namespace axon {

std::vector<std::string> SecretCache::open(const std::vector<std::string>& sealed) {
  std::vector<std::string> keys;
  keys.reserve(sealed.size());
  for (const auto& s : sealed) {
    if (auto cached = opened_.find(s); cached != opened_.end()) {
      keys.push_back(cached->second);
      continue;
    }
    auto opened = box_.open(s);
    if (!opened) continue;
    if (opened_.size() > kMaxEntries) opened_.clear();
    opened_.emplace(s, *opened);
    keys.push_back(std::move(*opened));
  }
  return keys;
}

}  // namespace axon
