#include "api/router.hpp"

#include <spdlog/spdlog.h>

#include <exception>
#include <future>
#include <variant>

#include "api/errors.hpp"
#include "api/event_input.hpp"
#include "api/handlers.hpp"
#include "core/json_limits.hpp"
#include "web/assets.hpp"

namespace axon::api {

namespace {

struct Route {
  RouteInfo info;
  std::variant<Handler, DeferredHandler> handler;
};

// Every route of the API; docs/api.md and docs/openapi.json document each one (tests check
// both). Order does not matter: patterns never overlap.
const std::vector<Route>& routes() {
  using enum AuthScope;
  static const std::vector<Route> table = {
      {{"POST", "/v1/tenants", admin, true}, create_tenant},
      {{"GET", "/v1/tenants", admin, false}, list_tenants},
      {{"GET", "/v1/tenants/{tid}", admin, false}, get_tenant},
      {{"DELETE", "/v1/tenants/{tid}", admin, false}, delete_tenant},
      {{"PATCH", "/v1/tenants/{tid}", tenant, true}, update_tenant},
      {{"POST", "/v1/tenants/{tid}/event-types", tenant, true}, create_event_type},
      {{"GET", "/v1/tenants/{tid}/event-types", tenant, false}, list_event_types},
      {{"GET", "/v1/tenants/{tid}/event-types/{name}", tenant, false}, get_event_type},
      {{"PATCH", "/v1/tenants/{tid}/event-types/{name}", tenant, true}, update_event_type},
      {{"DELETE", "/v1/tenants/{tid}/event-types/{name}", tenant, false}, delete_event_type},
      {{"POST", "/v1/tenants/{tid}/api-keys", admin, false}, create_api_key},
      {{"GET", "/v1/tenants/{tid}/api-keys", admin, false}, list_api_keys},
      {{"DELETE", "/v1/tenants/{tid}/api-keys/{kid}", admin, false}, revoke_api_key},
      {{"POST", "/v1/tenants/{tid}/endpoints", tenant, true}, create_endpoint},
      {{"GET", "/v1/tenants/{tid}/endpoints", tenant, false}, list_endpoints},
      {{"GET", "/v1/tenants/{tid}/endpoints/{eid}", tenant, false}, get_endpoint},
      {{"PATCH", "/v1/tenants/{tid}/endpoints/{eid}", tenant, true}, update_endpoint},
      {{"DELETE", "/v1/tenants/{tid}/endpoints/{eid}", tenant, false}, delete_endpoint},
      {{"POST", "/v1/tenants/{tid}/endpoints/{eid}/rotate-secret", tenant, false},
       rotate_endpoint_secret},
      {{"GET", "/v1/tenants/{tid}/endpoints/{eid}/secret", tenant, false}, get_endpoint_secret},
      {{"POST", "/v1/tenants/{tid}/endpoints/{eid}/recover", tenant, true}, recover_endpoint},
      {{"POST", "/v1/tenants/{tid}/events", tenant, true, true}, ingest_event},
      {{"POST", "/v1/tenants/{tid}/events/batch", tenant, true, true, kMaxBatchBodyDepth,
        kMaxBatchBodyBytes},
       ingest_event_batch},
      {{"GET", "/v1/tenants/{tid}/events", tenant, false}, list_events},
      {{"GET", "/v1/tenants/{tid}/events/{evid}", tenant, false}, get_event},
      {{"GET", "/v1/tenants/{tid}/deliveries", tenant, false}, list_deliveries},
      {{"GET", "/v1/tenants/{tid}/deliveries/{did}", tenant, false}, get_delivery},
      {{"POST", "/v1/tenants/{tid}/deliveries/{did}/replay", tenant, false}, replay_delivery},
      {{"GET", "/v1/tenants/{tid}/dead-letters", tenant, false}, list_dead_letters},
      {{"GET", "/healthz", anyone, false}, healthz},
      {{"GET", "/metrics", anyone, false}, metrics},
      {{"GET", "/openapi.json", anyone, false}, openapi_json},
  };
  return table;
}

using Params = std::vector<std::pair<std::string_view, std::string>>;

// Matches "/a/{x}/b" against "/a/42/b"; a {param} matches one non-empty segment.
bool match_pattern(std::string_view pattern, std::string_view path, Params& params) {
  params.clear();
  while (!pattern.empty() && !path.empty()) {
    if (pattern.front() != '/' || path.front() != '/') return false;
    pattern.remove_prefix(1);
    path.remove_prefix(1);
    std::string_view want = pattern.substr(0, pattern.find('/'));
    std::string_view got = path.substr(0, path.find('/'));
    if (want.starts_with('{')) {
      if (got.empty()) return false;
      params.emplace_back(want.substr(1, want.size() - 2), std::string(got));
    } else if (want != got) {
      return false;
    }
    pattern.remove_prefix(want.size());
    path.remove_prefix(got.size());
  }
  return pattern.empty() && path.empty();
}

// Everything before the handler: query, credential and scope, body.
Result<RouteRequest> prepare_route(const Services& services, const Route& route,
                                   const ApiRequest& request, Params params,
                                   std::string_view raw_query) {
  auto query = Query::parse(raw_query);
  if (!query) return std::unexpected(query.error());
  RouteRequest route_request{.http = request,
                             .params = std::move(params),
                             .query = std::move(*query),
                             .body = nullptr,
                             .body_text = {},
                             .principal = {}};

  if (route.info.scope != AuthScope::anyone) {
    auto principal = authenticate(services.context, services.caches->credentials, request);
    if (!principal) return std::unexpected(principal.error());
    std::optional<std::string_view> tid;
    for (const auto& [name, value] : route_request.params) {
      if (name == "tid") tid = value;
    }
    auto allowed = authorize(services.context, *principal, route.info.scope, tid);
    if (!allowed) return std::unexpected(allowed.error());
    route_request.principal = std::move(*principal);
  }

  if (route.info.json_body) {
    auto content_type = require_json_content_type(request);
    if (!content_type) return std::unexpected(content_type.error());
    auto text = minify_json_object_body(request.body, route.info.max_body_depth);
    if (!text) return std::unexpected(text.error());
    route_request.body_text = std::move(*text);
    if (!route.info.body_as_text) {
      route_request.body = nlohmann::json::parse(route_request.body_text, nullptr,
                                                 /*allow_exceptions=*/false);
      if (route_request.body.is_discarded()) {  // valid JSON, but a number beyond a double
        return fail(Errc::invalid_json, "request body holds a number out of range");
      }
    }
  }
  return route_request;
}

// A handler's result as the answer; an internal error is logged and answered without detail.
ApiResponse answer_for(Result<ApiResponse> result, std::string_view method,
                       std::string_view path) {
  if (result) return std::move(*result);
  if (result.error().code == Errc::internal) {
    spdlog::error("{} {}: internal error: {}", method, path, result.error().message);
    return error_response(Error{Errc::internal, "internal error"});
  }
  return error_response(result.error());
}

}  // namespace

const std::vector<RouteInfo>& route_table() {
  static const std::vector<RouteInfo> infos = [] {
    std::vector<RouteInfo> out;
    for (const Route& route : routes()) out.push_back(route.info);
    return out;
  }();
  return infos;
}

std::size_t body_limit_for(std::string_view method, std::string_view target,
                           std::size_t default_limit) {
  std::string_view path = split_target(target).first;
  Params params;
  for (const Route& route : routes()) {
    if (route.info.method == method && route.info.max_body_bytes != 0 &&
        match_pattern(route.info.pattern, path, params)) {
      return route.info.max_body_bytes;
    }
  }
  return default_limit;
}

std::size_t largest_body_limit(std::size_t default_limit) {
  std::size_t largest = default_limit;
  for (const Route& route : routes()) largest = std::max(largest, route.info.max_body_bytes);
  return largest;
}

const std::string& RouteRequest::param(std::string_view name) const {
  static const std::string kEmpty;
  for (const auto& [key, value] : params) {
    if (key == name) return value;
  }
  return kEmpty;
}

namespace {

// The page's own <meta> policy (web/index.html) plus what only a header can say: no other site
// may frame the dashboard (clickjacking). X-Frame-Options covers browsers without CSP 3.
constexpr std::string_view kDashboardPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

// The dashboard (GET / and /assets/*), embedded in the binary; public like any web page —
// it holds no data, every call it makes carries the operator's token.
std::optional<ApiResponse> serve_web_asset(const ApiRequest& request, std::string_view path) {
  if (request.method != "GET") return std::nullopt;
  if (path != "/" && !path.starts_with("/assets/")) return std::nullopt;
  const web::Asset* asset = web::find_web_asset(path);
  if (!asset) return error_response(Error{Errc::not_found, "no such asset"});
  ApiResponse response;
  response.content_type = std::string(asset->content_type);
  response.headers = {{"ETag", std::string(asset->etag)},
                      {"Cache-Control", "no-cache"},
                      {"X-Content-Type-Options", "nosniff"},
                      {"Referrer-Policy", "no-referrer"},
                      {"X-Frame-Options", "DENY"},
                      {"Content-Security-Policy", std::string(kDashboardPolicy)}};
  if (auto tag = request.header("If-None-Match"); tag && *tag == asset->etag) {
    response.status = 304;
    return response;
  }
  response.body = std::string(asset->bytes);
  return response;
}

}  // namespace

void handle_request(const Services& services, const ApiRequest& request, Answer answer) {
  auto [path, raw_query] = split_target(request.target);
  if (auto asset = serve_web_asset(request, path)) return answer(std::move(*asset));
  const Route* matched = nullptr;
  Params params;
  std::string allow;
  for (const Route& route : routes()) {
    if (!match_pattern(route.info.pattern, path, params)) continue;
    if (route.info.method == request.method) {
      matched = &route;
      break;
    }
    if (!allow.empty()) allow += ", ";
    allow += route.info.method;
  }
  if (!matched) {
    if (!allow.empty()) {
      return answer(error_response(
          Error{Errc::method_not_allowed, request.method + " is not allowed here; use " + allow},
          ErrorExtras{.allow = allow}));
    }
    return answer(error_response(Error{Errc::not_found, "no such route"}));
  }
  try {
    auto route_request = prepare_route(services, *matched, request, std::move(params), raw_query);
    if (!route_request) return answer(answer_for(std::unexpected(route_request.error()),
                                                 request.method, path));
    if (const Handler* handler = std::get_if<Handler>(&matched->handler)) {
      return answer(answer_for((*handler)(services, *route_request), request.method, path));
    }
    std::get<DeferredHandler>(matched->handler)(
        services, *route_request,
        [answer, method = request.method, path = std::string(path)](Result<ApiResponse> result) {
          answer(answer_for(std::move(result), method, path));
        });
    return;
  } catch (const std::exception& e) {
    spdlog::error("{} {}: unhandled exception: {}", request.method, path, e.what());
  } catch (...) {
    spdlog::error("{} {}: unhandled non-standard exception", request.method, path);
  }
  answer(error_response(Error{Errc::internal, "internal error"}));
}

ApiResponse handle_request(const Services& services, const ApiRequest& request) {
  std::promise<ApiResponse> answered;
  auto answer = answered.get_future();
  handle_request(services, request,
                 [&answered](ApiResponse response) { answered.set_value(std::move(response)); });
  return answer.get();
}

}  // namespace axon::api
