// Reporting one finished attempt: the dispatcher's counters, the /metrics registry and the
// structured log lines ("attempt made", "delivery dead", "endpoint disabled").
// Thread-safety: as thread-safe as `stats` (atomics) and `metrics` are.
#pragma once

#include "core/clock.hpp"
#include "core/metrics.hpp"
#include "delivery/attempt_outcome.hpp"
#include "delivery/dispatcher.hpp"

namespace axon {

void report_attempt(DispatcherStats& stats, Metrics* metrics, Millis now,
                    const AttemptContext& context, const AttemptRecord& record,
                    const HttpResult& result);

}  // namespace axon
