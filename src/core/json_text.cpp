#include "core/json_text.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <deque>

namespace axon {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// How many bytes from text[pos] are plain string content: printable ASCII other than '"'
// and '\\' (what a string holds between its escapes and non-ASCII characters). Eight bytes
// at a time while none of them is special (the byte loop finds which one is): scanning 1 KiB
// strings a byte at a time was a leading cost of ingest.
std::size_t plain_run(std::string_view text, std::size_t pos) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
  constexpr std::uint64_t kHighs = 0x8080808080808080ULL;
  // Whether any byte of v is zero / below n (n <= 0x80): the classic bit tricks.
  const auto any_zero = [](std::uint64_t v) { return (v - kOnes) & ~v & kHighs; };
  const auto any_below = [](std::uint64_t v, std::uint64_t n) {
    return (v - kOnes * n) & ~v & kHighs;
  };
  const std::size_t start = pos;
  while (pos + 8 <= text.size()) {
    std::uint64_t w;
    std::memcpy(&w, text.data() + pos, 8);
    if ((w & kHighs) | any_below(w, 0x20) | any_zero(w ^ (kOnes * '"')) |
        any_zero(w ^ (kOnes * '\\'))) {
      break;
    }
    pos += 8;
  }
  while (pos < text.size()) {
    const auto c = static_cast<unsigned char>(text[pos]);
    if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\') break;
    ++pos;
  }
  return pos - start;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Four hex digits at text[pos..pos+4), or -1.
long hex4(std::string_view text, std::size_t pos) {
  if (pos + 4 > text.size()) return -1;
  long value = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    int d = hex_digit(text[pos + i]);
    if (d < 0) return -1;
    value = value * 16 + d;
  }
  return value;
}

