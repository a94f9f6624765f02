// The OpenAPI 3.1 document of the whole API (docs/openapi.json, embedded at build time by
// cmake/embed_openapi.cmake), served at GET /openapi.json. A component test checks that its
// paths and methods equal route_table(). Thread-safety: immutable.
#pragma once

#include <string_view>

namespace axon::api {

std::string_view openapi_document();

}  // namespace axon::api
