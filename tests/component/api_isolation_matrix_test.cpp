// The isolation matrix: EVERY route of api::route_table() × every kind of caller, with the
// status each must get. Generated from the table, so a new route is covered the moment it is
// added (and a route with a path parameter this file cannot fill fails loudly here).
//
//   tenant routes:  no token 401, wrong token 401, revoked key 401, other tenant's key 404
//                   (also with its own {tid} and our resource ids), own key and admin: the
//                   route's success status, or a 4xx other than 401/403/404 (e.g. 409 for a
//                   replay of a delivery that is not dead).
//   admin routes:   no token 401, wrong token 401, revoked key 401, tenant key 403, admin ok.
//   public routes:  200 without a token.
//
// Resources are created fresh for every success call, so destructive routes (DELETE) never
// disturb the next row of the matrix.
#include <map>
#include <string>

#include "api/router.hpp"
#include "component/api_fixture.hpp"

namespace axon::test {
namespace {

using nlohmann::json;

// The real ids that fill a pattern's {params} for one tenant.
struct Ids {
  std::string tid, eid, evid, did, kid, name;  // name: an event type of the catalogue
};

// A valid body for each JSON route (an unknown route gets {} and must then answer a 4xx
// validation error, never an auth-looking one).
json body_for(const api::RouteInfo& route) {
  if (!route.json_body) return nullptr;
  const std::string_view p = route.pattern;
  if (p == "/v1/tenants") return {{"name", "matrix"}};
  if (p == "/v1/tenants/{tid}/endpoints") return {{"url", "https://example.com/matrix"}};
  if (p == "/v1/tenants/{tid}/endpoints/{eid}") return {{"description", "patched"}};
  if (p.ends_with("/recover")) return {{"since", "2020-01-01T00:00:00Z"}};
  if (p == "/v1/tenants/{tid}/events") return {{"type", "matrix.test"}, {"data", {{"n", 1}}}};
  return json::object();
}

bool is_success_or_validation(int status) {
  if (status >= 200 && status < 300) return true;
  return status >= 400 && status < 500 && status != 401 && status != 403 && status != 404;
}

class ApiIsolationMatrixTest : public ApiFixture {
 protected:
  void SetUp() override {
    ApiFixture::SetUp();
    if (HasFatalFailure()) return;
    own_ = create_tenant("own");
    own_key_ = create_key(own_);
    other_ = create_tenant("other");
    other_key_ = create_key(other_);
    // A key of the own tenant, revoked.
    auto revoked = admin("POST", "/v1/tenants/" + own_ + "/api-keys");
    ASSERT_EQ(revoked.status, 201) << revoked.body;
    revoked_key_ = revoked.json()["key"];
    revoked_key_id_ = revoked.json()["id"];
    ASSERT_EQ(admin("DELETE", "/v1/tenants/" + own_ + "/api-keys/" + revoked_key_id_).status, 204);
    own_ids_ = fresh_ids(own_);
    other_ids_ = fresh_ids(other_);
  }

  // A new endpoint, event, delivery and (unused) API key of `tenant_id`, made by the admin.
  Ids fresh_ids(const std::string& tenant_id) {
    Ids ids;
    ids.tid = tenant_id;
    ids.eid = create_endpoint(kAdminToken, tenant_id)["id"];
    auto event = admin("POST", "/v1/tenants/" + tenant_id + "/events",
                       {{"type", "matrix.seed"}, {"data", json::object()}});
    EXPECT_EQ(event.status, 202) << event.body;
    ids.evid = event.json()["id"];
    auto deliveries =
        admin("GET", "/v1/tenants/" + tenant_id + "/deliveries?event_id=" + ids.evid);
    EXPECT_FALSE(deliveries.json()["data"].empty()) << deliveries.body;
    ids.did = deliveries.json()["data"][0]["id"];
    auto key = admin("POST", "/v1/tenants/" + tenant_id + "/api-keys");
    EXPECT_EQ(key.status, 201) << key.body;
    ids.kid = key.json().value("id", "");
    ids.name = "matrix.type" + std::to_string(++event_types_);
    auto type = admin("POST", "/v1/tenants/" + tenant_id + "/event-types", {{"name", ids.name}});
    EXPECT_EQ(type.status, 201) << type.body;
    return ids;
  }

  // `pattern` with every {param} filled from `ids`; a parameter nobody taught this test to
  // fill is a test failure (add it to Ids and fresh_ids).
  static std::string fill(std::string_view pattern, const Ids& ids) {
    const std::map<std::string, std::string, std::less<>> values = {
        {"tid", ids.tid}, {"eid", ids.eid}, {"evid", ids.evid}, {"did", ids.did}, {"kid", ids.kid},
        {"name", ids.name}};
    std::string out;
    while (!pattern.empty()) {
      std::size_t open = pattern.find('{');
      out.append(pattern.substr(0, open));
      if (open == std::string_view::npos) break;
      std::size_t close = pattern.find('}', open);
      std::string_view name = pattern.substr(open + 1, close - open - 1);
      auto it = values.find(name);
      EXPECT_NE(it, values.end()) << "the isolation matrix cannot fill {" << name
                                  << "}: teach api_isolation_matrix_test.cpp a real id for it";
      out += it == values.end() ? "unknown" : it->second;
      pattern.remove_prefix(close + 1);
    }
    return out;
  }

