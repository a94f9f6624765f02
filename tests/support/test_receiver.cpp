#include "support/test_receiver.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace axon::test {
namespace {

constexpr std::size_t kMaxHeaderBytes = 64 * 1024;

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

const char* reason_phrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 410:
      return "Gone";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

// Buffered reads from one connection.
class Reader {
 public:
  explicit Reader(Channel& channel) : channel_(channel) {}

  // Reads until `buffer` holds at least `n` bytes. False on EOF or error.
  bool fill(std::size_t n) {
    char chunk[16 * 1024];
    while (buffer.size() < n) {
      const ssize_t got = channel_.read(chunk, sizeof chunk);
      if (got <= 0) return false;
      buffer.append(chunk, static_cast<std::size_t>(got));
    }
    return true;
  }

  // Reads through the next CRLF; the line without it. nullopt on EOF or an absurd line.
  std::optional<std::string> line() {
    std::size_t searched = 0;
    while (true) {
      const auto pos = buffer.find("\r\n", searched);
      if (pos != std::string::npos) {
        std::string out = buffer.substr(0, pos);
        buffer.erase(0, pos + 2);
        return out;
      }
      if (buffer.size() > kMaxHeaderBytes) return std::nullopt;
      searched = buffer.empty() ? 0 : buffer.size() - 1;
      if (!fill(buffer.size() + 1)) return std::nullopt;
    }
  }

  std::optional<std::string> take(std::size_t n) {
    if (!fill(n)) return std::nullopt;
    std::string out = buffer.substr(0, n);
    buffer.erase(0, n);
    return out;
  }

  std::string buffer;

 private:
  Channel& channel_;
};

}  // namespace

std::optional<std::string> ReceivedRequest::header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (iequals(n, name)) return v;
  }
  return std::nullopt;
}

struct TestReceiver::Impl : std::enable_shared_from_this<Impl> {
  int listen_fd = -1;
  std::uint16_t port = 0;
  std::unique_ptr<TlsServerContext> tls;  // null: plain HTTP

  mutable std::mutex mu;
  std::condition_variable cv;  // delays wake on stop
  bool stopping = false;
  std::shared_ptr<const Handler> handler;
  std::vector<ReceivedRequest> log;
  std::map<std::uint64_t, int> open_fds;
  std::vector<std::thread> threads;
  std::thread acceptor;
  std::uint64_t next_connection = 1;
  int active = 0;
  int peak = 0;
  int accepted = 0;
  int handshakes = 0;  // completed TLS handshakes, full or resumed
  int resumed = 0;
  int failed_handshakes = 0;

  void accept_loop() {
    while (true) {
      const int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        return;  // listening socket shut down
      }
      const int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      std::lock_guard lock(mu);
      if (stopping) {
        ::close(fd);
        return;
      }
      const std::uint64_t id = next_connection++;
      ++accepted;
      open_fds.emplace(id, fd);
      threads.emplace_back([self = shared_from_this(), fd, id] { self->serve(fd, id); });
    }
  }

  // Reads one request; nullopt when the connection ends or sends garbage.
  std::optional<ReceivedRequest> read_request(Reader& in, Channel& channel) {
    auto request_line = in.line();
    while (request_line && request_line->empty()) request_line = in.line();  // stray CRLFs
    if (!request_line) return std::nullopt;
    ReceivedRequest r;
    const auto sp1 = request_line->find(' ');
    const auto sp2 = request_line->rfind(' ');
    if (sp1 == std::string::npos || sp2 == sp1) return std::nullopt;
    r.method = request_line->substr(0, sp1);
    r.target = request_line->substr(sp1 + 1, sp2 - sp1 - 1);
    r.version = request_line->substr(sp2 + 1);
    while (true) {
      auto h = in.line();
      if (!h) return std::nullopt;
      if (h->empty()) break;
      const auto colon = h->find(':');
      if (colon == std::string::npos) return std::nullopt;
      r.headers.emplace_back(h->substr(0, colon),
                             std::string(trim(std::string_view(*h).substr(colon + 1))));
    }
    if (auto expect = r.header("Expect"); expect && iequals(*expect, "100-continue")) {
      if (!channel.write_all("HTTP/1.1 100 Continue\r\n\r\n")) return std::nullopt;
    }
    auto te = r.header("Transfer-Encoding");
    if (te && iequals(*te, "chunked")) {
      while (true) {
        auto size_line = in.line();
        if (!size_line) return std::nullopt;
        const std::size_t size = std::stoul(*size_line, nullptr, 16);
        if (size == 0) {
          while (true) {  // trailers
            auto t = in.line();
            if (!t) return std::nullopt;
            if (t->empty()) break;
          }
          break;
        }
        auto chunk = in.take(size + 2);
        if (!chunk) return std::nullopt;
        r.body.append(*chunk, 0, size);
      }
    } else if (auto cl = r.header("Content-Length")) {
      auto body = in.take(std::stoul(*cl));
      if (!body) return std::nullopt;
      r.body = std::move(*body);
    }
    r.arrived_at = std::chrono::steady_clock::now();
    return r;
  }

  // Waits `delay` unless stopping; false when stopping.
  bool wait(std::chrono::milliseconds delay) {
    std::unique_lock lock(mu);
    cv.wait_for(lock, delay, [&] { return stopping; });
    return !stopping;
  }

  // Runs the TLS handshake when this is a TLS receiver; false when it failed.
  bool start_tls(Channel& channel) {
    if (!tls) return true;
    const bool ok = tls->handshake(channel);
    std::lock_guard lock(mu);
    if (!ok) {
      ++failed_handshakes;
    } else {
      ++handshakes;
      if (channel.session_reused()) ++resumed;
    }
    return ok;
  }

  void serve(int fd, std::uint64_t connection_id) {
    Channel channel(fd);
    Reader in(channel);
    const bool usable = start_tls(channel);
    const std::string client_subject = channel.peer_subject();
    for (std::size_t n = 0; usable; ++n) {
      std::optional<ReceivedRequest> request;
      try {
        request = read_request(in, channel);
      } catch (const std::exception&) {  // bad number in a length: drop the connection
        request.reset();
      }
      if (!request) break;
      request->connection_id = connection_id;
      request->client_certificate_subject = client_subject;
      request->request_on_connection = n;
      std::shared_ptr<const Handler> h;
      {
        std::lock_guard lock(mu);
        request->seq = log.size();
        log.push_back(*request);
        h = handler;
        peak = std::max(peak, ++active);
      }
      ScriptedResponse response = (h && *h) ? (*h)(*request) : ScriptedResponse::ok();
      const bool keep = respond(channel, *request, response);
      {
        std::lock_guard lock(mu);
        --active;
      }
      if (!keep) break;
    }
    std::lock_guard lock(mu);
    if (open_fds.erase(connection_id)) ::close(fd);
  }

  // Answers as scripted; false when the connection must end.
  bool respond(Channel& channel, const ReceivedRequest& request,
               const ScriptedResponse& response) {
    if (response.delay.count() > 0 && !wait(response.delay)) return false;
    if (response.action == ScriptedResponse::Action::reset) {
      const linger hard{1, 0};
      ::setsockopt(channel.fd(), SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
      return false;  // close() with zero linger sends RST
    }
    if (response.action == ScriptedResponse::Action::close_without_response) return false;
    const auto connection = request.header("Connection");
    const bool close = response.close_after || request.version != "HTTP/1.1" ||
                       (connection && iequals(*connection, "close"));
    std::string out = "HTTP/1.1 " + std::to_string(response.status) + " " +
                      reason_phrase(response.status) + "\r\n";
    bool has_length = false;
    for (const auto& [name, value] : response.headers) {
      has_length |= iequals(name, "Content-Length");
      out += name + ": " + value + "\r\n";
    }
    if (!has_length) out += "Content-Length: " + std::to_string(response.body.size()) + "\r\n";
    if (close) out += "Connection: close\r\n";
    out += "\r\n";
    out += response.body;
    return channel.write_all(out) && !close;
  }

  void stop() {
    std::vector<std::thread> to_join;
    {
      std::lock_guard lock(mu);
      if (stopping) return;
      stopping = true;
      for (auto& [id, fd] : open_fds) ::shutdown(fd, SHUT_RDWR);
    }
    cv.notify_all();
    ::shutdown(listen_fd, SHUT_RDWR);
    if (acceptor.joinable()) acceptor.join();
    {
      std::lock_guard lock(mu);
      to_join.swap(threads);
    }
    for (auto& t : to_join) t.join();
    ::close(listen_fd);
    std::lock_guard lock(mu);
    for (auto& [id, fd] : open_fds) ::close(fd);
    open_fds.clear();
  }
};

