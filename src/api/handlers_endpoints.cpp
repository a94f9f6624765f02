// Endpoints: create/list/get/update/delete, secret rotation and reveal, dead-letter recovery.
#include <openssl/crypto.h>

#include "api/catalogue.hpp"
#include "api/endpoint_input.hpp"
#include "api/handlers.hpp"
#include "api/json_codec.hpp"
#include "api/pagination.hpp"
#include "core/envelope.hpp"
#include "core/ids.hpp"
#include "core/log.hpp"
#include "core/operational_events.hpp"
#include "core/signature.hpp"
#include "delivery/operational_emitter.hpp"

namespace axon::api {

namespace {

// Rows replayed per store transaction, so recovery of many dead letters never holds the
// store's writer for long.
constexpr int kRecoverBatch = 1000;

Result<void> check_endpoint_id(const std::string& id) {
  if (!is_valid_id(id, id_prefix::endpoint)) return fail(Errc::not_found, "no such endpoint");
  return {};
}

// Operational endpoints take only operational types (and the catalogue does not restrict
// them); normal endpoints follow the tenant's catalogue settings.
Result<void> check_endpoint_subscriptions(Store& store, const std::string& tenant_id,
                                          bool operational,
                                          const std::optional<std::vector<std::string>>& types) {
  if (operational) return check_operational_subscriptions(types);
  return check_subscriptions(store, tenant_id, types);
}

// endpoint.disabled / endpoint.enabled after an API PATCH changed `disabled`. The update is
// already committed: a failure here is logged, not answered (and a crash between the two
// loses this one event; see docs/catalogue-and-operational.md).
void emit_disabled_change(const ApiContext& ctx, const Endpoint& updated) {
  EndpointChange change{updated.tenant_id,
                        updated.id,
                        updated.url,
                        updated.disabled ? updated.disabled_reason : "",
                        EndpointChangeSource::api,
                        std::to_string(updated.updated_at)};
  OperationalEvent event =
      updated.disabled ? endpoint_disabled_event(change) : endpoint_enabled_event(change);
  auto emitted = ingest_operational_event(ctx.store, ctx.ids, event, ctx.clock.now_ms());
  if (!emitted) {
    log_event(spdlog::level::warn, "operational event lost",
              {{"tenant_id", updated.tenant_id},
               {"endpoint_id", updated.id},
               {"event_type", event.type},
               {"error", emitted.error().message}});
    return;
  }
  if (*emitted > 0 && ctx.on_events_ingested) ctx.on_events_ingested();
}

// The client-certificate fields of a create or PATCH body, as a patch with the key sealed
// (the plaintext key goes no further than here).
Result<EndpointPatch> client_certificate_patch(const ApiContext& ctx, const nlohmann::json& body) {
  AXON_TRY(input, parse_client_certificate(body));
  EndpointPatch patch;
  if (!*input) return patch;
  ClientCertificateInput& given = **input;
  patch.tls_client_certificate = std::move(given.certificate_pem);
  patch.tls_client_key_sealed = std::optional<std::string>();
  if (given.key_pem) {
    patch.tls_client_key_sealed = ctx.secrets.seal(*given.key_pem, ctx.random);
    OPENSSL_cleanse(given.key_pem->data(), given.key_pem->size());
  }
  return patch;
}

}  // namespace

Result<ApiResponse> create_endpoint(const Services& services, const RouteRequest& request) {
  const ApiContext& ctx = services.context;
  AXON_TRY(fields, parse_endpoint_fields(request.body, /*require_url=*/true,
                                         services.options.allow_private_targets));
  const Millis now = ctx.clock.now_ms();
  const std::string secret = generate_endpoint_secret(ctx.random);
  Endpoint endpoint;
  endpoint.id = ctx.ids.next(id_prefix::endpoint);
  endpoint.tenant_id = request.param("tid");
  endpoint.url = *fields->url;
  endpoint.description = fields->description.value_or("");
  endpoint.event_types = fields->event_types.value_or(std::nullopt);
  AXON_TRY(operational, parse_operational_flag(request.body));
  endpoint.operational = operational->value_or(false);
  AXON_TRY(subscribable, check_endpoint_subscriptions(ctx.store, request.param("tid"),
                                                      endpoint.operational, endpoint.event_types));
  endpoint.headers = fields->headers.value_or(HeaderList{});
  endpoint.disabled = fields->disabled.value_or(false);
  endpoint.disabled_reason = endpoint.disabled ? fields->disabled_reason.value_or("") : "";
  endpoint.max_in_flight = fields->max_in_flight.value_or(0);
  endpoint.rate_limit = fields->rate_limit.value_or(0);
  endpoint.ordering = fields->ordering.value_or(Ordering::parallel);
  endpoint.secret_sealed = ctx.secrets.seal(secret, ctx.random);
  AXON_TRY(client_certificate, client_certificate_patch(ctx, request.body));
  endpoint.tls_client_certificate = client_certificate->tls_client_certificate.value_or(std::nullopt);
  endpoint.tls_client_key_sealed = client_certificate->tls_client_key_sealed.value_or(std::nullopt);
  endpoint.created_at = now;
  endpoint.updated_at = now;
  AXON_TRY(created,
           ctx.store.create_endpoint(endpoint, services.options.max_endpoints_per_tenant));
  nlohmann::json body = endpoint_json(*created);
  body["secret"] = secret;
  return json_response(201, body);
}

Result<ApiResponse> list_endpoints(const Services& services, const RouteRequest& request) {
  AXON_TRY(page, parse_page_request(request.query, id_prefix::endpoint));
  AXON_TRY(endpoints, services.context.store.list_endpoints(request.param("tid"), *page));
  return json_response(200, page_json(*endpoints, endpoint_json));
}

Result<ApiResponse> get_endpoint(const Services& services, const RouteRequest& request) {
  AXON_TRY(valid, check_endpoint_id(request.param("eid")));
  AXON_TRY(endpoint,
           services.context.store.get_endpoint(request.param("tid"), request.param("eid")));
  return json_response(200, endpoint_json(*endpoint));
}

Result<ApiResponse> update_endpoint(const Services& services, const RouteRequest& request) {
  const ApiContext& ctx = services.context;
  AXON_TRY(valid, check_endpoint_id(request.param("eid")));
  AXON_TRY(patch, parse_endpoint_fields(request.body, /*require_url=*/false,
                                        services.options.allow_private_targets));
  AXON_TRY(operational, parse_operational_flag(request.body));
  AXON_TRY(client_certificate, client_certificate_patch(ctx, request.body));
  patch->tls_client_certificate = std::move(client_certificate->tls_client_certificate);
  patch->tls_client_key_sealed = std::move(client_certificate->tls_client_key_sealed);
  // Read first: `operational` is fixed, and a change of `disabled` is an operational event.
  AXON_TRY(current, ctx.store.get_endpoint(request.param("tid"), request.param("eid")));
  if (*operational && **operational != current->operational) {
    return fail(Errc::validation_failed,
                "operational cannot be changed after creation; create a new endpoint instead");
  }
  if (patch->event_types) {
    AXON_TRY(subscribable, check_endpoint_subscriptions(ctx.store, request.param("tid"),
                                                        current->operational, *patch->event_types));
  }
  AXON_TRY(updated, ctx.store.update_endpoint(request.param("tid"), request.param("eid"), *patch,
                                              ctx.clock.now_ms()));
  if (updated->disabled != current->disabled) emit_disabled_change(ctx, *updated);
  return json_response(200, endpoint_json(*updated));
}

Result<ApiResponse> delete_endpoint(const Services& services, const RouteRequest& request) {
  AXON_TRY(valid, check_endpoint_id(request.param("eid")));
  AXON_TRY(deleted,
           services.context.store.delete_endpoint(request.param("tid"), request.param("eid")));
  return no_content_response();
}

Result<ApiResponse> rotate_endpoint_secret(const Services& services, const RouteRequest& request) {
  const ApiContext& ctx = services.context;
  AXON_TRY(valid, check_endpoint_id(request.param("eid")));
  const Millis now = ctx.clock.now_ms();
  const Millis previous_expires_at = now + services.options.rotation_overlap;
  const std::string secret = generate_endpoint_secret(ctx.random);
  AXON_TRY(rotated, ctx.store.rotate_endpoint_secret(request.param("tid"), request.param("eid"),
                                                     ctx.secrets.seal(secret, ctx.random),
                                                     previous_expires_at, now));
  return json_response(
      200, {{"secret", secret}, {"previous_secret_expires_at", time_json(previous_expires_at)}});
}

Result<ApiResponse> get_endpoint_secret(const Services& services, const RouteRequest& request) {
  const ApiContext& ctx = services.context;
  AXON_TRY(valid, check_endpoint_id(request.param("eid")));
  AXON_TRY(endpoint, ctx.store.get_endpoint(request.param("tid"), request.param("eid")));
  auto secret = ctx.secrets.open(endpoint->secret_sealed);
  if (!secret) {
    return fail(Errc::internal,
                "cannot open the endpoint secret (wrong master key?): " + secret.error().message);
  }
  return json_response(200, {{"secret", *secret}});
}

Result<ApiResponse> recover_endpoint(const Services& services, const RouteRequest& request) {
  const ApiContext& ctx = services.context;
  AXON_TRY(valid, check_endpoint_id(request.param("eid")));
  AXON_TRY(since_text, required_string(request.body, "since"));
  auto since = parse_rfc3339(*since_text);
  if (!since) {
    return fail(Errc::validation_failed,
                "since must be an RFC 3339 time such as 2026-01-02T03:04:05Z");
  }
  const std::string& tid = request.param("tid");
  const std::string& eid = request.param("eid");
  AXON_TRY(endpoint, ctx.store.get_endpoint(tid, eid));
  std::int64_t replayed = 0;
  Result<int> batch;
  do {
    batch = ctx.store.replay_dead_since(tid, eid, *since, ctx.clock.now_ms(), kRecoverBatch);
    if (batch) replayed += *batch;
  } while (batch && *batch >= kRecoverBatch);
  // Earlier batches are committed even if a later one failed: wake the dispatcher for them.
  if (replayed > 0 && ctx.on_events_ingested) ctx.on_events_ingested();
  if (!batch) return std::unexpected(batch.error());
  return json_response(202, {{"replayed", replayed}});
}

}  // namespace axon::api
