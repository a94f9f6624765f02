// Regular expressions of JSON Schemas (`pattern`, `patternProperties`, and the fixed `format`
// regexes), run on RE2: matching takes time linear in the subject and uses no recursion, so
// an uploaded pattern cannot make validation take exponential time or overflow the stack
// (std::regex, which valijson uses, does both).
//
// Patterns are written in ECMAScript syntax (JSON Schema's dialect); translate_pattern() maps
// the parts whose meaning differs in RE2 (`.`, `\s`, `\uXXXX`, `[]`, `[^]`, `(?<name>`, ...).
// What RE2 cannot do in linear time (backreferences, lookahead/lookbehind) is refused when
// compiling, as are patterns longer than kMaxPatternBytes or above RE2's memory budget.
//
// Thread-safety: a compiled SchemaRegex / SchemaRegexes is immutable and may be used from
// many threads at once (RE2 is thread-safe for matching).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "core/result.hpp"

namespace re2 {
class RE2;
}

namespace axon {

inline constexpr std::size_t kMaxPatternBytes = 1024;
// Per compiled pattern (RE2's program plus its lazily built DFA cache).
inline constexpr std::int64_t kMaxPatternMemory = 1 << 20;

// ECMAScript pattern -> equivalent RE2 syntax (see the header comment). Does not validate:
// whatever RE2 cannot express is left for RE2 to refuse.
std::string translate_pattern(std::string_view ecmascript);

class SchemaRegex {
 public:
  // Errc::invalid_request with a message naming the pattern and RE2's reason.
  static Result<SchemaRegex> compile(std::string_view ecmascript);

  // True when the pattern matches somewhere in `subject` (JSON Schema's `pattern` is not
  // anchored).
  bool search(std::string_view subject) const;

 private:
  explicit SchemaRegex(std::shared_ptr<const re2::RE2> re);
  std::shared_ptr<const re2::RE2> re_;
};

// The compiled patterns of one schema, by their source text.
class SchemaRegexes {
 public:
  // Compiles `pattern` once (a pattern already added is kept).
  Result<void> add(const std::string& pattern);
  std::size_t size() const { return regexes_.size(); }

  // Search with a pattern added before. A pattern that was not added is compiled for this
  // call only; one RE2 refuses throws std::runtime_error (valijson's visitor code reports
  // errors as exceptions, and JsonSchema::validate turns them into a violation).
  bool search(const std::string& pattern, std::string_view subject) const;

 private:
  std::unordered_map<std::string, SchemaRegex> regexes_;
};

// valijson's `format` checks with RE2 instead of std::regex. (month, day) when `s` is a
// date (YYYY-MM-DD) / a date-time of RFC 3339 shape; day-range checks are left to valijson.
std::optional<std::pair<int, int>> match_format_date(const std::string& s);
std::optional<std::pair<int, int>> match_format_date_time(const std::string& s);
bool match_format_time(const std::string& s);

}  // namespace axon