  static bool has_resource_params(std::string_view pattern) {
    return pattern.find('{', pattern.find("{tid}") + 1) != std::string_view::npos;
  }

  HttpResponse call(std::string_view token, const api::RouteInfo& route, const std::string& path) {
    return as(token, route.method, path, body_for(route));
  }

  std::string own_, own_key_, other_, other_key_, revoked_key_, revoked_key_id_;
  Ids own_ids_, other_ids_;
  int event_types_ = 0;
};

constexpr std::string_view kWrongKey = "axk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

TEST_F(ApiIsolationMatrixTest, EveryTenantRouteTimesEveryCaller) {
  int routes = 0;
  for (const api::RouteInfo& route : api::route_table()) {
    if (route.scope != api::AuthScope::tenant) continue;
    ++routes;
    const std::string name = std::string(route.method) + " " + std::string(route.pattern);
    SCOPED_TRACE(name);
    const std::string own_path = fill(route.pattern, own_ids_);

    for (std::string_view token : {std::string_view(""), std::string_view("wrong-token"),
                                   kWrongKey, std::string_view(revoked_key_)}) {
      auto response = call(token, route, own_path);
      EXPECT_EQ(response.status, 401) << "token '" << token << "': " << response.body;
      EXPECT_EQ(response.json()["error"]["code"], "unauthorized");
      EXPECT_EQ(response.header("WWW-Authenticate"), "Bearer");
    }

    // Another tenant's key on our path: 404, exactly like a tenant that does not exist.
    auto foreign = call(other_key_, route, own_path);
    EXPECT_EQ(foreign.status, 404) << "other tenant's key: " << foreign.body;
    EXPECT_EQ(foreign.json()["error"]["code"], "not_found");
    // … and on its own {tid} with our resource ids: still 404.
    if (has_resource_params(route.pattern)) {
      Ids mixed = own_ids_;
      mixed.tid = other_;
      auto crossed = call(other_key_, route, fill(route.pattern, mixed));
      EXPECT_EQ(crossed.status, 404) << "own tid, foreign ids: " << crossed.body;
    }

    // Own key and admin succeed (fresh resources each time: the route may delete them).
    for (std::string_view token : {std::string_view(own_key_), std::string_view(kAdminToken)}) {
      const std::string path = fill(route.pattern, fresh_ids(own_));
      auto response = call(token, route, path);
      EXPECT_TRUE(is_success_or_validation(response.status))
          << (token == kAdminToken ? "admin" : "own key") << " on " << path << " -> "
          << response.status << " " << response.body;
    }
  }
  EXPECT_GE(routes, 15);
  // The other tenant's resources were never touched by all of the above.
  EXPECT_EQ(admin("GET", fill("/v1/tenants/{tid}/endpoints/{eid}", other_ids_)).status, 200);
  EXPECT_EQ(admin("GET", fill("/v1/tenants/{tid}/events/{evid}", other_ids_)).status, 200);
  EXPECT_EQ(admin("GET", fill("/v1/tenants/{tid}/deliveries/{did}", other_ids_)).status, 200);
}

TEST_F(ApiIsolationMatrixTest, EveryAdminRouteTimesEveryCaller) {
  int routes = 0;
  for (const api::RouteInfo& route : api::route_table()) {
    if (route.scope != api::AuthScope::admin) continue;
    ++routes;
    SCOPED_TRACE(std::string(route.method) + " " + std::string(route.pattern));
    const std::string own_path = fill(route.pattern, own_ids_);
    for (std::string_view token : {std::string_view(""), std::string_view("wrong-token"),
                                   kWrongKey, std::string_view(revoked_key_)}) {
      auto response = call(token, route, own_path);
      EXPECT_EQ(response.status, 401) << "token '" << token << "': " << response.body;
    }
    for (std::string_view token : {std::string_view(own_key_), std::string_view(other_key_)}) {
      auto response = call(token, route, own_path);
      EXPECT_EQ(response.status, 403) << response.body;
      EXPECT_EQ(response.json()["error"]["code"], "forbidden");
    }
    // The admin, on a throwaway tenant (the route may delete it).
    const std::string scratch = create_tenant("scratch");
    const std::string path = fill(route.pattern, fresh_ids(scratch));
    auto response = call(kAdminToken, route, path);
    EXPECT_TRUE(is_success_or_validation(response.status))
        << path << " -> " << response.status << " " << response.body;
  }
  EXPECT_GE(routes, 7);
  // Our tenant and its keys survived every row.
  EXPECT_EQ(as(own_key_, "GET", "/v1/tenants/" + own_ + "/endpoints").status, 200);
  EXPECT_EQ(as(other_key_, "GET", "/v1/tenants/" + other_ + "/endpoints").status, 200);
}

TEST_F(ApiIsolationMatrixTest, PublicRoutesNeedNoCredential) {
  for (const api::RouteInfo& route : api::route_table()) {
    if (route.scope != api::AuthScope::anyone) continue;
    SCOPED_TRACE(std::string(route.pattern));
    EXPECT_EQ(as("", route.method, std::string(route.pattern)).status, 200);
  }
}

}  // namespace
}  // namespace axon::test
