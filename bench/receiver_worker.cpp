// The receiver's worker threads: accepting, reading and parsing just enough HTTP/1.1, answering
// by the port's mode, and holding answers while the receiver is paused.
#include "receiver_worker.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "wall_clock.hpp"

namespace bench {
namespace {

constexpr std::string_view k204 = "HTTP/1.1 204 No Content\r\n\r\n";
constexpr std::string_view k500 =
    "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n";

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

}  // namespace

void Worker::run() {
  epoll_event events[256];
  while (!owner->stopping.load()) {
    int n = epoll_wait(epfd, events, 256, 200);
    for (int i = 0; i < n; ++i) {
      auto* h = static_cast<Handle*>(events[i].data.ptr);
      if (h->kind == Handle::wake) {
        std::uint64_t v;
        if (read(wake.fd, &v, sizeof v) < 0) {
        }
        if (!owner->paused.load()) release_held();
      } else if (h->kind == Handle::listener) {
        accept_all(*h);
      } else {
        auto& c = static_cast<Conn&>(*h);
        if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP)) {
          on_readable(c);  // may close c
        } else if (events[i].events & EPOLLOUT) {
          flush(c);
        }
      }
    }
  }
  for (Conn* c : conns) {
    close(c->fd);
    delete c;
  }
  conns.clear();
  held.clear();
}

