// The receiver's insides (receiver.hpp is the interface): its shared state (ReceiverImpl) and
// the worker threads, each an epoll loop over its own listeners and connections.
// Thread-safety: a Worker's connections belong to its thread; ReceiverImpl's counters and
// flags are atomics; a Worker's arrivals are guarded by its mutex.
#pragma once

#include <sys/types.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_set>
#include <vector>

#include "receiver.hpp"
#include "tls_stream.hpp"

namespace bench {

struct ReceiverImpl;

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

}  // namespace bench
