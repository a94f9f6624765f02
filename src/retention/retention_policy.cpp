#include "retention/retention_policy.hpp"

#include <algorithm>

namespace axon {

std::optional<Millis> RetentionPolicy::event_cutoff(Millis now) const {
  if (keeps_everything()) return std::nullopt;
  return now - window_ms_;
}

Millis RetentionPolicy::sweep_interval() const {
  // A sweep every 30 s, plus the sweep's own time, keeps "gone within a minute"; a window
  // under a minute is swept every 5 s for "within 10 s".
  if (!keeps_everything() && window_ms_ < 60'000) return 5'000;
  return 30'000;
}

Millis RetentionPolicy::pause_after(Millis step_ms) const {
  return std::clamp(step_ms, kMinPauseMs, kMaxPauseMs);
}

}  // namespace axon
