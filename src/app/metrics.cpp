#include "app/metrics.hpp"

#include <fmt/format.h>

namespace axon {

std::optional<Store::Counts> MetricsRenderer::queue_depth(Millis now) {
  std::lock_guard lock(mu_);
  if (cached_ && now - cached_at_ < kQueueDepthTtlMs && now >= cached_at_) return cached_;
  if (auto counts = store_.delivery_counts(now)) {
    cached_ = *counts;
    cached_at_ = now;
  }
  return cached_;  // a failed query serves the last known value (or nothing)
}

std::string MetricsRenderer::render() {
  const Millis now = clock_.now_ms();
  metrics_.set_in_flight(stats_.in_flight.load());
  std::string out;
  metrics_.render(out, now);
  if (auto counts = queue_depth(now)) {
    out +=
        "# HELP axon_queue_depth Deliveries in the store by state: due (pending, may be sent "
        "now), scheduled (pending, waiting for a retry time), dead (dead letters).\n"
        "# TYPE axon_queue_depth gauge\n";
    out += fmt::format("axon_queue_depth{{state=\"due\"}} {}\n", counts->pending_due);
    out += fmt::format("axon_queue_depth{{state=\"scheduled\"}} {}\n", counts->pending_scheduled);
    out += fmt::format("axon_queue_depth{{state=\"dead\"}} {}\n", counts->dead);
    out +=
        "# HELP axon_deliveries_succeeded Deliveries in the store that succeeded.\n"
        "# TYPE axon_deliveries_succeeded gauge\n";
    out += fmt::format("axon_deliveries_succeeded {}\n", counts->succeeded);
  }
  return out;
}

}  // namespace axon
