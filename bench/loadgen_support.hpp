// Small helpers every bench_loadgen scenario uses: its log line, waiting for a condition,
// comma-separated option lists, and percentiles of latencies.
// Thread-safety: all are free functions of their arguments (say() writes one line to stderr).
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

namespace bench {

inline void say(const std::string& msg) { std::cerr << "[loadgen] " << msg << std::endl; }

// Polls `done` every `poll_ms` until it is true or `timeout_s` passes.
inline bool wait_for(const std::function<bool()>& done, double timeout_s, int poll_ms = 5) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(poll_ms));
  }
  return true;
}

// "1,32" -> {"1", "32"}; empty items are dropped.
inline std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos <= s.size()) {
    std::size_t c = s.find(',', pos);
    if (c == std::string::npos) c = s.size();
    if (c > pos) out.push_back(s.substr(pos, c - pos));
    pos = c + 1;
  }
  return out;
}

// The `q` quantile (0..1) of `sorted_ns`, in milliseconds; 0 when there are no samples.
inline double percentile_ms(const std::vector<std::int64_t>& sorted_ns, double q) {
  if (sorted_ns.empty()) return 0.0;
  std::size_t i = std::min(sorted_ns.size() - 1,
                           static_cast<std::size_t>(q * static_cast<double>(sorted_ns.size())));
  return static_cast<double>(sorted_ns[i]) / 1e6;
}

}  // namespace bench