TestReceiver::TestReceiver(Handler handler) : TestReceiver(std::move(handler), std::nullopt) {}

TestReceiver::TestReceiver(Handler handler, std::optional<TlsReceiverOptions> tls)
    : impl_(std::make_shared<Impl>()) {
  if (tls) impl_->tls = std::make_unique<TlsServerContext>(*tls);
  impl_->handler = std::make_shared<const Handler>(std::move(handler));
  impl_->listen_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (impl_->listen_fd < 0) throw std::runtime_error("test receiver: socket() failed");
  const int one = 1;
  ::setsockopt(impl_->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(impl_->listen_fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(impl_->listen_fd, 1024) != 0) {
    ::close(impl_->listen_fd);
    throw std::runtime_error("test receiver: cannot listen on 127.0.0.1:0");
  }
  socklen_t len = sizeof addr;
  ::getsockname(impl_->listen_fd, reinterpret_cast<sockaddr*>(&addr), &len);
  impl_->port = ntohs(addr.sin_port);
  impl_->acceptor = std::thread([impl = impl_.get()] { impl->accept_loop(); });
}

TestReceiver::~TestReceiver() { stop(); }

std::uint16_t TestReceiver::port() const { return impl_->port; }

std::string TestReceiver::url(std::string_view path) const {
  return url_for_host("127.0.0.1", path);
}

std::string TestReceiver::url_for_host(std::string_view host, std::string_view path) const {
  return std::string(impl_->tls ? "https://" : "http://") + std::string(host) + ":" +
         std::to_string(impl_->port) + std::string(path);
}

void TestReceiver::set_handler(Handler handler) {
  auto h = std::make_shared<const Handler>(std::move(handler));
  std::lock_guard lock(impl_->mu);
  impl_->handler = std::move(h);
}

std::vector<ReceivedRequest> TestReceiver::requests() const {
  std::lock_guard lock(impl_->mu);
  return impl_->log;
}

std::size_t TestReceiver::request_count() const {
  std::lock_guard lock(impl_->mu);
  return impl_->log.size();
}

bool TestReceiver::wait_for_requests(std::size_t n, std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (request_count() < n) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

int TestReceiver::max_concurrent() const {
  std::lock_guard lock(impl_->mu);
  return impl_->peak;
}

int TestReceiver::connections_accepted() const {
  std::lock_guard lock(impl_->mu);
  return impl_->accepted;
}

TlsCounts TestReceiver::tls_counts() const {
  std::lock_guard lock(impl_->mu);
  return {impl_->handshakes, impl_->resumed, impl_->failed_handshakes};
}

void TestReceiver::stop() { impl_->stop(); }

}  // namespace axon::test
