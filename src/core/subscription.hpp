// Which events an endpoint receives. A subscription pattern is an exact event type
// ("order.updated"), a trailing wildcard ("order.*" matches "order.updated" and
// "order.item.added" but not "order"), or "*" (everything). An endpoint without
// subscriptions (nullopt) receives every event type.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace axon {

bool is_valid_subscription_pattern(std::string_view pattern);
bool pattern_matches(std::string_view pattern, std::string_view event_type);
bool subscriptions_match(const std::optional<std::vector<std::string>>& patterns,
                         std::string_view event_type);

}  // namespace axon
