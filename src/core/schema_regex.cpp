#include "core/schema_regex.hpp"

#include <re2/re2.h>

#include <stdexcept>

namespace axon {
namespace {

// ECMAScript's \s: WhiteSpace and LineTerminator (RE2's \s is only [\t\n\f\r ]).
constexpr std::string_view kEcmaSpace =
    "\\t\\n\\x0B\\f\\r \\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}"
    "\\x{205F}\\x{3000}\\x{FEFF}";
// ECMAScript's `.` excludes every LineTerminator (RE2's excludes only \n).
constexpr std::string_view kEcmaDot = "[^\\n\\r\\x{2028}\\x{2029}]";
constexpr std::string_view kAnyChar = "[\\x{0}-\\x{10FFFF}]";
constexpr std::string_view kNoChar = "[^\\x{0}-\\x{10FFFF}]";

bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool is_ascii_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

std::string hex_escape(unsigned long code_point) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string digits;
  do {
    digits.insert(digits.begin(), kDigits[code_point % 16]);
    code_point /= 16;
  } while (code_point != 0);
  return "\\x{" + digits + "}";
}

// `\uXXXX` at p[i] (p[i] == '\\', p[i+1] == 'u'): its code unit, or nullopt.
std::optional<unsigned long> unicode_unit(std::string_view p, std::size_t i) {
  if (i + 6 > p.size() || p[i] != '\\' || p[i + 1] != 'u') return std::nullopt;
  for (std::size_t k = i + 2; k < i + 6; ++k) {
    if (!is_hex(p[k])) return std::nullopt;
  }
  return std::stoul(std::string(p.substr(i + 2, 4)), nullptr, 16);
}

// Translates the escape at p[i] == '\\'; returns how many characters it consumed, or 0 to
// copy the backslash verbatim and let the main loop copy what follows.
std::size_t translate_escape(std::string_view p, std::size_t i, bool in_class, std::string& out) {
  if (i + 1 >= p.size()) return 0;  // trailing backslash: RE2 refuses it
  const char c = p[i + 1];
  if (auto unit = unicode_unit(p, i)) {  // \uXXXX, joining a UTF-16 surrogate pair
    if (*unit >= 0xD800 && *unit <= 0xDBFF) {
      if (auto low = unicode_unit(p, i + 6); low && *low >= 0xDC00 && *low <= 0xDFFF) {
        out += hex_escape(0x10000 + ((*unit - 0xD800) << 10) + (*low - 0xDC00));
        return 12;
      }
    }
    out += hex_escape(*unit);
    return 6;
  }
  if (c == 'u' && i + 2 < p.size() && p[i + 2] == '{') {  // \u{X...}
    std::size_t end = i + 3;
    while (end < p.size() && is_hex(p[end])) ++end;
    if (end < p.size() && p[end] == '}' && end > i + 3 && end - (i + 3) <= 6) {
      out += hex_escape(std::stoul(std::string(p.substr(i + 3, end - i - 3)), nullptr, 16));
      return end - i + 1;
    }
    return 0;
  }
  if (c == 'c' && i + 2 < p.size() && is_ascii_letter(p[i + 2])) {  // \cX: control char
    out += hex_escape(static_cast<unsigned char>(p[i + 2]) % 32);
    return 3;
  }
  if (c == '0' && (i + 2 >= p.size() || !is_digit(p[i + 2]))) {  // \0: NUL
    out += "\\x00";
    return 2;
  }
  if (c == 's') {
    out += in_class ? std::string(kEcmaSpace) : "[" + std::string(kEcmaSpace) + "]";
    return 2;
  }
  if (c == 'S' && !in_class) {  // inside a class RE2's own \S stays (no set difference)
    out += "[^" + std::string(kEcmaSpace) + "]";
    return 2;
  }
  if (c == 'b' && in_class) {  // [\b] is a backspace
    out += "\\x08";
    return 2;
  }
  if (static_cast<unsigned char>(c) >= 0x80) return 1;  // identity escape of a non-ASCII char
  out += '\\';
  out += c;
  return 2;
}

// RE2's message plus what a schema author needs to know.
std::string explain(const re2::RE2& re, std::string_view pattern) {
  std::string shown(pattern.substr(0, 80));
  if (pattern.size() > 80) shown += "...";
  std::string message = "pattern '" + shown + "' is not supported: " + re.error();
  switch (re.error_code()) {
    case re2::RE2::ErrorBadPerlOp:
    case re2::RE2::ErrorBadEscape:
      message +=
          " (patterns run on a linear-time engine (RE2): lookahead, lookbehind and "
          "backreferences are not supported)";
      break;
    case re2::RE2::ErrorRepeatSize:
      message += " (a repetition count is at most 1000)";
      break;
    case re2::RE2::ErrorPatternTooLarge:
      message += " (the compiled pattern exceeds its memory budget)";
      break;
    default:
      break;
  }
  return message;
}

const re2::RE2& fixed_regex(const char* pattern) {
  // Only for the three literals below: leaked on purpose (no destruction-order issues).
  return *new re2::RE2(pattern);
}

}  // namespace

