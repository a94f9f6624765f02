#include "delivery/auto_disable.hpp"

#include <spdlog/spdlog.h>

#include "core/log.hpp"

namespace axon {

void disable_failing_endpoints(Store& store, OperationalEmitter& operational, Metrics* metrics,
                               Millis now, Millis after) {
  auto disabled = store.disable_failing_endpoints(now, after);
  if (!disabled) {
    spdlog::warn("dispatcher: auto-disable check failed: {}", disabled.error().message);
    return;
  }
  for (const auto& ep : *disabled) {
    operational.endpoint_auto_disabled(ep);
    if (metrics) metrics->endpoint_disabled();
    log_event(spdlog::level::warn, "endpoint disabled",
              {{"tenant_id", ep.tenant_id}, {"endpoint_id", ep.id},
               {"reason", ep.disabled_reason}});
  }
}

}  // namespace axon
