// Who may call what: admin token, tenant keys, revoked keys, another tenant's key. The
// isolation matrix walks api::route_table(), so a new route is covered automatically.
#include <string>

#include "api/router.hpp"
#include "component/api_fixture.hpp"

namespace axon::test {
namespace {

using nlohmann::json;

// A concrete path for a pattern: {tid} -> tenant_id, other ids -> well-formed ids of the
// owning tenant's resources where given, else well-formed unknown ids.
std::string concrete(std::string_view pattern, const std::string& tenant_id,
                     const std::string& endpoint_id, const std::string& event_id,
                     const std::string& delivery_id) {
  std::string out;
  while (!pattern.empty()) {
    std::size_t open = pattern.find('{');
    out.append(pattern.substr(0, open));
    if (open == std::string_view::npos) break;
    std::size_t close = pattern.find('}', open);
    std::string_view name = pattern.substr(open + 1, close - open - 1);
    if (name == "tid") out += tenant_id;
    if (name == "eid") out += endpoint_id;
    if (name == "evid") out += event_id;
    if (name == "did") out += delivery_id;
    if (name == "kid") out += "key_01JDZ8Q3V6K2W9X4Y5Z6A7B8C9";
    if (name == "name") out += "order.created";  // an event type in the catalogue routes
    pattern.remove_prefix(close + 1);
  }
  return out;
}

class ApiAuthTest : public ApiFixture {
 protected:
  void SetUp() override {
    ApiFixture::SetUp();
    if (HasFatalFailure()) return;
    tenant_a_ = create_tenant("a");
    key_a_ = create_key(tenant_a_);
    tenant_b_ = create_tenant("b");
    key_b_ = create_key(tenant_b_);
    endpoint_b_ = create_endpoint(key_b_, tenant_b_)["id"];
    auto event =
        as(key_b_, "POST", "/v1/tenants/" + tenant_b_ + "/events", {{"type", "x.y"}, {"data", 1}});
    event_b_ = event.json()["id"];
    auto deliveries = as(key_b_, "GET", "/v1/tenants/" + tenant_b_ + "/deliveries");
    delivery_b_ = deliveries.json()["data"][0]["id"];
  }

