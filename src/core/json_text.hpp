// JSON text kept as the producer wrote it.
//
// `minify_json` checks a JSON text strictly (RFC 8259 grammar, well-formed UTF-8, paired
// surrogate escapes, a nesting limit, no duplicate member names at any depth) and returns
// it minified: whitespace between tokens is dropped and nothing else changes — numbers keep
// every digit as written (`123456789012345678901234567890`, `1e-400`) and strings keep their
// escapes. It never builds a document, so it is one linear pass with no per-value allocation.
//
// The readers below walk text that `minify_json` returned (they assume it is valid and
// minified); they let a handler pick fields out of a request body and keep a member's text
// exactly, without parsing it into a DOM and serialising it again.
//
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace axon {

// Errc::invalid_json (not JSON, bad UTF-8, a duplicate member name; the message says where)
// or Errc::validation_failed (nested deeper than `max_depth`: a scalar is 0, [] and {} are 1).
Result<std::string> minify_json(std::string_view text, int max_depth);

// The JSON type of the value starting `json` (minified, valid).
enum class JsonKind { object, array, string, number, boolean, null };
JsonKind json_kind(std::string_view json);
std::string_view json_kind_name(JsonKind kind);  // "an object", "a string", …

// One member of an object: its decoded name and its value's text.
struct JsonMember {
  std::string name;
  std::string_view value;
};

// Members of an object, in order (`object` is one minified object value).
std::vector<JsonMember> json_members(std::string_view object);
// The value of member `name`, if present.
std::optional<std::string_view> json_member(std::string_view object, std::string_view name);
// Elements of an array, in order.
std::vector<std::string_view> json_elements(std::string_view array);
// The decoded content of a string value (`"a\n"` -> a, newline).
std::string json_string_value(std::string_view string_literal);

}  // namespace axon
