// Route handlers, one per row of the route table (router.cpp). Each validates its input,
// calls the Store and shapes the answer with json_codec. Grouped by resource in
// handlers_<resource>.cpp. Thread-safety: stateless; safe on any I/O thread.
#pragma once

#include "api/router.hpp"

namespace axon::api {

Result<ApiResponse> create_tenant(const Services& services, const RouteRequest& request);
Result<ApiResponse> list_tenants(const Services& services, const RouteRequest& request);
Result<ApiResponse> get_tenant(const Services& services, const RouteRequest& request);
Result<ApiResponse> delete_tenant(const Services& services, const RouteRequest& request);

Result<ApiResponse> update_tenant(const Services& services, const RouteRequest& request);

Result<ApiResponse> create_event_type(const Services& services, const RouteRequest& request);
Result<ApiResponse> list_event_types(const Services& services, const RouteRequest& request);
Result<ApiResponse> get_event_type(const Services& services, const RouteRequest& request);
Result<ApiResponse> update_event_type(const Services& services, const RouteRequest& request);
Result<ApiResponse> delete_event_type(const Services& services, const RouteRequest& request);

Result<ApiResponse> create_api_key(const Services& services, const RouteRequest& request);
Result<ApiResponse> list_api_keys(const Services& services, const RouteRequest& request);
Result<ApiResponse> revoke_api_key(const Services& services, const RouteRequest& request);

Result<ApiResponse> create_endpoint(const Services& services, const RouteRequest& request);
Result<ApiResponse> list_endpoints(const Services& services, const RouteRequest& request);
Result<ApiResponse> get_endpoint(const Services& services, const RouteRequest& request);
Result<ApiResponse> update_endpoint(const Services& services, const RouteRequest& request);
Result<ApiResponse> delete_endpoint(const Services& services, const RouteRequest& request);
Result<ApiResponse> rotate_endpoint_secret(const Services& services, const RouteRequest& request);
Result<ApiResponse> get_endpoint_secret(const Services& services, const RouteRequest& request);
Result<ApiResponse> recover_endpoint(const Services& services, const RouteRequest& request);

void ingest_event(const Services& services, const RouteRequest& request, Respond respond);
Result<ApiResponse> ingest_event_batch(const Services& services, const RouteRequest& request);
Result<ApiResponse> list_events(const Services& services, const RouteRequest& request);
Result<ApiResponse> get_event(const Services& services, const RouteRequest& request);

Result<ApiResponse> list_deliveries(const Services& services, const RouteRequest& request);
Result<ApiResponse> get_delivery(const Services& services, const RouteRequest& request);
Result<ApiResponse> replay_delivery(const Services& services, const RouteRequest& request);
Result<ApiResponse> list_dead_letters(const Services& services, const RouteRequest& request);

Result<ApiResponse> healthz(const Services& services, const RouteRequest& request);
Result<ApiResponse> metrics(const Services& services, const RouteRequest& request);
Result<ApiResponse> openapi_json(const Services& services, const RouteRequest& request);

// Evaluates a Result expression into `var`, returning its error from the handler if any.
#define AXON_TRY(var, expr) \
  auto var = (expr);        \
  if (!var) return std::unexpected(std::move(var.error()))

}  // namespace axon::api