std::string translate_pattern(std::string_view p) {
  std::string out;
  out.reserve(p.size() + 16);
  bool in_class = false;
  for (std::size_t i = 0; i < p.size();) {
    const char c = p[i];
    if (c == '\\') {
      if (std::size_t used = translate_escape(p, i, in_class, out)) {
        i += used;
      } else {
        out += c;
        ++i;
      }
      continue;
    }
    if (in_class) {
      if (c == ']') in_class = false;
      out += c == '[' ? "\\[" : std::string(1, c);  // RE2 would read "[:" as a POSIX class
      ++i;
      continue;
    }
    if (c == '[') {
      if (p.substr(i, 2) == "[]") {  // ECMAScript: the empty class, matches nothing
        out += kNoChar;
        i += 2;
      } else if (p.substr(i, 3) == "[^]") {  // ECMAScript: any character
        out += kAnyChar;
        i += 3;
      } else {
        in_class = true;
        const bool negated = p.substr(i, 2) == "[^";
        out += negated ? "[^" : "[";
        i += negated ? 2 : 1;
      }
      continue;
    }
    if (c == '.') {
      out += kEcmaDot;
      ++i;
      continue;
    }
    // Named group (?<name>...) is spelled (?P<name>...) in RE2; (?<= and (?<! stay (refused).
    if (p.substr(i, 3) == "(?<" && i + 3 < p.size() && p[i + 3] != '=' && p[i + 3] != '!') {
      out += "(?P<";
      i += 3;
      continue;
    }
    out += c;
    ++i;
  }
  return out;
}

SchemaRegex::SchemaRegex(std::shared_ptr<const re2::RE2> re) : re_(std::move(re)) {}

Result<SchemaRegex> SchemaRegex::compile(std::string_view ecmascript) {
  if (ecmascript.size() > kMaxPatternBytes) {
    return fail(Errc::invalid_request, "pattern of " + std::to_string(ecmascript.size()) +
                                           " bytes is longer than the limit of " +
                                           std::to_string(kMaxPatternBytes));
  }
  re2::RE2::Options options;
  options.set_encoding(re2::RE2::Options::EncodingUTF8);
  options.set_log_errors(false);
  options.set_never_capture(true);  // only match/no-match is needed
  options.set_max_mem(kMaxPatternMemory);
  const std::string translated = translate_pattern(ecmascript);
  auto re = std::make_shared<const re2::RE2>(translated, options);
  if (!re->ok()) return fail(Errc::invalid_request, explain(*re, ecmascript));
  return SchemaRegex(std::move(re));
}

bool SchemaRegex::search(std::string_view subject) const {
  return re2::RE2::PartialMatch(re2::StringPiece(subject.data(), subject.size()), *re_);
}

Result<void> SchemaRegexes::add(const std::string& pattern) {
  if (regexes_.count(pattern)) return {};
  auto compiled = SchemaRegex::compile(pattern);
  if (!compiled) return std::unexpected(compiled.error());
  regexes_.emplace(pattern, std::move(*compiled));
  return {};
}

bool SchemaRegexes::search(const std::string& pattern, std::string_view subject) const {
  if (auto it = regexes_.find(pattern); it != regexes_.end()) return it->second.search(subject);
  auto compiled = SchemaRegex::compile(pattern);
  if (!compiled) throw std::runtime_error(compiled.error().message);
  return compiled->search(subject);
}

std::optional<std::pair<int, int>> match_format_date(const std::string& s) {
  static const re2::RE2& re = fixed_regex("[0-9]+-(0[1-9]|1[012])-(0[1-9]|[12][0-9]|3[01])");
  int month = 0;
  int day = 0;
  if (!re2::RE2::FullMatch(s, re, &month, &day)) return std::nullopt;
  return std::make_pair(month, day);
}

std::optional<std::pair<int, int>> match_format_date_time(const std::string& s) {
  static const re2::RE2& re = fixed_regex(
      "[0-9]+-(0[1-9]|1[012])-(0[1-9]|[12][0-9]|3[01])[Tt](?:[01][0-9]|2[0-3]):(?:[0-5][0-9]):"
      "(?:[0-5][0-9]|60)(?:\\.[0-9]+)?(?:[Zz]|[+|\\-](?:[01][0-9]|2[0-3]):[0-5][0-9])");
  int month = 0;
  int day = 0;
  if (!re2::RE2::FullMatch(s, re, &month, &day)) return std::nullopt;
  return std::make_pair(month, day);
}

bool match_format_time(const std::string& s) {
  static const re2::RE2& re = fixed_regex(
      "(?:[01][0-9]|2[0-3]):(?:[0-5][0-9]):(?:[0-5][0-9]|60)(?:\\.[0-9]+)?"
      "(?:[Zz]|[+|\\-](?:[01][0-9]|2[0-3]):[0-5][0-9])");
  return re2::RE2::FullMatch(s, re);
}

}  // namespace axon
