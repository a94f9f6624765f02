#include "core/json_limits.hpp"

#include <vector>

namespace axon {
namespace {

// Deepest bracket nesting of raw text, ignoring brackets inside strings. Stops early once
// past `limit`, so a 100k-deep document costs one linear scan and never reaches the parser.
int bracket_depth(std::string_view text, int limit) {
  int depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > deepest) deepest = depth;
      if (deepest > limit) return deepest;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return deepest;
}

std::string too_deep(int max_depth) {
  return "JSON is nested deeper than " + std::to_string(max_depth) + " levels";
}

}  // namespace

Result<nlohmann::json> parse_json_limited(std::string_view text, int max_depth) {
  if (bracket_depth(text, max_depth) > max_depth) {
    return fail(Errc::validation_failed, too_deep(max_depth));
  }
  nlohmann::json value;
  try {
    // Strict: no comments, no trailing content; the lexer rejects ill-formed UTF-8 and
    // unpaired surrogate escapes.
    value = nlohmann::json::parse(text.begin(), text.end(), nullptr, true, false);
  } catch (const nlohmann::json::exception& e) {
    return fail(Errc::invalid_json, std::string("invalid JSON: ") + e.what());
  }
  if (!json_depth_within(value, max_depth)) {
    return fail(Errc::validation_failed, too_deep(max_depth));
  }
  return value;
}

bool json_depth_within(const nlohmann::json& value, int max_depth) {
  // Iterative walk: containers add one level, scalars none.
  std::vector<std::pair<const nlohmann::json*, int>> stack{{&value, 0}};
  while (!stack.empty()) {
    auto [node, depth] = stack.back();
    stack.pop_back();
    if (!node->is_structured()) continue;
    if (depth + 1 > max_depth) return false;
    for (const auto& child : *node) stack.emplace_back(&child, depth + 1);
  }
  return true;
}

}  // namespace axon
