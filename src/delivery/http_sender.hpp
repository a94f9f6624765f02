// HttpSender: many concurrent webhook POSTs over one libcurl multi handle.
//
// submit() starts a POST; poll() drives every transfer and returns the finished ones. One
// multi handle means one connection cache, so keep-alive connections to a receiver are
// reused across deliveries; easy handles are recycled from a free list.
//
// Safety rules applied to every request: redirects are never followed, only http/https,
// no proxy from the environment, HTTP/1.1, a whole-request and a connect timeout, and —
// unless allow_private — an open-socket hook that refuses any address
// forbidden_address_reason() names (the address actually about to be connected, so DNS
// answers and odd literal spellings cannot slip past). A refused connect is error `blocked`.
//
// Response body: read up to 64 KiB (kMaxResponseBytes); the first 4 KiB (kExcerptBytes) are
// kept. A receiver that sends more has its transfer aborted at 64 KiB and the attempt is
// judged by the status code it already sent (the connection is not reused).
//
// TLS: the system's trusted CAs plus EgressOptions::extra_ca_pem (--ca-file), added to each
// new connection's trust store; a per-request client certificate (mTLS); TLS sessions are
// shared by all handles (a share handle), so a new connection to a receiver resumes its
// session instead of a full handshake, and keep-alive connections are reused as for http.
// TLS failures are described in words (delivery/tls_failure.hpp).
//
// Egress proxy (EgressOptions::proxy): every request is tunnelled through the HTTP proxy
// with CONNECT, to the address the SSRF guard checked beforehand
// (delivery/egress_route.hpp); the open-socket hook then sees only the proxy.
//
// Error classes (docs/receiving.md): timeout, dns, connect, tls, http, blocked. Transport failures
// that are neither DNS, TLS nor timeout — refused or reset connections, empty replies,
// send/receive errors — are `connect`: the receiver never gave us a usable answer.
//
// Thread-safety: single-threaded (the dispatcher thread), except wakeup(), which any
// thread may call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/retry_policy.hpp"
#include "store/models.hpp"

namespace axon {

struct EgressOptions {
  std::string extra_ca_pem;  // PEM certificates trusted in addition to the system store
  // The file libcurl loads as "the system store"; nullopt = its built-in default. Tests set it
  // to check that extra_ca_pem adds to the store rather than replacing it.
  std::optional<std::string> system_ca_file;
  std::optional<std::string> proxy;  // "http://host:port", checked by check_egress_proxy_url
};

struct HttpSenderOptions {
  Millis request_timeout = 15'000;  // whole request
  Millis connect_timeout = 10'000;  // capped at request_timeout
  bool allow_private = false;       // lift the SSRF guard (dev and tests)
  long max_host_connections = 64;   // per host:port (0 = none); more transfers queue inside libcurl
  long max_cached_connections = 1024;
  EgressOptions egress;
};

struct HttpRequest {
  std::string url;
  HeaderList headers;  // sent in order; names/values already validated (no CR/LF)
  // Shared with every other delivery of the event; held by the sender until the transfer
  // completes, never copied.
  std::shared_ptr<const std::string> body;
  // Presented when the receiver asks for a client certificate (PEM); empty = none.
  std::string client_certificate_pem;
  std::string client_key_pem;
};

struct HttpResult {
  std::uint64_t tag = 0;
  int status_code = 0;  // the response status, 0 when no response arrived
  AttemptError error = AttemptError::none;
  std::string error_message;  // empty on success
  std::optional<std::string> retry_after;
  std::string excerpt;  // first kExcerptBytes of the body, raw bytes
  Millis started_at = 0;
  int duration_ms = 0;
  std::string remote_address;  // the IP connected to, when a connection was made
};

class HttpSender {
 public:
  static constexpr std::size_t kMaxResponseBytes = 64 * 1024;
  static constexpr std::size_t kExcerptBytes = 4 * 1024;

  HttpSender(const Clock& clock, HttpSenderOptions options);
  ~HttpSender();  // aborts whatever is still in flight
  HttpSender(const HttpSender&) = delete;
  HttpSender& operator=(const HttpSender&) = delete;

  // Starts a POST. `tag` comes back with its result. A request that cannot even be set up
  // (e.g. out of memory) completes on the next poll() with an error.
  void submit(HttpRequest request, std::uint64_t tag);

  // Drives transfers, waiting up to `timeout_ms` for network activity or wakeup() when
  // nothing has finished yet; returns every transfer that finished.
  std::vector<HttpResult> poll(Millis timeout_ms);

  // Interrupts a poll() that is waiting. Thread-safe.
  void wakeup();

  // Cancels every transfer in flight without results (shutdown); returns their tags.
  std::vector<std::uint64_t> abort_all();

  std::size_t in_flight() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace axon
