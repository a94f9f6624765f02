// /metrics in the Prometheus text exposition format (version 0.0.4): the process counters
// of core/metrics.hpp, queue depth and size from the store, and the retention window and
// what the purge deleted.
//
// Queue depth and store size cost a store query each (a few counter rows, a bounded index
// walk, a size lookup: the same at any row count), cached for kQueueDepthTtlMs so a scrape
// storm (or several Prometheis) costs at most one of each per second.
// Thread-safety: render() may be called from any thread.
#pragma once

#include <mutex>
#include <optional>
#include <string>

#include "core/clock.hpp"
#include "core/metrics.hpp"
#include "delivery/dispatcher.hpp"
#include "retention/purger.hpp"
#include "store/store.hpp"

namespace axon {

class MetricsRenderer {
 public:
  static constexpr Millis kQueueDepthTtlMs = 1'000;

  // `purger` may be null (no retention figures then).
  MetricsRenderer(Store& store, Metrics& metrics, const DispatcherStats& stats,
                  const Clock& clock, const Purger* purger = nullptr)
      : store_(store), metrics_(metrics), stats_(stats), clock_(clock), purger_(purger) {}

  std::string render();

 private:
  struct StoreFigures {
    std::optional<Store::Counts> counts;
    std::optional<std::int64_t> size_bytes;
  };
  StoreFigures store_figures(Millis now);
  void render_retention(std::string& out, const std::optional<std::int64_t>& size_bytes) const;

  Store& store_;
  Metrics& metrics_;
  const DispatcherStats& stats_;
  const Clock& clock_;
  const Purger* purger_;
  std::mutex mu_;
  StoreFigures cached_;  // guarded by mu_
  Millis cached_at_ = 0;
  bool have_cache_ = false;
};

}  // namespace axon
