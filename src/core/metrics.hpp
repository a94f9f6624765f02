// Metrics: the process's counters for /metrics (Prometheus text format 0.0.4).
//
// The API bumps events_ingested; the Dispatcher records every attempt (outcome, error
// class, latency, endpoint). render() writes the exposition text; gauges that need the
// store (queue depth) are appended by the caller (app/metrics.cpp).
//
// Per-endpoint failures keep label cardinality bounded: the render shows the top
// kTopEndpoints endpoints by failures in the recent window and sums the rest as
// endpoint="other". The window is two generations of kWindowMs each, so "recent" means the
// last 5–10 minutes and memory holds only endpoints that failed lately.
//
// Thread-safety: every member function may be called from any thread.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/clock.hpp"

namespace axon {

class Metrics {
 public:
  static constexpr std::size_t kTopEndpoints = 20;
  static constexpr Millis kWindowMs = 5 * 60 * 1000;
  // Upper bounds of the attempt-latency histogram, in milliseconds (+Inf is implicit).
  static constexpr std::array<Millis, 13> kLatencyBucketsMs = {
      5, 10, 25, 50, 100, 250, 500, 1'000, 2'500, 5'000, 10'000, 15'000, 30'000};
  static constexpr std::array<std::string_view, 7> kErrorClasses = {
      "timeout", "dns", "connect", "tls", "http", "blocked", "other"};

  enum class Outcome { succeeded, retried, dead };

  void event_ingested() { events_ingested_.fetch_add(1, std::memory_order_relaxed); }
  void endpoint_disabled() { endpoints_disabled_.fetch_add(1, std::memory_order_relaxed); }
  // A delivery handed back because its endpoint's secret would not open (master key check).
  void delivery_unsignable() { deliveries_unsignable_.fetch_add(1, std::memory_order_relaxed); }
  // One finished attempt. `error_class` is "" on success, else one of kErrorClasses
  // (anything else counts as "other").
  void attempt(Outcome outcome, std::string_view error_class, Millis duration_ms,
               std::string_view endpoint_id, Millis now_ms);
  void set_in_flight(std::int64_t n) { in_flight_.store(n, std::memory_order_relaxed); }

  std::int64_t events_ingested() const { return events_ingested_.load(); }
  std::int64_t attempts() const;

  // Appends every metric above (HELP/TYPE lines included) to `out`.
  void render(std::string& out, Millis now_ms) const;

 private:
  void rotate_locked(Millis now_ms) const;

  std::atomic<std::int64_t> events_ingested_{0};
  std::atomic<std::int64_t> endpoints_disabled_{0};
  std::atomic<std::int64_t> deliveries_unsignable_{0};
  std::atomic<std::int64_t> in_flight_{0};
  std::array<std::atomic<std::int64_t>, 3> outcomes_{};
  std::array<std::atomic<std::int64_t>, kErrorClasses.size()> errors_{};
  std::array<std::atomic<std::int64_t>, kLatencyBucketsMs.size() + 1> latency_buckets_{};
  std::atomic<std::int64_t> latency_sum_ms_{0};

  struct Recent {
    std::int64_t current = 0;
    std::int64_t previous = 0;
  };
  mutable std::mutex failures_mu_;
  mutable std::unordered_map<std::string, Recent> failures_;  // endpoint id -> recent failures
  mutable Millis window_start_ = 0;
};

// Prometheus label value escaping (backslash, double quote, newline).
std::string prometheus_label_value(std::string_view value);

}  // namespace axon
