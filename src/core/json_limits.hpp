// Accepting JSON from clients: parse strictly (UTF-8 validated, no trailing garbage) with a
// nesting limit, and minify. Uses nlohmann::json.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/result.hpp"

namespace axon {

inline constexpr int kMaxJsonDepth = 64;

// Errc::invalid_json when not JSON / not UTF-8; Errc::validation_failed when nested deeper
// than max_depth.
Result<nlohmann::json> parse_json_limited(std::string_view text, int max_depth = kMaxJsonDepth);

// True when `value` nests no deeper than max_depth (a scalar has depth 0... an object 1).
bool json_depth_within(const nlohmann::json& value, int max_depth);

}  // namespace axon
