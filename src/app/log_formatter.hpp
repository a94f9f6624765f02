// The spdlog formatter behind --log-format: every record becomes one line, either a JSON
// object {"time","level","msg",<fields>} or logfmt (time=… level=… msg=… key=value), with
// the fields of structured records (core/log.hpp) as members/pairs and everything escaped.
// Thread-safety: spdlog clones one per sink; format() keeps no state.
#pragma once

#include <memory>
#include <spdlog/formatter.h>

namespace axon {

enum class LogFormat { logfmt, json };

std::unique_ptr<spdlog::formatter> make_log_formatter(LogFormat format);

}  // namespace axon
