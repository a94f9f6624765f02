// Receiver: a small, fast HTTP/1.1 webhook receiver on 127.0.0.1 for the benchmarks.
//
// Listens on several ports (one per simulated customer host); each port has a mode:
//   ok   answers 204 (default)
//   fail answers 500
//   hang reads the request and never answers (holds the connection until the client gives up)
// A path starting with /ok, /fail or /hang overrides the port's mode for that request.
// pause() holds every ok/fail answer until resume(), which is how the drain benchmark
// fills the queue before it starts the clock (see BENCHMARKS.md).
//
// Parses just enough HTTP: request line, Content-Length bodies, keep-alive, pipelining,
// the X-Axon-Event-Id header. Records for every request its arrival time (CLOCK_REALTIME ns),
// port index and event id. GET /stats, /pause and /resume are control requests (not counted).
//
// TLS mode (use_tls before start): every port speaks HTTPS with the given certificate, with
// keep-alive and session resumption (tickets) like a production receiver; it counts the
// handshakes it completes, full and resumed, so a benchmark can report handshakes per
// delivery.
//
// Threading: `threads` worker threads (1–2), each with its own epoll set and its own
// SO_REUSEPORT listener per port. All public methods are safe to call from any thread.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace bench {

struct ReceiverImpl;

enum class Mode : int { ok = 0, fail = 1, hang = 2 };

const char* mode_name(Mode mode);
bool parse_mode(const std::string& text, Mode& mode);

struct Arrival {
  std::int64_t ns = 0;            // CLOCK_REALTIME at the moment the full request was read
  std::uint32_t port_index = 0;   // index into Receiver::ports()
  std::array<char, 36> event_id{};  // NUL-terminated X-Axon-Event-Id ("" when absent)
};

struct ReceiverStats {
  std::int64_t total = 0;
  std::vector<std::int64_t> per_port;
  std::int64_t first_ns = 0;  // 0 when nothing arrived yet
  std::int64_t last_ns = 0;
  std::int64_t tls_handshakes = 0;  // completed, full or resumed
  std::int64_t tls_resumed = 0;
};

class Receiver {
 public:
  // `ports`: 0 picks a free port. `record`: keep an Arrival per request.
  Receiver(std::vector<std::uint16_t> ports, int threads, bool record);
  ~Receiver();
  Receiver(const Receiver&) = delete;
  Receiver& operator=(const Receiver&) = delete;

  // Serve HTTPS with this certificate chain and key (PEM); false (with a message) when they
  // do not load. Call before start().
  bool use_tls(const std::string& certificate_pem, const std::string& key_pem, std::string* error);
  // Binds and starts the workers; false (with a message) on failure.
  bool start(std::string* error);
  void stop();

  const std::vector<std::uint16_t>& ports() const;
  void set_mode(std::size_t port_index, Mode mode);
  void pause();
  void resume();

  ReceiverStats stats() const;
  // Moves out the arrivals recorded so far (in no particular order).
  std::vector<Arrival> take_arrivals();
  // Zeroes counters and drops arrivals.
  void reset();
  // JSON text of stats() (what GET /stats answers).
  std::string stats_json() const;

 private:
  std::unique_ptr<ReceiverImpl> impl_;
};

}  // namespace bench
