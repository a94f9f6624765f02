// Operational routes, open to anyone on the listen address: /healthz and /metrics.
#include <spdlog/spdlog.h>

#include "api/handlers.hpp"
#include "api/json_codec.hpp"

namespace axon::api {

Result<ApiResponse> healthz(const Services& services, const RouteRequest&) {
  auto ping = services.context.store.ping();
  if (!ping) {
    spdlog::warn("healthz: store did not answer: {}", ping.error().message);
    return fail(Errc::unavailable, "store unavailable");
  }
  return json_response(200, {{"status", "ok"}});
}

Result<ApiResponse> metrics(const Services& services, const RouteRequest&) {
  ApiResponse response;
  response.content_type = "text/plain; version=0.0.4; charset=utf-8";
  if (services.context.metrics_text) response.body = services.context.metrics_text();
  return response;
}

}  // namespace axon::api
