// log_event(): one structured log record (message + fields) through spdlog. The fields
// reach the output as JSON members or logfmt pairs (see app/log_formatter and
// core/log_format.hpp), never pasted into the message.
// Never pass a secret, token, API key, signature or Authorization header as a field.
// Header-only so axon_core needs no spdlog; include it only from components that link spdlog.
#pragma once

#include <spdlog/spdlog.h>

#include "core/log_format.hpp"

namespace axon {

inline void log_event(spdlog::level::level_enum level, std::string_view message,
                      std::initializer_list<LogField> fields) {
  if (!spdlog::should_log(level)) return;
  spdlog::log(level, "{}", encode_log_record(message, fields));
}

}  // namespace axon
