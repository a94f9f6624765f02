// Deliveries: list (filters), get with the attempt log, replay, and the dead-letter queue.
#include "api/handlers.hpp"
#include "api/json_codec.hpp"
#include "api/pagination.hpp"
#include "core/ids.hpp"

namespace axon::api {

namespace {

// An id-valued filter: absent, or a well-formed id of that kind (400 otherwise).
Result<std::optional<std::string>> id_param(const Query& query, std::string_view name,
                                            std::string_view prefix) {
  auto raw = query.get(name);
  if (!raw) return std::optional<std::string>();
  if (!is_valid_id(*raw, prefix)) {
    return fail(Errc::invalid_request,
                std::string(name) + " must be an id starting with " + std::string(prefix));
  }
  return std::optional<std::string>(std::string(*raw));
}

Result<std::optional<DeliveryStatus>> status_param(const Query& query) {
  auto raw = query.get("status");
  if (!raw) return std::optional<DeliveryStatus>();
  for (DeliveryStatus status :
       {DeliveryStatus::pending, DeliveryStatus::succeeded, DeliveryStatus::dead}) {
    if (*raw == status_name(status)) return std::optional<DeliveryStatus>(status);
  }
  return fail(Errc::invalid_request, "status must be pending, succeeded or dead");
}

Result<ApiResponse> list_with_filter(const Services& services, const RouteRequest& request,
                                     DeliveryFilter filter) {
  AXON_TRY(page, parse_page_request(request.query, id_prefix::delivery));
  AXON_TRY(endpoint_id, id_param(request.query, "endpoint_id", id_prefix::endpoint));
  filter.endpoint_id = std::move(*endpoint_id);
  AXON_TRY(deliveries, services.context.store.list_deliveries(request.param("tid"), filter, *page));
  return json_response(200, page_json(*deliveries, delivery_json));
}

}  // namespace

Result<ApiResponse> list_deliveries(const Services& services, const RouteRequest& request) {
  DeliveryFilter filter;
  AXON_TRY(status, status_param(request.query));
  AXON_TRY(event_id, id_param(request.query, "event_id", id_prefix::event));
  filter.status = *status;
  filter.event_id = std::move(*event_id);
  return list_with_filter(services, request, std::move(filter));
}

Result<ApiResponse> list_dead_letters(const Services& services, const RouteRequest& request) {
  DeliveryFilter filter;
  filter.status = DeliveryStatus::dead;
  return list_with_filter(services, request, std::move(filter));
}

Result<ApiResponse> get_delivery(const Services& services, const RouteRequest& request) {
  const std::string& did = request.param("did");
  if (!is_valid_id(did, id_prefix::delivery)) return fail(Errc::not_found, "no such delivery");
  AXON_TRY(delivery, services.context.store.get_delivery(request.param("tid"), did));
  nlohmann::json body = delivery_json(*delivery);
  nlohmann::json attempts = nlohmann::json::array();
  for (const Attempt& attempt : delivery->attempt_log) attempts.push_back(attempt_json(attempt));
  body["attempts"] = std::move(attempts);
  return json_response(200, body);
}

Result<ApiResponse> replay_delivery(const Services& services, const RouteRequest& request) {
  const ApiContext& ctx = services.context;
  const std::string& did = request.param("did");
  if (!is_valid_id(did, id_prefix::delivery)) return fail(Errc::not_found, "no such delivery");
  auto replayed = ctx.store.replay_delivery(request.param("tid"), did, ctx.clock.now_ms());
  if (!replayed) {
    if (replayed.error().code == Errc::conflict) {
      return fail(Errc::conflict, "only a dead delivery can be replayed");
    }
    return std::unexpected(replayed.error());
  }
  if (ctx.on_events_ingested) ctx.on_events_ingested();
  return json_response(202, delivery_json(*replayed));
}

}  // namespace axon::api
