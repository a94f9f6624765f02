#include "app/metrics.hpp"

#include <fmt/format.h>

namespace axon {
namespace {

void metric(std::string& out, const char* name, const char* type, const char* help,
            std::int64_t value) {
  out += fmt::format("# HELP {0} {1}\n# TYPE {0} {2}\n{0} {3}\n", name, help, type, value);
}

}  // namespace

std::string render_metrics(Store& store, const DispatcherStats& stats, const Clock& clock) {
  std::string out;
  metric(out, "axon_attempts_total", "counter", "Delivery attempts made by this process.",
         stats.attempts.load());
  metric(out, "axon_deliveries_succeeded_total", "counter",
         "Deliveries that succeeded in this process.", stats.succeeded.load());
  metric(out, "axon_deliveries_retried_total", "counter",
         "Attempts that failed and were scheduled for a retry.", stats.retried.load());
  metric(out, "axon_deliveries_dead_total", "counter",
         "Deliveries that became dead letters in this process.", stats.dead.load());
  metric(out, "axon_deliveries_in_flight", "gauge", "Attempts currently in flight.",
         stats.in_flight.load());
  if (auto counts = store.delivery_counts(clock.now_ms())) {
    out +=
        "# HELP axon_queue_depth Deliveries in the store by state.\n"
        "# TYPE axon_queue_depth gauge\n";
    out += fmt::format("axon_queue_depth{{state=\"due\"}} {}\n", counts->pending_due);
    out += fmt::format("axon_queue_depth{{state=\"scheduled\"}} {}\n", counts->pending_scheduled);
    out += fmt::format("axon_queue_depth{{state=\"dead\"}} {}\n", counts->dead);
    out += fmt::format("axon_queue_depth{{state=\"succeeded\"}} {}\n", counts->succeeded);
  }
  return out;
}

}  // namespace axon