void Worker::accept_all(Handle& l) {
  while (true) {
    int fd = accept4(l.fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    auto* c = new Conn{};
    c->kind = Handle::connection;
    c->fd = fd;
    c->port_index = l.port_index;
    if (owner->tls) c->ssl = accept_tls(owner->tls, fd);
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.ptr = static_cast<Handle*>(c);
    epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
    conns.insert(c);
  }
}

// read()/send() on a connection, through TLS in TLS mode: -1 with errno EAGAIN while TLS
// waits for the socket, 0 at EOF.
ssize_t Worker::receive(Conn& c, char* buf, std::size_t size) {
  if (!c.ssl) return read(c.fd, buf, size);
  const ssize_t n = tls_read(c.ssl, buf, size);
  if (n > 0 && !c.handshake_counted) {  // the first bytes follow the finished handshake
    c.handshake_counted = true;
    owner->handshakes.fetch_add(1, std::memory_order_relaxed);
    if (SSL_session_reused(c.ssl)) owner->resumed.fetch_add(1, std::memory_order_relaxed);
  }
  return n;
}

ssize_t Worker::transmit(Conn& c, const char* data, std::size_t size) {
  if (!c.ssl) return send(c.fd, data, size, MSG_NOSIGNAL);
  return tls_write(c.ssl, data, size);
}

void Worker::on_readable(Conn& c) {
  char buf[65536];
  while (true) {
    ssize_t n = receive(c, buf, sizeof buf);
    if (n > 0) {
      c.in.append(buf, static_cast<std::size_t>(n));
      // TLS hands out one record per read: keep reading until it would block.
      if (!c.ssl && static_cast<std::size_t>(n) < sizeof buf) break;
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (n < 0 && errno == EINTR) continue;
    close_conn(c);  // EOF or error
    return;
  }
  process(c);
  if (c.in.size() > (16u << 20)) {  // a client that never ends its headers
    close_conn(c);
    return;
  }
  flush(c);
}

void Worker::process(Conn& c) {
  while (!c.hanging) {
    std::string_view data(c.in.data() + c.in_pos, c.in.size() - c.in_pos);
    std::size_t head_end = data.find("\r\n\r\n");
    if (head_end == std::string_view::npos) break;
    std::string_view head = data.substr(0, head_end);
    std::size_t line_end = head.find("\r\n");
    std::string_view line = head.substr(0, line_end);
    Request r;
    std::size_t sp1 = line.find(' ');
    std::size_t sp2 = line.find(' ', sp1 == std::string_view::npos ? 0 : sp1 + 1);
    r.method = line.substr(0, sp1);
    if (sp1 != std::string_view::npos) r.path = line.substr(sp1 + 1, sp2 - sp1 - 1);
    std::size_t content_length = 0;
    std::size_t pos = line_end == std::string_view::npos ? head.size() : line_end + 2;
    while (pos < head.size()) {
      std::size_t e = head.find("\r\n", pos);
      if (e == std::string_view::npos) e = head.size();
      std::string_view h = head.substr(pos, e - pos);
      pos = e + 2;
      std::size_t colon = h.find(':');
      if (colon == std::string_view::npos) continue;
      std::string_view name = trim(h.substr(0, colon)), value = trim(h.substr(colon + 1));
      if (iequals(name, "content-length")) {
        content_length = std::strtoull(std::string(value).c_str(), nullptr, 10);
      } else if (iequals(name, "x-axon-event-id")) {
        r.event_id = value;
      } else if (iequals(name, "connection")) {
        r.close = iequals(value, "close");
      }
    }
    std::size_t total = head_end + 4 + content_length;
    if (data.size() < total) break;
    c.in_pos += total;
    handle(c, r);
  }
  if (c.hanging || c.in_pos == c.in.size()) {
    c.in.clear();
    c.in_pos = 0;
  } else if (c.in_pos > 65536) {
    c.in.erase(0, c.in_pos);
    c.in_pos = 0;
  }
}

void Worker::handle(Conn& c, const Request& r) {
  if (r.method == "GET" && (r.path == "/stats" || r.path == "/pause" || r.path == "/resume")) {
    if (r.path == "/pause") owner->paused = true;
    if (r.path == "/resume") {
      owner->paused = false;
      owner->wake_all();
    }
    std::string body = r.path == "/stats" ? owner->stats_json() : "{\"ok\":true}";
    c.out += "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
             std::to_string(body.size()) + "\r\n\r\n" + body;
    if (r.close) c.close_after = true;
    return;
  }
  Mode mode = static_cast<Mode>(owner->modes[c.port_index].load(std::memory_order_relaxed));
  if (starts_with(r.path, "/hang")) mode = Mode::hang;
  else if (starts_with(r.path, "/fail")) mode = Mode::fail;
  else if (starts_with(r.path, "/ok")) mode = Mode::ok;

  std::int64_t ns = wall_ns();
  owner->count(c.port_index, ns);
  if (owner->record) {
    Arrival a;
    a.ns = ns;
    a.port_index = c.port_index;
    std::size_t n = std::min(r.event_id.size(), a.event_id.size() - 1);
    std::memcpy(a.event_id.data(), r.event_id.data(), n);
    std::lock_guard lock(mu);
    arrivals.push_back(a);
  }
  if (mode == Mode::hang) {
    c.hanging = true;  // read and dropped from now on; never answered
    return;
  }
  std::string_view answer = mode == Mode::fail ? k500 : k204;
  if (owner->paused.load() || !c.deferred.empty()) {
    c.deferred.append(answer);
    held.insert(&c);
  } else {
    c.out.append(answer);
  }
  if (r.close) c.close_after = true;
}

void Worker::flush(Conn& c) {
  while (!c.out.empty()) {
    ssize_t n = transmit(c, c.out.data(), c.out.size());
    if (n > 0) {
      c.out.erase(0, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!c.want_write) {
        c.want_write = true;
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLRDHUP | EPOLLOUT;
        ev.data.ptr = static_cast<Handle*>(&c);
        epoll_ctl(epfd, EPOLL_CTL_MOD, c.fd, &ev);
      }
      return;
    }
    close_conn(c);
    return;
  }
  if (c.want_write) {
    c.want_write = false;
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.ptr = static_cast<Handle*>(&c);
    epoll_ctl(epfd, EPOLL_CTL_MOD, c.fd, &ev);
  }
  if (c.close_after && c.deferred.empty()) close_conn(c);
}

void Worker::close_conn(Conn& c) {
  epoll_ctl(epfd, EPOLL_CTL_DEL, c.fd, nullptr);
  close(c.fd);
  conns.erase(&c);
  held.erase(&c);
  delete &c;
}

void Worker::release_held() {
  std::vector<Conn*> list(held.begin(), held.end());
  held.clear();
  for (Conn* c : list) {
    c->out.append(c->deferred);
    c->deferred.clear();
    flush(*c);
  }
}

}  // namespace bench