void append_utf8(std::string& out, unsigned long cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Decodes the content of a string literal (between the quotes) that is known to be valid.
std::string decode_string_content(std::string_view content) {
  std::string out;
  out.reserve(content.size());
  for (std::size_t i = 0; i < content.size(); ++i) {
    char c = content[i];
    if (c != '\\') {
      out += c;
      continue;
    }
    char e = content[++i];
    switch (e) {
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'u': {
        unsigned long cp = static_cast<unsigned long>(hex4(content, i + 1));
        i += 4;
        if (cp >= 0xD800 && cp <= 0xDBFF) {  // a high surrogate; its low half follows
          unsigned long low = static_cast<unsigned long>(hex4(content, i + 3));
          cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          i += 6;
        }
        append_utf8(out, cp);
        break;
      }
      default: out += e; break;  // " \ /
    }
  }
  return out;
}

// One pass over the input, appending every token to `out_` without the whitespace between.
// Recursion is bounded by max_depth (checked before descending).
class Minifier {
 public:
  Minifier(std::string_view in, int max_depth) : in_(in), max_depth_(max_depth) {
    out_.reserve(in.size());
  }

  Result<std::string> run() {
    skip_space();
    if (pos_ == in_.size()) return fail(Errc::invalid_json, "empty: expected a JSON value");
    if (!value(0)) return std::unexpected(std::move(error_));
    skip_space();
    if (pos_ != in_.size()) {
      syntax("unexpected content after the JSON value");
      return std::unexpected(std::move(error_));
    }
    return std::move(out_);
  }

 private:
  struct Frame {
    std::vector<std::string_view> names;  // decoded member names of an object
    std::string_view name;                // the member being read (objects)
    std::size_t index = 0;                // the element being read (arrays)
    bool object = false;
  };

  bool syntax(std::string_view what) {
    error_ = Error{Errc::invalid_json,
                   "invalid JSON at byte " + std::to_string(pos_) + ": " + std::string(what)};
    return false;
  }

  // "$.data.items[2]": where the value being read sits.
  std::string path(std::size_t depth) const {
    std::string out = "$";
    for (std::size_t i = 0; i < depth; ++i) {
      const Frame& f = frames_[i];
      if (f.object) {
        out += '.';
        out += f.name;
      } else {
        out += '[' + std::to_string(f.index) + ']';
      }
    }
    return out;
  }

  void skip_space() {
    while (pos_ < in_.size() && is_space(in_[pos_])) ++pos_;
  }

  bool value(int depth) {
    if (pos_ >= in_.size()) return syntax("unexpected end of input, expected a value");
    char c = in_[pos_];
    if (c == '{' || c == '[') {
      if (depth + 1 > max_depth_) {
        error_ = Error{Errc::validation_failed,
                       "JSON is nested deeper than " + std::to_string(max_depth_) + " levels"};
        return false;
      }
      return c == '{' ? object(depth) : array(depth);
    }
    if (c == '"') return string(nullptr);
    if (c == '-' || is_digit(c)) return number();
    if (literal("true") || literal("false") || literal("null")) return true;
    return syntax(std::string("unexpected character '") + c + "'");
  }

  Frame& enter(int depth, bool object) {
    if (frames_.size() <= static_cast<std::size_t>(depth)) frames_.resize(depth + 1);
    Frame& f = frames_[depth];
    f.names.clear();
    f.name = {};
    f.index = 0;
    f.object = object;
    return f;
  }

  bool object(int depth) {
    enter(depth, true);
    out_ += '{';
    ++pos_;
    skip_space();
    if (pos_ < in_.size() && in_[pos_] == '}') {
      out_ += '}';
      ++pos_;
      return true;
    }
    for (;;) {
      if (pos_ >= in_.size() || in_[pos_] != '"') return syntax("expected a member name");
      std::string_view name;
      if (!string(&name)) return false;
      // frames_ may have grown (reallocated) while reading deeper values: index, not reference.
      frames_[depth].name = name;
      frames_[depth].names.push_back(name);
      skip_space();
      if (pos_ >= in_.size() || in_[pos_] != ':') return syntax("expected ':'");
      out_ += ':';
      ++pos_;
      skip_space();
      if (!value(depth + 1)) return false;
      skip_space();
      if (pos_ < in_.size() && in_[pos_] == ',') {
        out_ += ',';
        ++pos_;
        skip_space();
        continue;
      }
      if (pos_ < in_.size() && in_[pos_] == '}') {
        out_ += '}';
        ++pos_;
        return unique_names(depth);
      }
      return syntax("expected ',' or '}'");
    }
  }

  bool unique_names(int depth) {
    std::vector<std::string_view>& names = frames_[depth].names;
    std::sort(names.begin(), names.end());
    auto dup = std::adjacent_find(names.begin(), names.end());
    if (dup == names.end()) return true;
    error_ = Error{Errc::invalid_json, "duplicate member name \"" + std::string(*dup) +
                                           "\" in the object at " + path(depth)};
    return false;
  }

  bool array(int depth) {
    enter(depth, false);
    out_ += '[';
    ++pos_;
    skip_space();
    if (pos_ < in_.size() && in_[pos_] == ']') {
      out_ += ']';
      ++pos_;
      return true;
    }
    for (;;) {
      if (!value(depth + 1)) return false;
      skip_space();
      if (pos_ < in_.size() && in_[pos_] == ',') {
        out_ += ',';
        ++pos_;
        ++frames_[depth].index;
        skip_space();
        continue;
      }
      if (pos_ < in_.size() && in_[pos_] == ']') {
        out_ += ']';
        ++pos_;
        return true;
      }
      return syntax("expected ',' or ']'");
    }
  }

  bool literal(std::string_view word) {
    if (in_.substr(pos_, word.size()) != word) return false;
    out_ += word;
    pos_ += word.size();
    return true;
  }

  bool number() {
    const std::size_t start = pos_;
    auto digits = [&] {
      std::size_t from = pos_;
      while (pos_ < in_.size() && is_digit(in_[pos_])) ++pos_;
      return pos_ > from;
    };
    if (in_[pos_] == '-') ++pos_;
    if (pos_ < in_.size() && in_[pos_] == '0') {
      ++pos_;
    } else if (!(pos_ < in_.size() && in_[pos_] >= '1' && in_[pos_] <= '9') || !digits()) {
      return syntax("malformed number");
    }
    if (pos_ < in_.size() && in_[pos_] == '.') {
      ++pos_;
      if (!digits()) return syntax("malformed number: digits must follow '.'");
    }
    if (pos_ < in_.size() && (in_[pos_] == 'e' || in_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < in_.size() && (in_[pos_] == '+' || in_[pos_] == '-')) ++pos_;
      if (!digits()) return syntax("malformed number: digits must follow the exponent");
    }
    out_.append(in_.substr(start, pos_ - start));
    return true;
  }

  // One multi-byte UTF-8 sequence at pos_ (RFC 3629: no overlong forms, no surrogates,
  // nothing above U+10FFFF).
  bool utf8_sequence() {
    auto byte = [&](std::size_t i) {
      return pos_ + i < in_.size() ? static_cast<unsigned char>(in_[pos_ + i]) : 0u;
    };
    unsigned lead = byte(0);
    unsigned lo = 0x80, hi = 0xBF;
    std::size_t length;
    if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      if (lead == 0xE0) lo = 0xA0;
      if (lead == 0xED) hi = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      if (lead == 0xF0) lo = 0x90;
      if (lead == 0xF4) hi = 0x8F;
    } else {
      return syntax("invalid UTF-8");
    }
    if (byte(1) < lo || byte(1) > hi) return syntax("invalid UTF-8");
    for (std::size_t i = 2; i < length; ++i) {
      if (byte(i) < 0x80 || byte(i) > 0xBF) return syntax("invalid UTF-8");
    }
    pos_ += length;
    return true;
  }

  bool escape() {
    // pos_ is at the backslash.
    if (pos_ + 1 >= in_.size()) return syntax("unterminated string");
    char e = in_[pos_ + 1];
    if (e != 'u') {
      if (e != '"' && e != '\\' && e != '/' && e != 'b' && e != 'f' && e != 'n' && e != 'r' &&
          e != 't') {
        return syntax("invalid escape in a string");
      }
      pos_ += 2;
      return true;
    }
    long unit = hex4(in_, pos_ + 2);
    if (unit < 0) return syntax("\\u must be followed by four hex digits");
    pos_ += 6;
    if (unit >= 0xDC00 && unit <= 0xDFFF) return syntax("unpaired surrogate escape");
    if (unit >= 0xD800 && unit <= 0xDBFF) {
      long low = in_.substr(pos_, 2) == "\\u" ? hex4(in_, pos_ + 2) : -1;
      if (low < 0xDC00 || low > 0xDFFF) return syntax("unpaired surrogate escape");
      pos_ += 6;
    }
    return true;
  }

  // A string literal, copied as written. With `name`, also its decoded content (a view of
  // the input when it has no escapes, else of storage owned by the minifier).
  bool string(std::string_view* name) {
    const std::size_t start = pos_++;
    bool escaped = false;
    for (;;) {
      if (pos_ >= in_.size()) return syntax("unterminated string");
      unsigned char c = static_cast<unsigned char>(in_[pos_]);
      if (c == '"') break;
      if (c < 0x20) return syntax("control character in a string (escape it)");
      if (c == '\\') {
        escaped = true;
        if (!escape()) return false;
      } else if (c < 0x80) {
        pos_ += std::max<std::size_t>(1, plain_run(in_, pos_));
      } else if (!utf8_sequence()) {
        return false;
      }
    }
    ++pos_;
    std::string_view literal = in_.substr(start, pos_ - start);
    out_.append(literal);
    if (name) {
      std::string_view content = literal.substr(1, literal.size() - 2);
      if (escaped) content = decoded_names_.emplace_back(decode_string_content(content));
      *name = content;
    }
    return true;
  }

  std::string_view in_;
  int max_depth_;
  std::size_t pos_ = 0;
  std::string out_;
  std::vector<Frame> frames_;
  std::deque<std::string> decoded_names_;  // stable storage for names that had escapes
  Error error_;
};

