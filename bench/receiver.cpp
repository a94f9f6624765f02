#include "receiver.hpp"

#include "tls_stream.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <string_view>
#include <thread>
#include <unordered_set>

namespace bench {
namespace {

std::int64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

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

// What an epoll entry points at.
struct Handle {
  enum Kind { listener, connection, wake } kind;
  int fd = -1;
  std::uint32_t port_index = 0;
};

struct Conn : Handle {
  SSL* ssl = nullptr;  // TLS mode: the session on fd (SSL_read/SSL_write replace read/send)
  ~Conn() { SSL_free(ssl); }
  bool handshake_counted = false;
  std::string in;
  std::size_t in_pos = 0;
  std::string out;
  std::string deferred;  // answers held while the receiver is paused
  bool hanging = false;
  bool close_after = false;
  bool want_write = false;
};

struct Request {
  std::string_view method, path, event_id;
  bool close = false;
};

}  // namespace

const char* mode_name(Mode mode) {
  switch (mode) {
    case Mode::ok: return "ok";
    case Mode::fail: return "fail";
    case Mode::hang: return "hang";
  }
  return "?";
}

bool parse_mode(const std::string& text, Mode& mode) {
  if (text == "ok") mode = Mode::ok;
  else if (text == "fail") mode = Mode::fail;
  else if (text == "hang") mode = Mode::hang;
  else return false;
  return true;
}

struct Worker {
  ReceiverImpl* owner = nullptr;
  int epfd = -1;
  Handle wake{Handle::wake};
  std::vector<std::unique_ptr<Handle>> listeners;
  std::unordered_set<Conn*> conns;
  std::unordered_set<Conn*> held;
  std::thread thread;
  std::mutex mu;  // guards arrivals
  std::vector<Arrival> arrivals;

  void run();
  void accept_all(Handle& l);
  void on_readable(Conn& c);
  void process(Conn& c);
  void handle(Conn& c, const Request& r);
  void flush(Conn& c);
  void close_conn(Conn& c);
  ssize_t receive(Conn& c, char* buf, std::size_t size);
  ssize_t transmit(Conn& c, const char* data, std::size_t size);
  void release_held();
};

struct ReceiverImpl {
  std::vector<std::uint16_t> ports;
  int threads = 1;
  bool record = false;
  std::unique_ptr<std::atomic<int>[]> modes;
  std::unique_ptr<std::atomic<std::int64_t>[]> per_port;
  std::atomic<std::int64_t> total{0}, first_ns{0}, last_ns{0};
  SSL_CTX* tls = nullptr;  // null: plain HTTP
  std::atomic<std::int64_t> handshakes{0}, resumed{0};
  std::atomic<bool> paused{false}, stopping{false};
  std::vector<std::unique_ptr<Worker>> workers;
  bool started = false;

  void count(std::uint32_t port_index, std::int64_t ns) {
    per_port[port_index].fetch_add(1, std::memory_order_relaxed);
    total.fetch_add(1, std::memory_order_relaxed);
    std::int64_t zero = 0;
    first_ns.compare_exchange_strong(zero, ns);
    std::int64_t last = last_ns.load(std::memory_order_relaxed);
    while (last < ns && !last_ns.compare_exchange_weak(last, ns)) {
    }
  }
  std::string stats_json() const {
    std::string body = "{\"total\":" + std::to_string(total.load()) + ",\"per_port\":[";
    for (std::size_t i = 0; i < ports.size(); ++i) {
      if (i) body += ',';
      body += std::to_string(per_port[i].load());
    }
    body += "],\"first_ns\":" + std::to_string(first_ns.load()) +
            ",\"last_ns\":" + std::to_string(last_ns.load()) + "}";
    return body;
  }
  void wake_all() {
    for (auto& w : workers) {
      std::uint64_t one = 1;
      if (write(w->wake.fd, &one, sizeof one) < 0) {
      }
    }
  }
};

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

