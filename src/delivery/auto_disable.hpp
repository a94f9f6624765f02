// The auto-disable check: endpoints failing for longer than `after` are disabled by the store
// (Store::disable_failing_endpoints); each one gets an endpoint.disabled operational event,
// a /metrics count and a log line. A failed check is logged and tried again at the next one.
// Thread-safety: as thread-safe as the store, the emitter and `metrics`; the dispatcher runs
// it on its outcomes lane every auto_disable_check_interval.
#pragma once

#include "core/clock.hpp"
#include "core/metrics.hpp"
#include "delivery/operational_emitter.hpp"
#include "store/store.hpp"

namespace axon {

void disable_failing_endpoints(Store& store, OperationalEmitter& operational, Metrics* metrics,
                               Millis now, Millis after);

}  // namespace axon
