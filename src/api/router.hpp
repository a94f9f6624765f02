// The route table (documented in docs/api.md) and the request pipeline around it:
//   match path (unknown -> 404, wrong method -> 405 with Allow) -> parse query ->
//   authenticate + authorize by the route's scope -> for routes that take a body:
//   Content-Type (415) and JSON object (400/422) -> handler.
// `route_table()` lists every route (method, pattern, scope) so tests (the isolation
// matrix) and the OpenAPI document are derived from the same table the server uses.
// Thread-safety: the table is immutable; handle_request may run on many threads at once.
#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/api_context.hpp"
#include "api/auth.hpp"
#include "api/http_types.hpp"
#include "api/request_caches.hpp"
#include "api/request_input.hpp"
#include "core/json_limits.hpp"

namespace axon::api {

struct RouteInfo {
  std::string_view method;   // "GET", "POST", "PATCH", "DELETE"
  std::string_view pattern;  // "/v1/tenants/{tid}/endpoints/{eid}"
  AuthScope scope;
  bool json_body;  // takes a JSON object body (Content-Type checked, parsed for the handler)
  // The handler reads `body_text` itself and `body` stays null: ingest keeps event data as
  // the producer wrote it instead of parsing it into a document and serialising it again.
  bool body_as_text = false;
  int max_body_depth = kMaxJsonDepth + 1;  // one level for the body object itself
  std::size_t max_body_bytes = 0;          // 0: the server's limit (ApiOptions::max_body_bytes)
};

const std::vector<RouteInfo>& route_table();

// The body size limit of the route `method` `target` answers (the server checks it before
// reading the body): the route's own limit when it has one, else `default_limit`.
std::size_t body_limit_for(std::string_view method, std::string_view target,
                           std::size_t default_limit);
// The largest body any route takes (the limit while the request head is still being read).
std::size_t largest_body_limit(std::size_t default_limit);

// What handlers get besides the request.
struct Services {
  const ApiContext& context;
  const ApiOptions& options;
  std::shared_ptr<RequestCaches> caches = std::make_shared<RequestCaches>();
};

struct RouteRequest {
  const ApiRequest& http;
  std::vector<std::pair<std::string_view, std::string>> params;  // {tid} -> value
  Query query;
  nlohmann::json body;  // the parsed object for json_body routes, else null
  std::string body_text;  // json_body routes: the body minified as written (json_text.hpp)
  Principal principal;

  // The value of a path parameter of the matched pattern ("" if the pattern has none).
  const std::string& param(std::string_view name) const;
};

using Handler = Result<ApiResponse> (*)(const Services&, const RouteRequest&);
// A handler that answers later, through `respond` (exactly once, possibly on another thread):
// a single event is handed to the store's group commit and answered from the commit's
// completion, so no I/O thread waits for it. Handing off is the handler's last step.
using Respond = std::function<void(Result<ApiResponse>)>;
using DeferredHandler = void (*)(const Services&, const RouteRequest&, Respond respond);

// Answers one request through `answer`, exactly once: before returning for most routes,
// later (on the thread that commits) for a single event. Never throws: a handler exception
// becomes 500 internal (logged).
using Answer = std::function<void(ApiResponse)>;
void handle_request(const Services& services, const ApiRequest& request, Answer answer);
// The same, waiting for the answer (the fuzzer, tools).
ApiResponse handle_request(const Services& services, const ApiRequest& request);

}  // namespace axon::api
