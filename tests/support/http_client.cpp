#include "support/http_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace axon::test {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace

std::optional<std::string> HttpResponse::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) return value;
  }
  return std::nullopt;
}

nlohmann::json HttpResponse::json() const {
  return nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
}

HttpClient::HttpClient(std::uint16_t port, std::string host, std::chrono::milliseconds timeout)
    : port_(port), host_(std::move(host)), timeout_(timeout) {}

HttpClient::~HttpClient() { disconnect(); }

void HttpClient::disconnect() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  buffer_.clear();
}

bool HttpClient::ensure_connected(std::string& error) {
  if (fd_ >= 0) return true;
  const bool v6 = host_.find(':') != std::string::npos;
  int fd = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = std::string("socket: ") + std::strerror(errno);
    return false;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  int rc = -1;
  if (v6) {
    sockaddr_in6 addr{};
    addr.sin6_family = AF_INET6;
    addr.sin6_port = htons(port_);
    ::inet_pton(AF_INET6, host_.c_str(), &addr.sin6_addr);
    rc = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  } else {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port_);
    ::inet_pton(AF_INET, host_ == "localhost" ? "127.0.0.1" : host_.c_str(), &addr.sin_addr);
    rc = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  }
  if (rc != 0) {
    error = std::string("connect: ") + std::strerror(errno);
    ::close(fd);
    return false;
  }
  fd_ = fd;
  buffer_.clear();
  return true;
}

bool HttpClient::send_all(std::string_view bytes, std::string& error) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      error = std::string("send: ") + std::strerror(errno);
      return false;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

bool HttpClient::fill(std::string& error) {
  pollfd pfd{fd_, POLLIN, 0};
  int ready = ::poll(&pfd, 1, static_cast<int>(timeout_.count()));
  if (ready == 0) {
    error = "timeout";
    return false;
  }
  char chunk[16384];
  ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
  if (n < 0) {
    error = std::string("recv: ") + std::strerror(errno);
    return false;
  }
  if (n == 0) {
    error = "eof";
    return false;
  }
  buffer_.append(chunk, static_cast<std::size_t>(n));
  return true;
}

HttpResponse HttpClient::read_response() {
  HttpResponse response;
  if (fd_ < 0) {
    response.error = "not connected";
    return response;
  }
  std::size_t header_end;
  while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    if (!fill(response.error)) {
      disconnect();
      return response;
    }
  }
  std::string_view head(buffer_.data(), header_end);
  std::size_t line_end = head.find("\r\n");
  std::string_view status_line = head.substr(0, line_end);
  // "HTTP/1.1 200 OK"
  if (status_line.size() >= 12)
    response.status = std::atoi(std::string(status_line.substr(9, 3)).c_str());
  head.remove_prefix(line_end == std::string_view::npos ? head.size() : line_end + 2);
  while (!head.empty()) {
    std::size_t end = head.find("\r\n");
    std::string_view line = head.substr(0, end);
    head.remove_prefix(end == std::string_view::npos ? head.size() : end + 2);
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    response.headers.emplace_back(std::string(trim(line.substr(0, colon))),
                                  std::string(trim(line.substr(colon + 1))));
  }
  buffer_.erase(0, header_end + 4);

  const bool close = iequals(response.header("Connection").value_or(""), "close");
  if (response.status == 100) return read_response();  // skip 100 Continue
  if (auto length = response.header("Content-Length")) {
    std::size_t want = std::stoul(*length);
    while (buffer_.size() < want) {
      if (!fill(response.error)) {
        disconnect();
        return response;
      }
    }
    response.body = buffer_.substr(0, want);
    buffer_.erase(0, want);
  } else if (iequals(response.header("Transfer-Encoding").value_or(""), "chunked")) {
    for (;;) {
      std::size_t eol;
      while ((eol = buffer_.find("\r\n")) == std::string::npos) {
        if (!fill(response.error)) return disconnect(), response;
      }
      std::size_t size = std::stoul(buffer_.substr(0, eol), nullptr, 16);
      while (buffer_.size() < eol + 2 + size + 2) {
        if (!fill(response.error)) return disconnect(), response;
      }
      response.body += buffer_.substr(eol + 2, size);
      buffer_.erase(0, eol + 2 + size + 2);
      if (size == 0) break;
    }
  } else if (response.status != 204 && response.status != 304) {
    std::string ignored;
    while (fill(ignored)) {
    }
    response.body = buffer_;
    buffer_.clear();
    disconnect();
  }
  if (close) disconnect();
  return response;
}

bool HttpClient::send_only(std::string_view bytes) {
  std::string error;
  return ensure_connected(error) && send_all(bytes, error);
}

HttpResponse HttpClient::raw(std::string_view bytes) {
  HttpResponse response;
  if (!ensure_connected(response.error)) return response;
  // A failed send may still leave an answer to read (the server refused early).
  std::string send_error;
  send_all(bytes, send_error);
  response = read_response();
  if (response.status == 0 && response.error.empty()) response.error = send_error;
  return response;
}

HttpResponse HttpClient::request(std::string_view method, std::string_view target,
                                 std::string_view body, const HttpHeaders& headers) {
  std::string message;
  message.append(method).append(" ").append(target).append(" HTTP/1.1\r\n");
  message.append("Host: ").append(host_).append(":").append(std::to_string(port_)).append("\r\n");
  for (const auto& [name, value] : headers)
    message.append(name).append(": ").append(value).append("\r\n");
  if (!body.empty() || method == "POST" || method == "PATCH" || method == "PUT") {
    message.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
  }
  message.append("\r\n").append(body);
  HttpResponse response = raw(message);
  if (response.status == 0 && (response.error == "eof" || response.error.starts_with("send"))) {
    // The server closed an idle keep-alive connection: try once on a fresh one.
    disconnect();
    response = raw(message);
  }
  return response;
}

HttpResponse HttpClient::json(std::string_view method, std::string_view target,
                              std::string_view token, const nlohmann::json& body,
                              const HttpHeaders& extra) {
  HttpHeaders headers = extra;
  if (!token.empty()) headers.emplace_back("Authorization", "Bearer " + std::string(token));
  std::string text;
  if (!body.is_null()) {
    headers.emplace_back("Content-Type", "application/json");
    text = body.dump();
  }
  return request(method, target, text, headers);
}

bool HttpClient::read_until(std::string_view marker) {
  std::string error;
  while (buffer_.find(marker) == std::string::npos) {
    if (fd_ < 0 || !fill(error)) return false;
  }
  buffer_.erase(0, buffer_.find(marker) + marker.size());
  return true;
}

bool HttpClient::wait_for_close() {
  if (fd_ < 0) return true;
  std::string error;
  while (fill(error)) {
  }
  if (error == "timeout") return false;
  disconnect();
  return true;
}

}  // namespace axon::test
