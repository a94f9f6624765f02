#include "core/retry_policy.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/civil_time.hpp"
#include "core/text.hpp"

namespace axon {
namespace {

constexpr Millis kMaxRetryAfterMs = 10LL * 365 * 86'400'000;  // saturate absurd values

// A tiny cursor over an HTTP-date (RFC 9110 §5.6.7); no locale, no strptime.
struct Cursor {
  std::string_view s;
  std::size_t pos = 0;

  bool lit(char c) {
    if (pos >= s.size() || s[pos] != c) return false;
    ++pos;
    return true;
  }
  bool lit(std::string_view text) {
    if (s.substr(pos, text.size()) != text) return false;
    pos += text.size();
    return true;
  }
  std::string_view letters() {
    std::size_t start = pos;
    while (pos < s.size() &&
           ((s[pos] >= 'a' && s[pos] <= 'z') || (s[pos] >= 'A' && s[pos] <= 'Z'))) {
      ++pos;
    }
    return s.substr(start, pos - start);
  }
  bool digits(std::size_t n, int& out) {
    if (pos + n > s.size()) return false;
    out = 0;
    for (std::size_t i = 0; i < n; ++i) {
      char c = s[pos + i];
      if (c < '0' || c > '9') return false;
      out = out * 10 + (c - '0');
    }
    pos += n;
    return true;
  }
  bool time_of_day(int& h, int& m, int& sec) {
    return digits(2, h) && lit(':') && digits(2, m) && lit(':') && digits(2, sec);
  }
  bool done() const { return pos == s.size(); }
};

constexpr std::string_view kShortDays[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
constexpr std::string_view kLongDays[] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                          "Friday", "Saturday", "Sunday"};
constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

template <std::size_t N>
bool one_of(std::string_view word, const std::string_view (&names)[N]) {
  return std::any_of(std::begin(names), std::end(names),
                     [&](std::string_view n) { return iequals(word, n); });
}

int month_number(std::string_view word) {
  for (int i = 0; i < 12; ++i) {
    if (iequals(word, kMonths[i])) return i + 1;
  }
  return 0;
}

// Epoch milliseconds of an HTTP-date in any of its three forms.
std::optional<Millis> parse_http_date(std::string_view s, Millis now) {
  Cursor c{s};
  std::string_view day_name = c.letters();
  int day = 0, month = 0, year = 0, h = 0, m = 0, sec = 0;
  if (c.lit(',')) {
    if (one_of(day_name, kShortDays)) {  // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
      if (!c.lit(' ') || !c.digits(2, day) || !c.lit(' ')) return std::nullopt;
      month = month_number(c.letters());
      if (!c.lit(' ') || !c.digits(4, year) || !c.lit(' ') || !c.time_of_day(h, m, sec) ||
          !c.lit(" GMT") || !c.done()) {
        return std::nullopt;
      }
    } else if (one_of(day_name, kLongDays)) {  // RFC 850: Sunday, 06-Nov-94 08:49:37 GMT
      int yy = 0;
      if (!c.lit(' ') || !c.digits(2, day) || !c.lit('-')) return std::nullopt;
      month = month_number(c.letters());
      if (!c.lit('-') || !c.digits(2, yy) || !c.lit(' ') || !c.time_of_day(h, m, sec) ||
          !c.lit(" GMT") || !c.done()) {
        return std::nullopt;
      }
      // A two-digit year more than 50 years ahead means the most recent past such year.
      std::int64_t now_days = (now >= 0 ? now : 0) / 86'400'000;
      auto now_year = static_cast<int>(civil::civil_from_days(now_days).y);
      year = now_year / 100 * 100 + yy;
      if (year > now_year + 50) year -= 100;
    } else {
      return std::nullopt;
    }
  } else if (one_of(day_name, kShortDays) && c.lit(' ')) {  // asctime: Sun Nov  6 08:49:37 1994
    month = month_number(c.letters());
    if (!c.lit(' ')) return std::nullopt;
    if (c.lit(' ')) {
      if (!c.digits(1, day)) return std::nullopt;
    } else if (!c.digits(2, day)) {
      return std::nullopt;
    }
    if (!c.lit(' ') || !c.time_of_day(h, m, sec) || !c.lit(' ') || !c.digits(4, year) ||
        !c.done()) {
      return std::nullopt;
    }
  } else {
    return std::nullopt;
  }
  if (month == 0 || day < 1 ||
      static_cast<unsigned>(day) > civil::days_in_month(year, static_cast<unsigned>(month)) ||
      h > 23 || m > 59 || sec > 60) {
    return std::nullopt;
  }
  std::int64_t days =
      civil::days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  return (days * 86400 + h * 3600 + m * 60 + sec) * 1000;
}

}  // namespace

std::string_view attempt_error_name(AttemptError e) {
  switch (e) {
    case AttemptError::none:
      return "";
    case AttemptError::timeout:
      return "timeout";
    case AttemptError::dns:
      return "dns";
    case AttemptError::connect:
      return "connect";
    case AttemptError::tls:
      return "tls";
    case AttemptError::http:
      return "http";
    case AttemptError::blocked:
      return "blocked";
    case AttemptError::other:
      return "other";
  }
  return "other";
}

RetryPolicy::RetryPolicy()
    : RetryPolicy({5'000, 300'000, 1'800'000, 7'200'000, 18'000'000, 36'000'000, 36'000'000}) {}

RetryPolicy::RetryPolicy(std::vector<Millis> schedule) : schedule_(std::move(schedule)) {}

Millis RetryPolicy::largest_delay() const {
  return schedule_.empty() ? 0 : *std::max_element(schedule_.begin(), schedule_.end());
}

Decision RetryPolicy::decide(const AttemptResult& result, int attempts_in_series, Millis now,
                             Random& random) const {
  Decision d;
  if (result.status_code >= 200 && result.status_code <= 299) {
    d.verdict = Verdict::succeeded;
    return d;
  }
  if (result.status_code == 410) {
    d.verdict = Verdict::dead;
    d.disable_endpoint = true;
    d.reason = "endpoint answered 410 Gone";
    return d;
  }
  // Everything else, 3xx included (redirects are never followed), is a retryable failure.
  const int n = std::max(attempts_in_series, 1);
  if (static_cast<std::size_t>(n) > schedule_.size()) {
    d.verdict = Verdict::dead;
    d.reason = "attempts exhausted (" + std::to_string(n) + ")";
    return d;
  }
  const Millis delay = schedule_[static_cast<std::size_t>(n - 1)];
  const double factor = 1.0 - kJitter + 2.0 * kJitter * random.next_unit();
  Millis wait = static_cast<Millis>(std::llround(static_cast<double>(delay) * factor));
  if ((result.status_code == 429 || result.status_code == 503) && result.retry_after) {
    if (auto ra = parse_retry_after(*result.retry_after, now)) {
      // Retry-After may lengthen the wait, never beyond the largest schedule entry, and
      // never shortens it below the jittered delay.
      wait = std::max(wait, std::min(*ra, largest_delay()));
    }
  }
  d.verdict = Verdict::retry;
  d.next_attempt_at = now + wait;
  return d;
}

std::optional<Millis> parse_retry_after(std::string_view value, Millis now) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  if (value[0] >= '0' && value[0] <= '9') {  // delta-seconds
    Millis secs = 0;
    for (char c : value) {
      if (c < '0' || c > '9') return std::nullopt;
      secs = std::min<Millis>(secs * 10 + (c - '0'), kMaxRetryAfterMs / 1000);
    }
    return secs * 1000;
  }
  auto at = parse_http_date(value, now);
  if (!at) return std::nullopt;
  return std::clamp<Millis>(*at - now, 0, kMaxRetryAfterMs);
}

}  // namespace axon
