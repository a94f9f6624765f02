#include "app/serve_options.hpp"

#include <algorithm>
#include <charconv>
#include <string>

#include "core/duration.hpp"

namespace axon {

int default_api_threads(std::string_view db_url, unsigned cores) {
  constexpr int kPostgresThreads = 8;
  if (!db_url.starts_with("sqlite:")) return kPostgresThreads;
  return std::clamp(static_cast<int>(cores), 2, kPostgresThreads);
}

Result<Millis> parse_retention(std::string_view text) {
  if (text == "0") return 0;
  auto window = parse_duration(text);
  if (!window) {
    return fail(Errc::invalid_request,
                window.error().message + "; use e.g. 30d, 12h or 5m, or 0 to keep everything");
  }
  return *window;
}

Result<std::pair<std::string, std::uint16_t>> parse_listen_address(std::string_view text) {
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos)
    return fail(Errc::invalid_request, "listen address must be HOST:PORT, got '" +
                                           std::string(text) + "'");
  std::string host(text.substr(0, colon));
  std::string_view port_text = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (host.empty()) host = "127.0.0.1";
  unsigned port = 0;
  auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || ptr != port_text.data() + port_text.size() || port > 65535)
    return fail(Errc::invalid_request, "invalid port in listen address '" + std::string(text) + "'");
  return std::pair{host, static_cast<std::uint16_t>(port)};
}

}  // namespace axon
