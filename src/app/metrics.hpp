// /metrics in the Prometheus text exposition format (version 0.0.4).
#pragma once

#include <string>

#include "core/clock.hpp"
#include "delivery/dispatcher.hpp"
#include "store/store.hpp"

namespace axon {

std::string render_metrics(Store& store, const DispatcherStats& stats, const Clock& clock);

}  // namespace axon
