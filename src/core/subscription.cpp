#include "core/subscription.hpp"

#include "core/envelope.hpp"

namespace axon {

bool is_valid_subscription_pattern(std::string_view pattern) {
  if (pattern == "*") return true;
  if (pattern.ends_with(".*")) pattern.remove_suffix(2);
  return is_valid_event_type(pattern);
}

bool pattern_matches(std::string_view pattern, std::string_view event_type) {
  if (pattern == "*") return true;
  if (pattern.ends_with(".*")) {
    std::string_view prefix = pattern.substr(0, pattern.size() - 1);  // keeps the dot
    return event_type.size() > prefix.size() && event_type.starts_with(prefix);
  }
  return pattern == event_type;
}

bool subscriptions_match(const std::optional<std::vector<std::string>>& patterns,
                         std::string_view event_type) {
  if (!patterns) return true;
  for (const auto& p : *patterns) {
    if (pattern_matches(p, event_type)) return true;
  }
  return false;
}

}  // namespace axon
