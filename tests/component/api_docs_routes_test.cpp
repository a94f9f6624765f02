// docs/api.md against the server's route table: every route has a row
// "| `METHOD /pattern` | who |" whose "who" is the route's auth scope, so the reference cannot
// miss a route or misstate who may call it. (docs/openapi.json is checked the same way in
// openapi_routes_test.cpp.)
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "api/router.hpp"

namespace axon::api {
namespace {

std::string read_api_reference() {
  const auto path = std::filesystem::path(AXON_SOURCE_DIR) / "docs" / "api.md";
  std::ifstream in(path);
  EXPECT_TRUE(in) << "cannot read " << path;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(ApiReference, EveryRouteHasARowNamingWhoMayCallIt) {
  const std::string doc = read_api_reference();
  ASSERT_FALSE(doc.empty());
  for (const RouteInfo& route : route_table()) {
    const std::string call =
        "`" + std::string(route.method) + " " + std::string(route.pattern) + "`";
    const std::string row = "| " + call + " | " + std::string(scope_name(route.scope)) + " |";
    EXPECT_NE(doc.find(row), std::string::npos) << "docs/api.md has no row " << row;
  }
}

}  // namespace
}  // namespace axon::api
