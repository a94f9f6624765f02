#include "core/envelope.hpp"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "core/civil_time.hpp"

namespace axon {
namespace {

using civil::civil_from_days;
using civil::days_from_civil;
using civil::days_in_month;

// JSON string literal for `s`; invalid UTF-8 is replaced rather than thrown on (callers
// validate ids and types beforehand, so this is a last line of defence).
std::string json_string(std::string_view s) {
  return nlohmann::json(std::string(s))
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Reads exactly `n` digits at `pos`.
bool digits(std::string_view s, std::size_t& pos, std::size_t n, int& out) {
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

bool expect(std::string_view s, std::size_t& pos, char c) {
  if (pos >= s.size() || s[pos] != c) return false;
  ++pos;
  return true;
}

bool is_word_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

}  // namespace

std::string build_envelope(std::string_view event_id, std::string_view type,
                           std::string_view tenant_id, Millis created_at_ms,
                           std::string_view data_json) {
  std::string out;
  out.reserve(96 + event_id.size() + type.size() + tenant_id.size() + data_json.size());
  out += "{\"id\":";
  out += json_string(event_id);
  out += ",\"type\":";
  out += json_string(type);
  out += ",\"tenant_id\":";
  out += json_string(tenant_id);
  out += ",\"created_at\":";
  out += json_string(format_rfc3339_ms(created_at_ms));
  out += ",\"data\":";
  out += data_json;
  out += '}';
  return out;
}

std::string format_rfc3339_ms(Millis epoch_ms) {
  std::int64_t days = epoch_ms >= 0 ? epoch_ms / 86'400'000 : -((-epoch_ms - 1) / 86'400'000) - 1;
  std::int64_t ms_of_day = epoch_ms - days * 86'400'000;
  civil::Date c = civil_from_days(days);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02d:%02d:%02d.%03dZ",
                static_cast<long long>(c.y), c.m, c.d, static_cast<int>(ms_of_day / 3'600'000),
                static_cast<int>(ms_of_day / 60'000 % 60), static_cast<int>(ms_of_day / 1000 % 60),
                static_cast<int>(ms_of_day % 1000));
  return buf;
}

Result<Millis> parse_rfc3339(std::string_view s) {
  auto bad = [&] {
    return fail(Errc::invalid_request, "invalid timestamp \"" + std::string(s.substr(0, 64)) +
                                           "\": expected RFC 3339 like 2026-11-29T01:02:03.456Z");
  };
  std::size_t pos = 0;
  int year, month, day, hour, minute, second;
  if (!digits(s, pos, 4, year) || !expect(s, pos, '-') || !digits(s, pos, 2, month) ||
      !expect(s, pos, '-') || !digits(s, pos, 2, day)) {
    return bad();
  }
  if (pos >= s.size() || (s[pos] != 'T' && s[pos] != 't')) return bad();
  ++pos;
  if (!digits(s, pos, 2, hour) || !expect(s, pos, ':') || !digits(s, pos, 2, minute) ||
      !expect(s, pos, ':') || !digits(s, pos, 2, second)) {
    return bad();
  }
  if (month < 1 || month > 12 || day < 1 ||
      static_cast<unsigned>(day) > days_in_month(year, static_cast<unsigned>(month)) || hour > 23 ||
      minute > 59 || second > 59) {
    return bad();
  }
  int millis = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    std::size_t start = pos;
    int scale = 100;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      millis += (s[pos] - '0') * scale;  // digits past milliseconds are truncated
      scale /= 10;
      ++pos;
    }
    if (pos == start || pos - start > 9) return bad();
  }
  int offset_min = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int sign = s[pos] == '-' ? -1 : 1;
    ++pos;
    int oh, om;
    if (!digits(s, pos, 2, oh) || !expect(s, pos, ':') || !digits(s, pos, 2, om) || oh > 23 ||
        om > 59) {
      return bad();
    }
    offset_min = sign * (oh * 60 + om);
  } else {
    return bad();
  }
  if (pos != s.size()) return bad();
  std::int64_t days =
      days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  std::int64_t secs = days * 86400 + hour * 3600 + minute * 60 + second - offset_min * 60;
  return secs * 1000 + millis;
}

bool is_valid_event_type(std::string_view type) {
  if (type.empty() || type.size() > 128) return false;
  bool segment_empty = true;
  for (char c : type) {
    if (c == '.') {
      if (segment_empty) return false;
      segment_empty = true;
    } else if (is_word_char(c)) {
      segment_empty = false;
    } else {
      return false;
    }
  }
  return !segment_empty;
}

}  // namespace axon
