// TestProxy: a real HTTP proxy (Debian's tinyproxy) for egress-proxy tests, started on a
// free 127.0.0.1 port with its own config and log in a temp dir, stopped on destruction.
// The log shows every request the proxy received ("CONNECT 127.0.0.1:PORT HTTP/1.1"), so
// tests can prove a delivery went through it, or that it never heard of a destination.
// Throws std::runtime_error when tinyproxy is missing or does not come up.
// Thread-safety: one owner; log() may be called from any thread.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "support/temp_dir.hpp"

namespace axon::test {

class TestProxy {
 public:
  // With `refuse_all`, the proxy answers every request 403 without connecting anywhere
  // (a destination outside 127.0.0.1 can then be asked for and never reached).
  explicit TestProxy(bool refuse_all = false);
  ~TestProxy();
  TestProxy(const TestProxy&) = delete;
  TestProxy& operator=(const TestProxy&) = delete;

  std::uint16_t port() const { return port_; }
  std::string url() const;  // "http://127.0.0.1:<port>"
  std::string log() const;  // everything tinyproxy logged so far
  // Polls the log (deadline 5 s) until it contains `text`.
  bool wait_for_log(const std::string& text) const;

 private:
  TempDir dir_{"axon-proxy-"};
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace axon::test
