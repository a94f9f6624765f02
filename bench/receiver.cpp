// The receiver's interface (receiver.hpp): setting up the listeners and workers
// (receiver_worker.cpp), stopping them, and reading the counters.
#include "receiver.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "receiver_worker.hpp"

namespace bench {

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
