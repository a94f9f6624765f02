// The event-type catalogue (…/event-types) and tenant settings (PATCH /v1/tenants/{tid}).
#include <algorithm>

#include "api/catalogue.hpp"
#include "api/handlers.hpp"
#include "api/json_codec.hpp"
#include "api/pagination.hpp"
#include "core/encoding.hpp"
#include "core/envelope.hpp"

namespace axon::api {

namespace {

constexpr std::size_t kMaxDescriptionChars = 1000;
constexpr std::string_view kCursorTag = "c1:et:";

nlohmann::json event_type_json(const EventType& type) {
  nlohmann::json schema = nullptr;
  if (type.schema) schema = nlohmann::json::parse(*type.schema, nullptr, false);
  return {{"name", type.name},
          {"description", type.description},
          {"deprecated", type.deprecated},
          {"schema", std::move(schema)},
          {"version", type.version},
          {"created_at", time_json(type.created_at)},
          {"updated_at", time_json(type.updated_at)}};
}

// Catalogue lists are by name (ascending); the cursor wraps the last name.
Result<PageRequest> event_type_page(const Query& query) {
  PageRequest page;
  if (auto raw = query.get("limit")) {
    bool digits = !raw->empty() && raw->size() <= 9;
    for (char c : *raw) digits = digits && c >= '0' && c <= '9';
    if (!digits || std::stoi(std::string(*raw)) < 1) {
      return fail(Errc::invalid_request, "limit must be a positive integer");
    }
    page.limit = std::min(std::stoi(std::string(*raw)), kMaxPageLimit);
  }
  if (auto after = query.get("after")) {
    auto decoded = after->size() <= 512 ? base64url_decode(*after) : std::nullopt;
    if (!decoded || !decoded->starts_with(kCursorTag)) {
      return fail(Errc::invalid_cursor, "after is not a cursor this server issued for this list");
    }
    page.after = decoded->substr(kCursorTag.size());
  }
  return page;
}

Result<std::optional<std::string>> optional_schema(const nlohmann::json& body, bool& present) {
  auto it = body.find("schema");
  present = it != body.end();
  if (!present || it->is_null()) return std::optional<std::string>();
  if (!it->is_object() && !it->is_boolean()) {
    return fail(Errc::invalid_request, "schema must be a JSON Schema object, a boolean or null");
  }
  AXON_TRY(text, compile_schema_text(*it));
  return std::optional<std::string>(std::move(*text));
}

Result<std::optional<std::string>> optional_description(const nlohmann::json& body) {
  AXON_TRY(description, optional_string(body, "description"));
  if (*description && utf8_length(**description) > kMaxDescriptionChars) {
    return fail(Errc::validation_failed, "description must be at most 1000 characters");
  }
  return *description;
}

}  // namespace

Result<ApiResponse> create_event_type(const Services& services, const RouteRequest& request) {
  const ApiContext& ctx = services.context;
  AXON_TRY(name, required_string(request.body, "name"));
  if (!is_valid_event_type(*name)) {
    return fail(Errc::validation_failed,
                "name must match ^[A-Za-z0-9_]+(\\.[A-Za-z0-9_]+)*$ and be at most 128 "
                "characters");
  }
  AXON_TRY(description, optional_description(request.body));
  AXON_TRY(deprecated, optional_bool(request.body, "deprecated"));
  bool has_schema = false;
  AXON_TRY(schema, optional_schema(request.body, has_schema));
  const Millis now = ctx.clock.now_ms();
  EventType type{request.param("tid"), *name, description->value_or(""),
                 deprecated->value_or(false), *schema, 1, now, now};
  AXON_TRY(created, ctx.store.create_event_type(type));
  services.caches->forget_catalogue(type.tenant_id);
  return json_response(201, event_type_json(*created));
}

Result<ApiResponse> list_event_types(const Services& services, const RouteRequest& request) {
  AXON_TRY(page, event_type_page(request.query));
  AXON_TRY(types, services.context.store.list_event_types(request.param("tid"), *page));
  nlohmann::json data = nlohmann::json::array();
  for (const auto& type : types->items) data.push_back(event_type_json(type));
  nlohmann::json next = nullptr;
  if (types->next) next = base64url_encode(std::string(kCursorTag) + *types->next);
  return json_response(200, {{"data", std::move(data)}, {"next", std::move(next)}});
}

Result<ApiResponse> get_event_type(const Services& services, const RouteRequest& request) {
  AXON_TRY(type, services.context.store.get_event_type(request.param("tid"), request.param("name")));
  return json_response(200, event_type_json(*type));
}

Result<ApiResponse> update_event_type(const Services& services, const RouteRequest& request) {
  const ApiContext& ctx = services.context;
  EventTypePatch patch;
  AXON_TRY(description, optional_description(request.body));
  patch.description = *description;
  AXON_TRY(deprecated, optional_bool(request.body, "deprecated"));
  patch.deprecated = *deprecated;
  bool has_schema = false;
  AXON_TRY(schema, optional_schema(request.body, has_schema));
  if (has_schema) patch.schema.emplace(*schema);
  AXON_TRY(updated, ctx.store.update_event_type(request.param("tid"), request.param("name"),
                                                patch, ctx.clock.now_ms()));
  services.caches->forget_catalogue(request.param("tid"));
  return json_response(200, event_type_json(*updated));
}

Result<ApiResponse> delete_event_type(const Services& services, const RouteRequest& request) {
  AXON_TRY(deleted,
           services.context.store.delete_event_type(request.param("tid"), request.param("name")));
  services.caches->forget_catalogue(request.param("tid"));
  return no_content_response();
}

Result<ApiResponse> update_tenant(const Services& services, const RouteRequest& request) {
  Store& store = services.context.store;
  AXON_TRY(tenant, store.get_tenant(request.param("tid")));
  AXON_TRY(settings, load_tenant_settings(store, tenant->id));
  if (auto it = request.body.find("settings"); it != request.body.end()) {
    if (!it->is_object()) return fail(Errc::invalid_request, "settings must be an object");
    AXON_TRY(require, optional_bool(*it, "require_catalogued_types"));
    AXON_TRY(restrict, optional_bool(*it, "restrict_subscriptions_to_catalogue"));
    if (*require) settings->require_catalogued_types = **require;
    if (*restrict) settings->restrict_subscriptions_to_catalogue = **restrict;
    AXON_TRY(saved, save_tenant_settings(store, tenant->id, *settings));
    services.caches->forget_catalogue(tenant->id);
  }
  nlohmann::json body = tenant_json(*tenant);
  body["settings"] = tenant_settings_json(*settings);
  return json_response(200, body);
}

}  // namespace axon::api
