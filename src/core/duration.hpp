// Durations as operators type them: "50ms", "5s", "5m", "2h", "30d" (integer + unit), and lists
// "5s,5m,30m" for --retry-schedule.
#pragma once

#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/result.hpp"

namespace axon {

Result<Millis> parse_duration(std::string_view text);
Result<std::vector<Millis>> parse_duration_list(std::string_view text);

}  // namespace axon
