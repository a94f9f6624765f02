#include "app/log_formatter.hpp"

#include <ctime>
#include <string>

#include <spdlog/details/log_msg.h>

#include "core/log_format.hpp"

namespace axon {
namespace {

class StructuredFormatter final : public spdlog::formatter {
 public:
  explicit StructuredFormatter(LogFormat format) : format_(format) {}

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const auto since_epoch = msg.time.time_since_epoch();
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch).count();
    const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    char time[96];
    std::snprintf(time, sizeof time, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<int>(ms % 1000));
    const auto level_name = spdlog::level::to_string_view(msg.level);
    const std::string_view level(level_name.data(), level_name.size());
    const LogRecordView record =
        decode_log_record(std::string_view(msg.payload.data(), msg.payload.size()));
    std::string line;
    line.reserve(msg.payload.size() + 64);
    if (format_ == LogFormat::json) {
      append_json_log_line(line, time, level, record);
    } else {
      append_logfmt_log_line(line, time, level, record);
    }
    line += '\n';
    dest.append(line.data(), line.data() + line.size());
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<StructuredFormatter>(format_);
  }

 private:
  LogFormat format_;
};

}  // namespace

std::unique_ptr<spdlog::formatter> make_log_formatter(LogFormat format) {
  return std::make_unique<StructuredFormatter>(format);
}

}  // namespace axon
