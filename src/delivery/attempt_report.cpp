#include "delivery/attempt_report.hpp"

#include <spdlog/spdlog.h>

#include "core/log.hpp"

namespace axon {
namespace {

std::string_view delivery_outcome_name(DeliveryStatus status) {
  switch (status) {
    case DeliveryStatus::succeeded: return "succeeded";
    case DeliveryStatus::dead: return "dead";
    case DeliveryStatus::pending: break;
  }
  return "retried";
}

}  // namespace

void report_attempt(DispatcherStats& stats, Metrics* metrics, Millis now,
                    const AttemptContext& context, const AttemptRecord& record,
                    const HttpResult& result) {
  stats.attempts.fetch_add(1);
  switch (record.new_status) {
    case DeliveryStatus::succeeded:
      stats.succeeded.fetch_add(1);
      break;
    case DeliveryStatus::pending:
      stats.retried.fetch_add(1);
      break;
    case DeliveryStatus::dead:
      stats.dead.fetch_add(1);
      break;
  }
  if (metrics) {
    const auto outcome = record.new_status == DeliveryStatus::succeeded ? Metrics::Outcome::succeeded
                         : record.new_status == DeliveryStatus::dead    ? Metrics::Outcome::dead
                                                                        : Metrics::Outcome::retried;
    metrics->attempt(outcome, record.attempt.error, result.duration_ms,
                             record.endpoint_id, now);
    if (record.disable_endpoint) metrics->endpoint_disabled();
  }
  log_event(record.new_status == DeliveryStatus::succeeded ? spdlog::level::debug
                                                            : spdlog::level::info,
            "attempt made",
            {{"tenant_id", context.tenant_id},
             {"endpoint_id", record.endpoint_id},
             {"delivery_id", record.delivery_id},
             {"attempt", record.attempt.n},
             {"status_code", result.status_code},
             {"error", record.attempt.error},
             {"duration_ms", result.duration_ms},
             {"outcome", delivery_outcome_name(record.new_status)}});
  if (record.new_status == DeliveryStatus::dead) {
    log_event(spdlog::level::warn, "delivery dead",
              {{"tenant_id", context.tenant_id},
               {"endpoint_id", record.endpoint_id},
               {"delivery_id", record.delivery_id},
               {"attempt", record.attempt.n},
               {"error", record.attempt.error},
               {"reason", record.disable_reason.empty() ? result.error_message
                                                        : record.disable_reason}});
  }
  if (record.disable_endpoint) {
    log_event(spdlog::level::warn, "endpoint disabled",
              {{"tenant_id", context.tenant_id},
               {"endpoint_id", record.endpoint_id},
               {"reason", record.disable_reason}});
  }
}

}  // namespace axon
