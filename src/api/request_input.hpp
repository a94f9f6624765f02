// Reading client input: the query string, the JSON body, and typed fields of a JSON object.
// Every failure is an Error a client can act on, naming the parameter or field:
// missing or mistyped -> Errc::invalid_request (400); well-typed but semantically bad values
// are the caller's to reject with Errc::validation_failed (422).
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "api/http_types.hpp"
#include "core/clock.hpp"
#include "core/result.hpp"

namespace axon::api {

// A decoded query string ("a=1&b=x%20y"); the first occurrence of a name wins.
class Query {
 public:
  static Result<Query> parse(std::string_view raw);
  std::optional<std::string_view> get(std::string_view name) const;

 private:
  NameValues params_;
};

// Splits a request target into path and raw query.
std::pair<std::string_view, std::string_view> split_target(std::string_view target);

// 415 unless Content-Type is application/json (parameters such as charset allowed).
Result<void> require_json_content_type(const ApiRequest& request);

// Checks a body that must be a JSON object (strict JSON, no duplicate member names, nested at
// most `max_depth` levels) and returns its text minified as written (core/json_text.hpp).
Result<std::string> minify_json_object_body(std::string_view body, int max_depth);

// Typed fields of a JSON object. `optional_*` return nullopt when the field is absent
// (and, where said, when it is null).
Result<std::string> required_string(const nlohmann::json& object, const char* field);
Result<std::optional<std::string>> optional_string(const nlohmann::json& object, const char* field);
Result<std::optional<bool>> optional_bool(const nlohmann::json& object, const char* field);
Result<std::optional<std::int64_t>> optional_integer(const nlohmann::json& object,
                                                     const char* field);
Result<std::optional<double>> optional_number(const nlohmann::json& object, const char* field);

// Number of Unicode code points in valid UTF-8 text.
std::size_t utf8_length(std::string_view text);

// An RFC 3339 time given as a query parameter (400 when malformed).
Result<std::optional<Millis>> optional_time_param(const Query& query, std::string_view name);

}  // namespace axon::api
