#include "core/log_format.hpp"

#include <cstdio>

namespace axon {
namespace {

constexpr char kRecordSep = '\x1e';
constexpr char kUnitSep = '\x1f';
constexpr char kNumberMark = '#';  // first byte of a field's key part: the value is a number

void append_clean(std::string& out, std::string_view text) {
  for (char c : text) out += (c == kRecordSep || c == kUnitSep) ? '?' : c;
}

// Length of the valid UTF-8 sequence at s[i], or 0 if it is not one.
std::size_t utf8_length(std::string_view s, std::size_t i) {
  const auto b = static_cast<unsigned char>(s[i]);
  std::size_t n = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xE ? 3 : (b >> 3) == 0x1E ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 0;
  }
  return n;
}

bool logfmt_needs_quotes(std::string_view value) {
  if (value.empty()) return true;
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= ' ' || c == '"' || c == '=' || c == '\\' || u >= 0x7f) return true;
  }
  return false;
}

}  // namespace

std::string encode_log_record(std::string_view message, std::initializer_list<LogField> fields) {
  std::string out;
  append_clean(out, message);
  for (const LogField& field : fields) {
    out += kRecordSep;
    if (field.number) out += kNumberMark;
    append_clean(out, field.key);
    out += kUnitSep;
    append_clean(out, field.value);
  }
  return out;
}

LogRecordView decode_log_record(std::string_view text) {
  LogRecordView view;
  std::size_t end = text.find(kRecordSep);
  view.message = text.substr(0, end);
  while (end != std::string_view::npos) {
    const std::size_t start = end + 1;
    end = text.find(kRecordSep, start);
    std::string_view part = text.substr(start, end == std::string_view::npos ? end : end - start);
    const std::size_t split = part.find(kUnitSep);
    if (split == std::string_view::npos) continue;
    std::string_view key = part.substr(0, split);
    const bool number = key.starts_with(kNumberMark);
    if (number) key.remove_prefix(1);
    view.fields.push_back({key, part.substr(split + 1), number});
  }
  return view;
}

void append_json_string(std::string& out, std::string_view text) {
  out += '"';
  for (std::size_t i = 0; i < text.size();) {
    const char c = text[i];
    const std::size_t n = utf8_length(text, i);
    if (n == 0) {
      out += "\\ufffd";
      ++i;
      continue;
    }
    if (n > 1) {
      out.append(text.substr(i, n));
      i += n;
      continue;
    }
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
          out += buf;
        } else {
          out += c;
        }
    }
    ++i;
  }
  out += '"';
}

void append_json_log_line(std::string& out, std::string_view time, std::string_view level,
                          const LogRecordView& record) {
  out += "{\"time\":";
  append_json_string(out, time);
  out += ",\"level\":";
  append_json_string(out, level);
  out += ",\"msg\":";
  append_json_string(out, record.message);
  for (const auto& field : record.fields) {
    if (field.key == "time" || field.key == "level" || field.key == "msg") continue;
    out += ',';
    append_json_string(out, field.key);
    out += ':';
    bool plain_number = field.number && !field.value.empty();
    for (char c : field.value) plain_number = plain_number && ((c >= '0' && c <= '9') || c == '-');
    if (plain_number) {
      out.append(field.value);
    } else {
      append_json_string(out, field.value);
    }
  }
  out += '}';
}

void append_logfmt_log_line(std::string& out, std::string_view time, std::string_view level,
                            const LogRecordView& record) {
  auto value = [&](std::string_view v) {
    if (logfmt_needs_quotes(v)) {
      append_json_string(out, v);  // a JSON string is a valid logfmt quoted value
    } else {
      out.append(v);
    }
  };
  out += "time=";
  out.append(time);
  out += " level=";
  out.append(level);
  out += " msg=";
  value(record.message);
  for (const auto& field : record.fields) {
    out += ' ';
    for (char c : field.key) {
      const auto u = static_cast<unsigned char>(c);
      out += (u <= ' ' || c == '=' || c == '"' || u >= 0x7f) ? '_' : c;
    }
    out += '=';
    value(field.value);
  }
}

}  // namespace axon
