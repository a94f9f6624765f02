// HttpClient: a tiny blocking HTTP/1.1 client for tests, on raw sockets. It keeps one
// connection alive across requests (reconnecting when the server closed it), reads answers
// framed by Content-Length, chunked encoding or connection close, and gives up after a
// receive timeout instead of hanging a test. Only for 127.0.0.1 / ::1.
// Thread-safety: one HttpClient per thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace axon::test {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpResponse {
  int status = 0;     // 0 when no answer arrived (see `error`)
  std::string error;  // transport problem, if any
  HttpHeaders headers;
  std::string body;

  // First header with this name (case-insensitive).
  std::optional<std::string> header(std::string_view name) const;
  // The body parsed as JSON (null if it is not JSON).
  nlohmann::json json() const;
};

class HttpClient {
 public:
  explicit HttpClient(std::uint16_t port, std::string host = "127.0.0.1",
                      std::chrono::milliseconds timeout = std::chrono::seconds(10));
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends one request. Adds Host and Content-Length; `headers` are sent as given.
  HttpResponse request(std::string_view method, std::string_view target, std::string_view body = {},
                       const HttpHeaders& headers = {});
  // JSON convenience: Content-Type application/json when a body is given, and
  // Authorization: Bearer <token> when a token is given.
  HttpResponse json(std::string_view method, std::string_view target, std::string_view token,
                    const nlohmann::json& body = nullptr, const HttpHeaders& extra = {});

  // Sends `bytes` as they are on the current connection and reads one answer.
  HttpResponse raw(std::string_view bytes);
  // Sends bytes without reading anything.
  bool send_only(std::string_view bytes);
  // Reads one answer (after send_only).
  HttpResponse read_response();

  // Reads until the bytes received so far contain `marker` (true; they are then dropped), or
  // EOF / the timeout (false). For interim answers such as "100 Continue".
  bool read_until(std::string_view marker);
  // Blocks until the server closes the connection (true) or the timeout passes (false).
  bool wait_for_close();
  void disconnect();
  bool connected() const { return fd_ >= 0; }

 private:
  bool ensure_connected(std::string& error);
  bool send_all(std::string_view bytes, std::string& error);
  // Reads more bytes into buffer_; false on EOF, timeout or error.
  bool fill(std::string& error);

  std::uint16_t port_;
  std::string host_;
  std::chrono::milliseconds timeout_;
  int fd_ = -1;
  std::string buffer_;
};

}  // namespace axon::test
