// CredentialRateLimiter: the API's request rate limit per credential. One token bucket per
// credential, keyed by the SHA-256 of the bearer token (the token itself is never kept), on
// steady time (Clock::steady_ms(), passed in): `rate` requests per second with bursts of up
// to `burst`. Requests without a credential are not counted here (they are answered 401
// cheaply, before any store work). The map is bounded: when it grows past `max_credentials`,
// buckets that are full again (idle callers) are dropped; if that is not enough, all of them
// are (a reset only ever helps callers).
// Thread-safety: all methods may be called concurrently (one mutex; the work under it is tiny).
#pragma once

#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/clock.hpp"

namespace axon::api {

class CredentialRateLimiter {
 public:
  // rate <= 0 turns the limit off.
  CredentialRateLimiter(double rate, double burst, std::size_t max_credentials = 100'000);

  bool enabled() const { return rate_ > 0; }

  // Takes one token for `credential_hash`. nullopt when admitted, else the whole seconds
  // (>= 1) after which a retry will be admitted (for Retry-After).
  std::optional<int> admit(std::string_view credential_hash, Millis steady_now);

 private:
  struct Bucket {
    double tokens;
    Millis refilled;
  };
  void refill(Bucket& bucket, Millis now) const;
  void prune(Millis now);

  const double rate_;
  const double burst_;
  const std::size_t max_credentials_;
  std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace axon::api