  std::string tenant_a_, key_a_, tenant_b_, key_b_, endpoint_b_, event_b_, delivery_b_;
};

TEST_F(ApiAuthTest, AnotherTenantsKeySeesNothingOnAnyTenantRoute) {
  int checked = 0;
  for (const api::RouteInfo& route : api::route_table()) {
    if (route.scope != api::AuthScope::tenant) continue;
    SCOPED_TRACE(std::string(route.method) + " " + std::string(route.pattern));
    // Tenant A's key on tenant B's real resources.
    std::string path = concrete(route.pattern, tenant_b_, endpoint_b_, event_b_, delivery_b_);
    json body = route.json_body ? json{{"since", "2020-01-01T00:00:00Z"}} : json(nullptr);
    auto response = as(key_a_, route.method, path, body);
    EXPECT_EQ(response.status, 404) << response.body;
    EXPECT_EQ(response.json()["error"]["code"], "not_found");
    ++checked;
  }
  EXPECT_GE(checked, 15);
  // Tenant B's resources are untouched.
  auto endpoint = as(key_b_, "GET", "/v1/tenants/" + tenant_b_ + "/endpoints/" + endpoint_b_);
  EXPECT_EQ(endpoint.status, 200);
  EXPECT_EQ(endpoint.json()["disabled"], false);
}

TEST_F(ApiAuthTest, TenantKeyOnAdminRoutesIsForbidden) {
  int checked = 0;
  for (const api::RouteInfo& route : api::route_table()) {
    if (route.scope != api::AuthScope::admin) continue;
    SCOPED_TRACE(std::string(route.method) + " " + std::string(route.pattern));
    std::string path = concrete(route.pattern, tenant_a_, "", "", "");
    json body = route.json_body ? json{{"name", "x"}} : json(nullptr);
    auto response = as(key_a_, route.method, path, body);
    EXPECT_EQ(response.status, 403) << response.body;
    EXPECT_EQ(response.json()["error"]["code"], "forbidden");
    ++checked;
  }
  EXPECT_GE(checked, 7);
}

TEST_F(ApiAuthTest, EveryNonPublicRouteNeedsACredential) {
  for (const api::RouteInfo& route : api::route_table()) {
    SCOPED_TRACE(std::string(route.method) + " " + std::string(route.pattern));
    std::string path = concrete(route.pattern, tenant_b_, endpoint_b_, event_b_, delivery_b_);
    for (std::string_view token :
         {std::string_view(""), std::string_view("nonsense"),
          std::string_view("axk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")}) {
      auto response = as(token, route.method, path);
      if (route.scope == api::AuthScope::anyone) {
        EXPECT_EQ(response.status, 200);
      } else {
        EXPECT_EQ(response.status, 401) << response.body;
        EXPECT_EQ(response.json()["error"]["code"], "unauthorized");
        EXPECT_EQ(response.header("WWW-Authenticate"), "Bearer");
      }
    }
  }
}

TEST_F(ApiAuthTest, AdminMayTouchEveryTenant) {
  EXPECT_EQ(admin("GET", "/v1/tenants/" + tenant_b_ + "/endpoints/" + endpoint_b_).status, 200);
  EXPECT_EQ(admin("GET", "/v1/tenants/" + tenant_b_ + "/events/" + event_b_).status, 200);
  EXPECT_EQ(admin("GET", "/v1/tenants/" + tenant_a_ + "/endpoints").status, 200);
  auto response =
      admin("POST", "/v1/tenants/" + tenant_a_ + "/events", {{"type", "admin.sent"}, {"data", {}}});
  EXPECT_EQ(response.status, 202) << response.body;
  // A tenant that does not exist answers 404, also to the admin.
  EXPECT_EQ(admin("GET", "/v1/tenants/ten_01JDZ8Q3V6K2W9X4Y5Z6A7B8C9/endpoints").status, 404);
  // The Bearer scheme is case-insensitive.
  auto lower = http().request("GET", "/v1/tenants", "",
                              {{"Authorization", std::string("bearer ") + kAdminToken}});
  EXPECT_EQ(lower.status, 200);
}

TEST_F(ApiAuthTest, OwnKeyWorksRevokedKeyDoesNot) {
  const std::string endpoints = "/v1/tenants/" + tenant_a_ + "/endpoints";
  EXPECT_EQ(as(key_a_, "GET", endpoints).status, 200);

  auto keys = admin("GET", "/v1/tenants/" + tenant_a_ + "/api-keys");
  ASSERT_EQ(keys.json()["data"].size(), 1u);
  const std::string key_id = keys.json()["data"][0]["id"];
  auto revoked = admin("DELETE", "/v1/tenants/" + tenant_a_ + "/api-keys/" + key_id);
  EXPECT_EQ(revoked.status, 204) << revoked.body;

  auto response = as(key_a_, "GET", endpoints);
  EXPECT_EQ(response.status, 401);
  EXPECT_EQ(response.json()["error"]["code"], "unauthorized");
  keys = admin("GET", "/v1/tenants/" + tenant_a_ + "/api-keys");
  EXPECT_FALSE(keys.json()["data"][0]["revoked_at"].is_null());
  // A new key works; the other tenant's key still works.
  EXPECT_EQ(as(create_key(tenant_a_), "GET", endpoints).status, 200);
  EXPECT_EQ(as(key_b_, "GET", "/v1/tenants/" + tenant_b_ + "/endpoints").status, 200);
  // Revoking a key of another tenant through the wrong path finds nothing.
  auto b_keys = admin("GET", "/v1/tenants/" + tenant_b_ + "/api-keys");
  const std::string b_key_id = b_keys.json()["data"][0]["id"];
  EXPECT_EQ(admin("DELETE", "/v1/tenants/" + tenant_a_ + "/api-keys/" + b_key_id).status, 404);
  EXPECT_EQ(as(key_b_, "GET", "/v1/tenants/" + tenant_b_ + "/endpoints").status, 200);
}

}  // namespace
}  // namespace axon::test
