// TestReceiver: a real HTTP/1.1 server on 127.0.0.1 (port 0) that plays a webhook
// receiver in tests. It accepts many connections (one thread each), keeps them alive,
// records every request (method, target, headers, body, arrival time, connection id), and
// answers each one as a scriptable handler says: a status, headers, a body, after a delay,
// or no answer at all (close, or reset the connection).
//
//   TestReceiver rx([](const ReceivedRequest& r) {
//     return r.seq < 2 ? ScriptedResponse::status(500) : ScriptedResponse::ok();
//   });
//   ... deliver to rx.url("/hook") ...
//   ASSERT_TRUE(rx.wait_for_requests(3, 5s));
//
// With TlsReceiverOptions it speaks HTTPS instead (support/tls_channel.hpp): its own
// certificate, optionally requiring a client certificate, and it counts handshakes.
//
// Thread-safety: every method may be called from any thread. The handler runs on the
// connection threads, possibly concurrently, so it must be thread-safe itself.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "support/tls_channel.hpp"

namespace axon::test {

using TestHeaders = std::vector<std::pair<std::string, std::string>>;

struct ReceivedRequest {
  std::size_t seq = 0;                    // arrival order over all connections, from 0
  std::uint64_t connection_id = 0;        // accepted connections are numbered from 1
  std::size_t request_on_connection = 0;  // 0 for the first request on a connection
  std::string method;
  std::string target;                                // path and query as sent
  std::string version;                               // "HTTP/1.1"
  TestHeaders headers;                               // in arrival order, names as sent
  std::string body;                                  // de-chunked if it was chunked
  std::string client_certificate_subject;            // TLS client certificate, "" if none
  std::chrono::steady_clock::time_point arrived_at;  // when the request was fully read

  // The first header of that name (case-insensitive).
  std::optional<std::string> header(std::string_view name) const;
};

struct ScriptedResponse {
  enum class Action {
    respond,                 // send the response (after `delay`)
    close_without_response,  // after `delay`, close the connection cleanly (FIN)
    reset,                   // after `delay`, reset the connection (RST)
  };
  int status = 200;
  TestHeaders headers;
  std::string body;
  std::chrono::milliseconds delay{0};
  Action action = Action::respond;
  bool close_after = false;  // answer with "Connection: close" and close

  static ScriptedResponse ok() { return {}; }
  static ScriptedResponse with_status(int code, std::string body = {}) {
    ScriptedResponse r;
    r.status = code;
    r.body = std::move(body);
    return r;
  }
  static ScriptedResponse hang(std::chrono::milliseconds for_how_long) {
    ScriptedResponse r;
    r.delay = for_how_long;
    return r;
  }
  static ScriptedResponse reset_connection() {
    ScriptedResponse r;
    r.action = Action::reset;
    return r;
  }
  static ScriptedResponse close_connection() {
    ScriptedResponse r;
    r.action = Action::close_without_response;
    return r;
  }
};

struct TlsCounts {
  int handshakes = 0;  // completed, full or resumed
  int resumed = 0;     // of which resumed a TLS session
  int failed = 0;      // handshakes that did not complete
};

class TestReceiver {
 public:
  using Handler = std::function<ScriptedResponse(const ReceivedRequest&)>;

  // Binds 127.0.0.1:0 and starts accepting. Throws std::runtime_error if it cannot bind.
  // No handler: every request gets 200 with an empty body.
  explicit TestReceiver(Handler handler = {});
  // The same over TLS (nullopt: plain HTTP).
  TestReceiver(Handler handler, std::optional<TlsReceiverOptions> tls);
  ~TestReceiver();  // stop()
  TestReceiver(const TestReceiver&) = delete;
  TestReceiver& operator=(const TestReceiver&) = delete;

  std::uint16_t port() const;
  // "http(s)://127.0.0.1:<port><path>"
  std::string url(std::string_view path = "/") const;
  // The same with another host name in it, e.g. "localhost".
  std::string url_for_host(std::string_view host, std::string_view path = "/") const;

  void set_handler(Handler handler);

  std::vector<ReceivedRequest> requests() const;
  std::size_t request_count() const;
  // Waits (polling, with a deadline) until at least `n` requests arrived.
  bool wait_for_requests(std::size_t n, std::chrono::milliseconds timeout) const;

  // Most requests being handled at the same moment (read, not yet answered).
  int max_concurrent() const;
  int connections_accepted() const;
  TlsCounts tls_counts() const;

  // Stops accepting, interrupts delays, closes every connection, joins the threads.
  void stop();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace axon::test
