#include "api/rate_limiter.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>

namespace axon::api {

CredentialRateLimiter::CredentialRateLimiter(double rate, double burst,
                                             std::size_t max_credentials)
    : rate_(rate), burst_(std::max(1.0, burst)), max_credentials_(max_credentials) {}

void CredentialRateLimiter::refill(Bucket& bucket, Millis now) const {
  if (now <= bucket.refilled) return;
  const double elapsed = static_cast<double>(now - bucket.refilled) / 1000.0;
  bucket.tokens = std::min(burst_, bucket.tokens + elapsed * rate_);
  bucket.refilled = now;
}

void CredentialRateLimiter::prune(Millis now) {
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    refill(it->second, now);
    it = it->second.tokens >= burst_ ? buckets_.erase(it) : std::next(it);
  }
  if (buckets_.size() >= max_credentials_) buckets_.clear();
}

std::optional<int> CredentialRateLimiter::admit(std::string_view credential_hash,
                                                Millis now) {
  if (!enabled()) return std::nullopt;
  std::lock_guard lock(mu_);
  auto it = buckets_.find(std::string(credential_hash));
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_credentials_) prune(now);
    it = buckets_.emplace(std::string(credential_hash), Bucket{burst_, now}).first;
  }
  Bucket& bucket = it->second;
  refill(bucket, now);
  if (bucket.tokens >= 1.0) {
    bucket.tokens -= 1.0;
    return std::nullopt;
  }
  const double wait = (1.0 - bucket.tokens) / rate_;
  return std::max(1, static_cast<int>(std::ceil(wait)));
}

}  // namespace axon::api
