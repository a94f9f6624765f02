#include "core/duration.hpp"
#include "core/text.hpp"

#include <limits>
#include <string>

namespace axon {
namespace {

}  // namespace

Result<Millis> parse_duration(std::string_view text) {
  const std::string_view s = trim(text);
  auto bad = [&](std::string_view why) {
    return fail(Errc::invalid_request,
                "invalid duration \"" + std::string(s.substr(0, 64)) + "\": " + std::string(why));
  };
  if (s.empty()) return bad("empty (expected e.g. 50ms, 5s, 5m, 2h)");
  std::size_t pos = 0;
  std::int64_t value = 0;
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
    int d = s[pos] - '0';
    if (value > (kMax - d) / 10) return bad("too large");
    value = value * 10 + d;
    ++pos;
  }
  if (pos == 0) return bad("expected a non-negative integer followed by ms, s, m, h or d");
  std::string_view unit = s.substr(pos);
  std::int64_t scale = 0;
  if (unit == "ms") {
    scale = 1;
  } else if (unit == "s") {
    scale = 1000;
  } else if (unit == "m") {
    scale = 60'000;
  } else if (unit == "h") {
    scale = 3'600'000;
  } else if (unit == "d") {
    scale = 86'400'000;
  } else if (unit.empty()) {
    return bad("missing unit (ms, s, m, h or d)");
  } else {
    return bad("unknown unit (use ms, s, m, h or d)");
  }
  if (value > kMax / scale) return bad("too large");
  return value * scale;
}

Result<std::vector<Millis>> parse_duration_list(std::string_view text) {
  if (trim(text).empty()) {
    return fail(Errc::invalid_request,
                "empty duration list (expected comma-separated durations, e.g. 5s,5m,30m)");
  }
  std::vector<Millis> out;
  while (true) {
    std::size_t comma = text.find(',');
    auto d = parse_duration(text.substr(0, comma));
    if (!d) return std::unexpected(d.error());
    out.push_back(*d);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

}  // namespace axon