// Where the value starting at `pos` of minified, valid JSON ends.
std::size_t value_end(std::string_view json, std::size_t pos) {
  char c = json[pos];
  if (c == '"') {
    // The closing quote: the next '"' after an even run of backslashes (valid JSON).
    for (++pos;; ++pos) {
      pos = json.find('"', pos);  // memchr
      if (pos == std::string_view::npos) return json.size();  // not valid JSON after all
      std::size_t backslashes = 0;
      while (json[pos - 1 - backslashes] == '\\') ++backslashes;
      if (backslashes % 2 == 0) return pos + 1;
    }
  }
  if (c == '{' || c == '[') {
    int depth = 0;
    for (; pos < json.size(); ++pos) {
      char d = json[pos];
      if (d == '"') {
        pos = value_end(json, pos) - 1;
      } else if (d == '{' || d == '[') {
        ++depth;
      } else if ((d == '}' || d == ']') && --depth == 0) {
        return pos + 1;
      }
    }
    return pos;
  }
  while (pos < json.size() && json[pos] != ',' && json[pos] != '}' && json[pos] != ']') ++pos;
  return pos;
}

}  // namespace

Result<std::string> minify_json(std::string_view text, int max_depth) {
  return Minifier(text, max_depth).run();
}

JsonKind json_kind(std::string_view json) {
  switch (json.empty() ? 'n' : json.front()) {
    case '{': return JsonKind::object;
    case '[': return JsonKind::array;
    case '"': return JsonKind::string;
    case 't':
    case 'f': return JsonKind::boolean;
    case 'n': return JsonKind::null;
    default: return JsonKind::number;
  }
}

