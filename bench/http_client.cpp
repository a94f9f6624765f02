#include "http_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace bench {
namespace {

bool header_is(std::string_view line, std::string_view name) {
  if (line.size() <= name.size() || line[name.size()] != ':') return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    char c = line[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != name[i]) return false;
  }
  return true;
}

std::string_view header_value(std::string_view line) {
  std::string_view v = line.substr(line.find(':') + 1);
  while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
  return v;
}

}  // namespace

HttpClient::~HttpClient() { disconnect(); }

bool HttpClient::connect_now() {
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return false;
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port_);
  if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    disconnect();
    return false;
  }
  return true;
}

void HttpClient::disconnect() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  buf_.clear();
}

bool HttpClient::send_all(std::string_view data) {
  while (!data.empty()) {
    ssize_t n = send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

bool HttpClient::fill() {
  char tmp[65536];
  while (true) {
    ssize_t n = recv(fd_, tmp, sizeof tmp, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    buf_.append(tmp, static_cast<std::size_t>(n));
    return true;
  }
}

bool HttpClient::read_response(HttpResponse& out) {
  std::size_t head_end;
  while ((head_end = buf_.find("\r\n\r\n")) == std::string::npos) {
    if (!fill()) return false;
  }
  std::string_view head(buf_.data(), head_end);
  // "HTTP/1.1 202 Accepted"
  if (head.size() < 12) return false;
  out.status = std::atoi(std::string(head.substr(9, 3)).c_str());
  std::size_t content_length = 0;
  bool chunked = false, close_after = false;
  std::size_t pos = head.find("\r\n");
  while (pos != std::string_view::npos && pos < head.size()) {
    std::size_t e = head.find("\r\n", pos + 2);
    std::string_view line = head.substr(pos + 2, (e == std::string_view::npos ? head.size() : e) - pos - 2);
    if (header_is(line, "content-length")) {
      content_length = std::strtoull(std::string(header_value(line)).c_str(), nullptr, 10);
    } else if (header_is(line, "transfer-encoding")) {
      chunked = header_value(line).find("chunked") != std::string_view::npos;
    } else if (header_is(line, "connection")) {
      close_after = header_value(line).find("close") != std::string_view::npos;
    }
    pos = e;
  }
  buf_.erase(0, head_end + 4);
  out.body.clear();
  if (!chunked) {
    while (buf_.size() < content_length) {
      if (!fill()) return false;
    }
    out.body.assign(buf_, 0, content_length);
    buf_.erase(0, content_length);
  } else {
    while (true) {
      std::size_t line_end;
      while ((line_end = buf_.find("\r\n")) == std::string::npos) {
        if (!fill()) return false;
      }
      std::size_t size = std::strtoull(buf_.substr(0, line_end).c_str(), nullptr, 16);
      while (buf_.size() < line_end + 2 + size + 2) {
        if (!fill()) return false;
      }
      out.body.append(buf_, line_end + 2, size);
      buf_.erase(0, line_end + 2 + size + 2);
      if (size == 0) break;  // (trailers are not used by the server)
    }
  }
  if (close_after) disconnect();
  return true;
}

HttpResponse HttpClient::request(std::string_view method, std::string_view path,
                                 std::string_view body, std::string_view bearer,
                                 std::string_view extra_headers) {
  req_.clear();
  req_.append(method).append(" ").append(path).append(" HTTP/1.1\r\nHost: 127.0.0.1\r\n");
  if (!bearer.empty()) req_.append("Authorization: Bearer ").append(bearer).append("\r\n");
  if (!body.empty()) {
    req_.append("Content-Type: application/json\r\nContent-Length: ")
        .append(std::to_string(body.size()))
        .append("\r\n");
  } else if (method == "POST" || method == "PATCH") {
    req_.append("Content-Length: 0\r\n");
  }
  req_.append(extra_headers).append("\r\n").append(body);
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (fd_ < 0 && !connect_now()) continue;
    HttpResponse out;
    if (send_all(req_) && read_response(out)) return out;
    disconnect();
  }
  return {};
}

std::optional<double> scrape_metric(HttpClient& client, std::string_view name) {
  const HttpResponse r = client.request("GET", "/metrics", "", "");
  if (r.status != 200) return std::nullopt;
  std::optional<double> sum;
  std::size_t line = 0;
  while (line < r.body.size()) {
    std::size_t end = r.body.find('\n', line);
    if (end == std::string::npos) end = r.body.size();
    const std::string_view text(r.body.data() + line, end - line);
    if (text.starts_with(name) && text.size() > name.size() &&
        (text[name.size()] == ' ' || text[name.size()] == '{')) {
      const std::size_t value = text.rfind(' ');  // the sample's value ends the line
      sum = sum.value_or(0) + std::strtod(std::string(text.substr(value + 1)).c_str(), nullptr);
    }
    line = end + 1;
  }
  return sum;
}

}  // namespace bench