  std::int64_t ns = now_ns();
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

Receiver::Receiver(std::vector<std::uint16_t> ports, int threads, bool record)
    : impl_(std::make_unique<ReceiverImpl>()) {
  impl_->ports = std::move(ports);
  impl_->threads = threads < 1 ? 1 : threads;
  impl_->record = record;
  impl_->modes = std::make_unique<std::atomic<int>[]>(impl_->ports.size());
  impl_->per_port = std::make_unique<std::atomic<std::int64_t>[]>(impl_->ports.size());
  for (std::size_t i = 0; i < impl_->ports.size(); ++i) {
    impl_->modes[i] = 0;
    impl_->per_port[i] = 0;
  }
}

Receiver::~Receiver() {
  stop();
  if (impl_->tls) SSL_CTX_free(impl_->tls);
}

bool Receiver::use_tls(const std::string& certificate_pem, const std::string& key_pem,
                       std::string* error) {
  impl_->tls = make_tls_server_context(certificate_pem, key_pem, error);
  return impl_->tls != nullptr;
}

bool Receiver::start(std::string* error) {
  auto fail = [&](const std::string& what) {
    if (error) *error = what + ": " + std::strerror(errno);
    return false;
  };
  for (int t = 0; t < impl_->threads; ++t) {
    auto w = std::make_unique<Worker>();
    w->owner = impl_.get();
    w->epfd = epoll_create1(EPOLL_CLOEXEC);
    w->wake.fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (w->epfd < 0 || w->wake.fd < 0) return fail("epoll/eventfd");
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = &w->wake;
    epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->wake.fd, &ev);
    for (std::size_t i = 0; i < impl_->ports.size(); ++i) {
      int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      int one = 1;
      setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
      setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      addr.sin_port = htons(impl_->ports[i]);
      if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return fail("bind");
      if (listen(fd, 4096) != 0) return fail("listen");
      socklen_t len = sizeof addr;
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
      impl_->ports[i] = ntohs(addr.sin_port);  // later workers bind the same port
      auto l = std::make_unique<Handle>(Handle{Handle::listener, fd, static_cast<std::uint32_t>(i)});
      ev.events = EPOLLIN;
      ev.data.ptr = l.get();
      epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev);
      w->listeners.push_back(std::move(l));
    }
    impl_->workers.push_back(std::move(w));
  }
  for (auto& w : impl_->workers) w->thread = std::thread([p = w.get()] { p->run(); });
  impl_->started = true;
  return true;
}

void Receiver::stop() {
  if (!impl_->started) return;
  impl_->started = false;
  impl_->stopping = true;
  impl_->wake_all();
  for (auto& w : impl_->workers) {
    w->thread.join();
    for (auto& l : w->listeners) close(l->fd);
    close(w->wake.fd);
    close(w->epfd);
  }
}

const std::vector<std::uint16_t>& Receiver::ports() const { return impl_->ports; }

void Receiver::set_mode(std::size_t port_index, Mode mode) {
  impl_->modes[port_index] = static_cast<int>(mode);
}

void Receiver::pause() { impl_->paused = true; }

void Receiver::resume() {
  impl_->paused = false;
  impl_->wake_all();
}

ReceiverStats Receiver::stats() const {
  ReceiverStats s;
  s.total = impl_->total.load();
  for (std::size_t i = 0; i < impl_->ports.size(); ++i) s.per_port.push_back(impl_->per_port[i]);
  s.first_ns = impl_->first_ns.load();
  s.last_ns = impl_->last_ns.load();
  s.tls_handshakes = impl_->handshakes.load();
  s.tls_resumed = impl_->resumed.load();
  return s;
}

std::vector<Arrival> Receiver::take_arrivals() {
  std::vector<Arrival> out;
  for (auto& w : impl_->workers) {
    std::lock_guard lock(w->mu);
    if (out.empty()) {
      out = std::move(w->arrivals);
    } else {
      out.insert(out.end(), w->arrivals.begin(), w->arrivals.end());
    }
    w->arrivals = {};
  }
  return out;
}

void Receiver::reset() {
  take_arrivals();
  impl_->total = 0;
  impl_->first_ns = 0;
  impl_->last_ns = 0;
  for (std::size_t i = 0; i < impl_->ports.size(); ++i) impl_->per_port[i] = 0;
}

std::string Receiver::stats_json() const { return impl_->stats_json(); }

}  // namespace bench
