#include "app/metrics.hpp"

#include <fmt/format.h>

namespace axon {

MetricsRenderer::StoreFigures MetricsRenderer::store_figures(Millis now) {
  std::lock_guard lock(mu_);
  if (have_cache_ && now - cached_at_ < kQueueDepthTtlMs && now >= cached_at_) return cached_;
  // A failed query serves the last known value (or nothing).
  if (auto counts = store_.delivery_counts(now)) cached_.counts = *counts;
  if (auto size = store_.storage_bytes()) cached_.size_bytes = *size;
  cached_at_ = now;
  have_cache_ = true;
  return cached_;
}

void MetricsRenderer::render_retention(std::string& out,
                                       const std::optional<std::int64_t>& size_bytes) const {
  if (size_bytes) {
    out +=
        "# HELP axon_store_size_bytes Bytes the stored data takes (SQLite: pages in use, free "
        "pages excluded; PostgreSQL: the axon tables with their indexes).\n"
        "# TYPE axon_store_size_bytes gauge\n";
    out += fmt::format("axon_store_size_bytes {}\n", *size_bytes);
  }
  if (!purger_) return;
  out +=
      "# HELP axon_retention_seconds Retention window: finished events older than this are "
      "deleted with their deliveries and attempts (0 = kept forever).\n"
      "# TYPE axon_retention_seconds gauge\n";
  out += fmt::format("axon_retention_seconds {}\n",
                     static_cast<double>(purger_->policy().window_ms()) / 1000.0);
  const PurgeTotals purged = purger_->totals();
  out +=
      "# HELP axon_purged_total Rows deleted by the retention purge since the process "
      "started.\n"
      "# TYPE axon_purged_total counter\n";
  out += fmt::format("axon_purged_total{{kind=\"events\"}} {}\n", purged.events);
  out += fmt::format("axon_purged_total{{kind=\"deliveries\"}} {}\n", purged.deliveries);
  out += fmt::format("axon_purged_total{{kind=\"attempts\"}} {}\n", purged.attempts);
  out += fmt::format("axon_purged_total{{kind=\"idempotency_keys\"}} {}\n",
                     purged.idempotency_keys);
}

std::string MetricsRenderer::render() {
  const Millis now = clock_.now_ms();
  metrics_.set_in_flight(stats_.in_flight.load());
  std::string out;
  metrics_.render(out, now);
  const StoreFigures figures = store_figures(now);
  if (const auto& counts = figures.counts) {
    out += fmt::format(
        "# HELP axon_queue_depth Deliveries in the store by state: due (pending, may be claimed "
        "now; counted up to {}), scheduled (the other pending ones: waiting for a retry time, "
        "in flight, behind a FIFO head or a disabled endpoint), dead (dead letters).\n",
        Store::kDueCountCap);
    out += "# TYPE axon_queue_depth gauge\n";
    out += fmt::format("axon_queue_depth{{state=\"due\"}} {}\n", counts->pending_due);
    out += fmt::format("axon_queue_depth{{state=\"scheduled\"}} {}\n", counts->pending_scheduled);
    out += fmt::format("axon_queue_depth{{state=\"dead\"}} {}\n", counts->dead);
    out +=
        "# HELP axon_deliveries_succeeded Deliveries in the store that succeeded.\n"
        "# TYPE axon_deliveries_succeeded gauge\n";
    out += fmt::format("axon_deliveries_succeeded {}\n", counts->succeeded);
  }
  render_retention(out, figures.size_bytes);
  if (const auto busy = store_.writer_busy()) {
    out +=
        "# HELP axon_store_writer_busy_seconds_total Seconds SQLite's one writer connection was "
        "held, by whose writes: foreground (API changes a client waits on, such as ingest), "
        "background (the dispatcher's claims and outcomes, retention). Together near 1 per "
        "second: writes queue for the writer.\n"
        "# TYPE axon_store_writer_busy_seconds_total counter\n";
    out += fmt::format("axon_store_writer_busy_seconds_total{{class=\"foreground\"}} {:.6f}\n",
                       busy->foreground_s);
    out += fmt::format("axon_store_writer_busy_seconds_total{{class=\"background\"}} {:.6f}\n",
                       busy->background_s);
  }
  return out;
}

}  // namespace axon
