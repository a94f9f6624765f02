// Structured log lines: a message plus key/value fields, rendered as one JSON object or one
// logfmt line per record. I/O-free; the spdlog formatter (app/log_formatter) and the
// log_event() helper (core/log.hpp) are the only users.
//
// A structured record travels through spdlog as its message text: the message, then each
// field as RS key US value (ASCII record/unit separators). encode_log_record() replaces
// those two bytes inside keys and values, so a value (a tenant name, an error text) cannot
// forge a field; every renderer escapes what it writes.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace axon {

struct LogField {
  LogField(std::string_view k, std::string_view v) : key(k), value(v) {}
  LogField(std::string_view k, const char* v) : key(k), value(v ? v : "") {}
  LogField(std::string_view k, const std::string& v) : key(k), value(v) {}
  LogField(std::string_view k, std::int64_t v) : key(k), value(std::to_string(v)), number(true) {}
  LogField(std::string_view k, int v) : LogField(k, static_cast<std::int64_t>(v)) {}
  LogField(std::string_view k, long long v) : LogField(k, static_cast<std::int64_t>(v)) {}

  std::string_view key;
  std::string value;
  bool number = false;  // rendered unquoted in JSON
};

std::string encode_log_record(std::string_view message, std::initializer_list<LogField> fields);

struct LogRecordView {
  std::string_view message;
  struct Field {
    std::string_view key;
    std::string_view value;
    bool number;
  };
  std::vector<Field> fields;
};
// Splits what encode_log_record produced; plain text is a message without fields.
LogRecordView decode_log_record(std::string_view text);

// JSON string literal (quotes included), control characters and invalid UTF-8 escaped/replaced.
void append_json_string(std::string& out, std::string_view text);

// {"time":…,"level":…,"msg":…,<fields>}  (no newline)
void append_json_log_line(std::string& out, std::string_view time, std::string_view level,
                          const LogRecordView& record);
// time level msg="…" key=value key="quoted value"  (no newline)
void append_logfmt_log_line(std::string& out, std::string_view time, std::string_view level,
                            const LogRecordView& record);

}  // namespace axon