std::string_view json_kind_name(JsonKind kind) {
  switch (kind) {
    case JsonKind::object: return "an object";
    case JsonKind::array: return "an array";
    case JsonKind::string: return "a string";
    case JsonKind::number: return "a number";
    case JsonKind::boolean: return "a boolean";
    case JsonKind::null: return "null";
  }
  return "a value";
}

std::vector<JsonMember> json_members(std::string_view object) {
  std::vector<JsonMember> members;
  std::size_t pos = 1;
  while (pos < object.size() && object[pos] == '"') {
    std::size_t name_end = value_end(object, pos);
    std::string_view name = object.substr(pos, name_end - pos);
    std::size_t value_start = name_end + 1;  // past ':'
    std::size_t end = value_end(object, value_start);
    members.push_back({json_string_value(name), object.substr(value_start, end - value_start)});
    pos = end + 1;  // past ',' (or '}', ending the loop)
  }
  return members;
}

std::optional<std::string_view> json_member(std::string_view object, std::string_view name) {
  std::size_t pos = 1;
  while (pos < object.size() && object[pos] == '"') {
    std::size_t name_end = value_end(object, pos);
    std::string_view literal = object.substr(pos, name_end - pos);
    std::size_t value_start = name_end + 1;
    std::size_t end = value_end(object, value_start);
    std::string_view raw = literal.substr(1, literal.size() - 2);
    bool same = raw.find('\\') == std::string_view::npos ? raw == name
                                                          : decode_string_content(raw) == name;
    if (same) return object.substr(value_start, end - value_start);
    pos = end + 1;
  }
  return std::nullopt;
}

std::vector<std::string_view> json_elements(std::string_view array) {
  std::vector<std::string_view> elements;
  std::size_t pos = 1;
  while (pos < array.size() && array[pos] != ']') {
    std::size_t end = value_end(array, pos);
    elements.push_back(array.substr(pos, end - pos));
    pos = end + 1;
  }
  return elements;
}

std::string json_string_value(std::string_view string_literal) {
  return decode_string_content(string_literal.substr(1, string_literal.size() - 2));
}

}  // namespace axon
