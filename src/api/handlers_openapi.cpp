// GET /openapi.json: the embedded OpenAPI document (public, like the dashboard: it holds no data).
#include "api/handlers.hpp"
#include "api/openapi_document.hpp"

namespace axon::api {

Result<ApiResponse> openapi_json(const Services&, const RouteRequest&) {
  ApiResponse response;
  response.content_type = "application/json";
  response.headers = {{"Cache-Control", "no-cache"}, {"X-Content-Type-Options", "nosniff"}};
  response.body = std::string(openapi_document());
  return response;
}

}  // namespace axon::api
