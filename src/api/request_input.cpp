#include "api/request_input.hpp"

#include <cmath>
#include <limits>

#include "core/envelope.hpp"
#include "core/json_text.hpp"

namespace axon::api {

using nlohmann::json;

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      int hi = hex_value(text[i + 1]);
      int lo = hex_value(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string type_name(const json& value) { return value.type_name(); }

}  // namespace

Result<Query> Query::parse(std::string_view raw) {
  Query query;
  while (!raw.empty()) {
    std::size_t amp = raw.find('&');
    std::string_view pair = raw.substr(0, amp);
    raw = amp == std::string_view::npos ? std::string_view() : raw.substr(amp + 1);
    if (pair.empty()) continue;
    std::size_t eq = pair.find('=');
    auto name = percent_decode(pair.substr(0, eq));
    auto value =
        percent_decode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
    if (!name || !value) return fail(Errc::invalid_request, "malformed query string");
    query.params_.emplace_back(std::move(*name), std::move(*value));
  }
  return query;
}

std::optional<std::string_view> Query::get(std::string_view name) const {
  for (const auto& [key, value] : params_) {
    if (key == name) return std::string_view(value);
  }
  return std::nullopt;
}

std::pair<std::string_view, std::string_view> split_target(std::string_view target) {
  std::size_t q = target.find('?');
  if (q == std::string_view::npos) return {target, {}};
  return {target.substr(0, q), target.substr(q + 1)};
}

Result<void> require_json_content_type(const ApiRequest& request) {
  auto content_type = request.header("Content-Type");
  if (!content_type) {
    return fail(Errc::unsupported_media_type, "Content-Type must be application/json");
  }
  std::string_view media = *content_type;
  media = media.substr(0, media.find(';'));
  while (!media.empty() && (media.back() == ' ' || media.back() == '\t')) media.remove_suffix(1);
  while (!media.empty() && (media.front() == ' ' || media.front() == '\t')) media.remove_prefix(1);
  if (!iequals(media, "application/json")) {
    return fail(Errc::unsupported_media_type,
                "Content-Type must be application/json, not " + std::string(media));
  }
  return {};
}

Result<std::string> minify_json_object_body(std::string_view body, int max_depth) {
  if (body.empty())
    return fail(Errc::invalid_json, "request body is empty; expected a JSON object");
  auto text = minify_json(body, max_depth);
  if (!text) {
    if (text.error().code == Errc::validation_failed) {
      return fail(Errc::validation_failed,
                  "request body is nested deeper than " + std::to_string(max_depth) + " levels");
    }
    return fail(Errc::invalid_json, "request body is not valid JSON: " + text.error().message);
  }
  if (json_kind(*text) != JsonKind::object) {
    return fail(Errc::invalid_request, "request body must be a JSON object");
  }
  return std::move(*text);
}

// A NUL byte (\u0000) in a string field is refused: PostgreSQL text cannot hold one, and
// both stores must answer alike. (Event `data` is stored as JSON text, where it is escaped.)
static std::unexpected<Error> nul_refused(const char* field) {
  return fail(Errc::validation_failed, std::string(field) + " must not contain NUL (\\u0000)");
}

Result<std::string> required_string(const json& object, const char* field) {
  auto it = object.find(field);
  if (it == object.end() || it->is_null()) {
    return fail(Errc::invalid_request, std::string(field) + " is required");
  }
  if (!it->is_string()) {
    return fail(Errc::invalid_request,
                std::string(field) + " must be a string, not " + type_name(*it));
  }
  auto text = it->get<std::string>();
  if (text.find('\0') != std::string::npos) return nul_refused(field);
  return text;
}

Result<std::optional<std::string>> optional_string(const json& object, const char* field) {
  auto it = object.find(field);
  if (it == object.end() || it->is_null()) return std::optional<std::string>();
  if (!it->is_string()) {
    return fail(Errc::invalid_request,
                std::string(field) + " must be a string, not " + type_name(*it));
  }
  auto text = it->get<std::string>();
  if (text.find('\0') != std::string::npos) return nul_refused(field);
  return std::optional<std::string>(std::move(text));
}

Result<std::optional<bool>> optional_bool(const json& object, const char* field) {
  auto it = object.find(field);
  if (it == object.end() || it->is_null()) return std::optional<bool>();
  if (!it->is_boolean()) {
    return fail(Errc::invalid_request,
                std::string(field) + " must be true or false, not " + type_name(*it));
  }
  return std::optional<bool>(it->get<bool>());
}

Result<std::optional<std::int64_t>> optional_integer(const json& object, const char* field) {
  auto it = object.find(field);
  if (it == object.end() || it->is_null()) return std::optional<std::int64_t>();
  if (it->is_number_unsigned()) {
    auto value = it->get<std::uint64_t>();
    // Out of any range we accept; the caller's range check names the limits.
    if (value > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return std::optional<std::int64_t>(std::numeric_limits<std::int64_t>::max());
    }
    return std::optional<std::int64_t>(static_cast<std::int64_t>(value));
  }
  if (it->is_number_integer()) return std::optional<std::int64_t>(it->get<std::int64_t>());
  return fail(Errc::invalid_request,
              std::string(field) + " must be an integer, not " +
                  (it->is_number_float() ? std::string("a fraction") : type_name(*it)));
}

Result<std::optional<double>> optional_number(const json& object, const char* field) {
  auto it = object.find(field);
  if (it == object.end() || it->is_null()) return std::optional<double>();
  if (!it->is_number()) {
    return fail(Errc::invalid_request,
                std::string(field) + " must be a number, not " + type_name(*it));
  }
  double value = it->get<double>();
  if (!std::isfinite(value)) {
    return fail(Errc::validation_failed, std::string(field) + " must be a finite number");
  }
  return std::optional<double>(value);
}

std::size_t utf8_length(std::string_view text) {
  std::size_t n = 0;
  for (char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  }
  return n;
}

Result<std::optional<Millis>> optional_time_param(const Query& query, std::string_view name) {
  auto raw = query.get(name);
  if (!raw) return std::optional<Millis>();
  auto parsed = parse_rfc3339(*raw);
  if (!parsed) {
    return fail(Errc::invalid_request,
                std::string(name) + " must be an RFC 3339 time such as 2026-01-02T03:04:05Z");
  }
  return std::optional<Millis>(*parsed);
}

}  // namespace axon::api
