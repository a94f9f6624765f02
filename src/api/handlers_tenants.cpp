// Tenants and their API keys (admin only).
#include "api/catalogue.hpp"
#include "api/errors.hpp"
#include "api/handlers.hpp"
#include "api/json_codec.hpp"
#include "api/pagination.hpp"
#include "core/ids.hpp"
#include "core/operational_events.hpp"

namespace axon::api {

namespace {
constexpr std::size_t kMaxTenantNameChars = 200;
}  // namespace

Result<ApiResponse> create_tenant(const Services& services, const RouteRequest& request) {
  AXON_TRY(name, required_string(request.body, "name"));
  const std::size_t length = utf8_length(*name);
  if (length < 1 || length > kMaxTenantNameChars) {
    return fail(Errc::validation_failed, "name must be 1 to 200 characters");
  }
  const ApiContext& ctx = services.context;
  Tenant tenant{
      .id = ctx.ids.next(id_prefix::tenant), .name = *name, .created_at = ctx.clock.now_ms()};
  AXON_TRY(created, ctx.store.create_tenant(tenant));
  return json_response(201, tenant_json(*created));
}

Result<ApiResponse> list_tenants(const Services& services, const RouteRequest& request) {
  AXON_TRY(page, parse_page_request(request.query, id_prefix::tenant));
  AXON_TRY(tenants, services.context.store.list_tenants(*page));
  return json_response(200, page_json(*tenants, tenant_json));
}

Result<ApiResponse> get_tenant(const Services& services, const RouteRequest& request) {
  AXON_TRY(tenant, services.context.store.get_tenant(request.param("tid")));
  AXON_TRY(settings, load_tenant_settings(services.context.store, tenant->id));
  nlohmann::json body = tenant_json(*tenant);
  body["settings"] = tenant_settings_json(*settings);
  return json_response(200, body);
}

Result<ApiResponse> delete_tenant(const Services& services, const RouteRequest& request) {
  if (request.param("tid") == kOperatorTenantId) {
    // Its own code: "conflict" would suggest retrying; this answer never changes.
    return json_response(
        409, {{"error",
               {{"code", "operator_tenant_protected"},
                {"message",
                 "the operator tenant receives the operational events of every tenant and "
                 "cannot be deleted (delete or disable its endpoints instead)"}}}});
  }
  AXON_TRY(deleted, services.context.store.delete_tenant(request.param("tid")));
  services.caches->forget_tenant(request.param("tid"));
  return no_content_response();
}

Result<ApiResponse> create_api_key(const Services& services, const RouteRequest& request) {
  const ApiContext& ctx = services.context;
  AXON_TRY(tenant, ctx.store.get_tenant(request.param("tid")));
  const std::string key = generate_api_key(ctx.random);
  ApiKey api_key{.id = ctx.ids.next(id_prefix::api_key),
                 .tenant_id = tenant->id,
                 .key_hash = api_key_hash(key),
                 .created_at = ctx.clock.now_ms(),
                 .revoked_at = std::nullopt};
  AXON_TRY(created, ctx.store.create_api_key(api_key));
  nlohmann::json body = api_key_json(*created);
  body["key"] = key;  // shown only here
  return json_response(201, body);
}

Result<ApiResponse> list_api_keys(const Services& services, const RouteRequest& request) {
  const ApiContext& ctx = services.context;
  AXON_TRY(tenant, ctx.store.get_tenant(request.param("tid")));
  AXON_TRY(page, parse_page_request(request.query, id_prefix::api_key));
  AXON_TRY(keys, ctx.store.list_api_keys(tenant->id, *page));
  return json_response(200, page_json(*keys, api_key_json));
}

Result<ApiResponse> revoke_api_key(const Services& services, const RouteRequest& request) {
  const ApiContext& ctx = services.context;
  AXON_TRY(revoked, ctx.store.revoke_api_key(request.param("tid"), request.param("kid"),
                                             ctx.clock.now_ms()));
  services.caches->forget_api_key(request.param("kid"));  // refused from the next request on
  return no_content_response();
}

}  // namespace axon::api
