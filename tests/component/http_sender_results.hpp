// Waiting for an HttpSender's results in the component tests: its poll() is the only way a
// transfer finishes, so a test drives it until the results it expects arrived or a deadline
// passed (no sleeps).
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstddef>
#include <utility>
#include <vector>

#include "delivery/http_sender.hpp"

namespace axon::test {

// Polls `sender` until `n` results arrived or 10 s passed; returns those that arrived.
inline std::vector<HttpResult> collect(HttpSender& sender, std::size_t n) {
  std::vector<HttpResult> all;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (all.size() < n && std::chrono::steady_clock::now() < deadline) {
    for (auto& r : sender.poll(100)) all.push_back(std::move(r));
  }
  return all;
}

// Submits `request` (tag 1) and returns its result; a test failure when none arrives.
inline HttpResult send_and_wait(HttpSender& sender, HttpRequest request) {
  sender.submit(std::move(request), 1);
  auto results = collect(sender, 1);
  if (results.empty()) {
    ADD_FAILURE() << "no result from the sender within 10 s";
    return {};
  }
  return std::move(results.front());
}

}  // namespace axon::test
