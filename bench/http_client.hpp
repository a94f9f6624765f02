// HttpClient: one blocking keep-alive HTTP/1.1 connection to 127.0.0.1:port, for the load
// generator's API calls. Understands Content-Length and chunked responses.
// Thread-safety: none; use one client per thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace bench {

struct HttpResponse {
  int status = 0;  // 0 = transport failure
  std::string body;
};

class HttpClient {
 public:
  explicit HttpClient(std::uint16_t port) : port_(port) {}
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends one request (JSON body when non-empty) and reads the answer. Reconnects once
  // when a kept-alive connection turns out to be closed.
  HttpResponse request(std::string_view method, std::string_view path, std::string_view body,
                       std::string_view bearer, std::string_view extra_headers = {});

 private:
  bool connect_now();
  void disconnect();
  bool send_all(std::string_view data);
  bool read_response(HttpResponse& out);
  bool fill();  // reads more bytes into buf_; false on EOF/error

  std::uint16_t port_;
  int fd_ = -1;
  std::string buf_;
  std::string req_;
};

// GETs the server's /metrics and adds up the samples of the metric `name` (every label set);
// nullopt when the answer is not 200 or has no such sample.
std::optional<double> scrape_metric(HttpClient& client, std::string_view name);

}  // namespace bench
