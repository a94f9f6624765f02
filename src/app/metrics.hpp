// /metrics in the Prometheus text exposition format (version 0.0.4): the process counters
// of core/metrics.hpp plus queue depth from the store.
//
// Queue depth costs a store query, so it is cached for kQueueDepthTtlMs: a scrape storm
// (or several Prometheis) costs at most one query per second.
// Thread-safety: render() may be called from any thread.
#pragma once

#include <mutex>
#include <optional>
#include <string>

#include "core/clock.hpp"
#include "core/metrics.hpp"
#include "delivery/dispatcher.hpp"
#include "store/store.hpp"

namespace axon {

class MetricsRenderer {
 public:
  static constexpr Millis kQueueDepthTtlMs = 1'000;

  MetricsRenderer(Store& store, Metrics& metrics, const DispatcherStats& stats,
                  const Clock& clock)
      : store_(store), metrics_(metrics), stats_(stats), clock_(clock) {}

  std::string render();

 private:
  std::optional<Store::Counts> queue_depth(Millis now);

  Store& store_;
  Metrics& metrics_;
  const DispatcherStats& stats_;
  const Clock& clock_;
  std::mutex mu_;
  std::optional<Store::Counts> cached_;
  Millis cached_at_ = 0;
};

}  // namespace axon
