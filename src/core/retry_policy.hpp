// What happens after one delivery attempt (docs/receiving.md, "Retries").
// A pure value: no clock, no network; time and randomness are arguments.
//
//   2xx                       -> succeeded
//   410 Gone                  -> dead, and the endpoint is disabled
//   anything else             -> retry after schedule[k] ±20 % jitter, where k is the
//                                number of attempts already made in this series minus 1;
//                                429/503 with Retry-After wait max(jittered, Retry-After),
//                                capped at the largest schedule entry
//   no schedule entry left    -> dead (a dead letter)
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/random.hpp"
#include "core/result.hpp"

namespace axon {

// Why an attempt did not succeed; stored with the attempt as its error class.
enum class AttemptError { none, timeout, dns, connect, tls, http, blocked, other };
std::string_view attempt_error_name(AttemptError e);  // "timeout", "dns", … ("" for none)

// What the sender observed for one attempt.
struct AttemptResult {
  int status_code = 0;                      // 0 when no HTTP response arrived
  AttemptError error = AttemptError::none;  // none only for a 2xx
  std::optional<std::string> retry_after;   // raw Retry-After header value, if any
};

enum class Verdict { succeeded, retry, dead };

struct Decision {
  Verdict verdict = Verdict::dead;
  Millis next_attempt_at = 0;  // only for retry
  bool disable_endpoint = false;
  std::string reason;  // human text for dead / disable
};

class RetryPolicy {
 public:
  static constexpr double kJitter = 0.20;

  // The default schedule (`serve --retry-schedule`): 5s,5m,30m,2h,5h,10h,10h.
  RetryPolicy();
  explicit RetryPolicy(std::vector<Millis> schedule);

  // attempts_in_series: attempts made in the current series including this one (1-based).
  Decision decide(const AttemptResult& result, int attempts_in_series, Millis now,
                  Random& random) const;

  // Total attempts in one series: schedule entries + 1.
  int max_attempts() const { return static_cast<int>(schedule_.size()) + 1; }
  const std::vector<Millis>& schedule() const { return schedule_; }
  Millis largest_delay() const;

 private:
  std::vector<Millis> schedule_;
};

// Retry-After as delta-seconds or an HTTP-date (IMF-fixdate, RFC 850, asctime), relative to
// `now`. nullopt when it does not parse. Negative results clamp to 0.
std::optional<Millis> parse_retry_after(std::string_view value, Millis now);

}  // namespace axon
