// What the API caches between requests (api/request_caches.hpp): a verified API key and an
// event type's catalogue rule. A change through this server applies to the very next request;
// a change it cannot see (another node, the CLI: here, the store written directly) applies
// within one second.
#include <gtest/gtest.h>

#include <string>

#include "api/request_caches.hpp"
#include "component/api_fixture.hpp"

namespace axon::test {
namespace {

class ApiRequestCachesTest : public ApiFixture {
 protected:
  void SetUp() override {
    ApiFixture::SetUp();
    tid_ = create_tenant("cached");
    key_ = create_key(tid_);
    auto keys = admin("GET", base() + "/api-keys");
    key_id_ = keys.json()["data"][0].value("id", "");
  }
  std::string base() const { return "/v1/tenants/" + tid_; }
  int post_event(const std::string& type, const nlohmann::json& data) {
    return as(key_, "POST", base() + "/events", {{"type", type}, {"data", data}}).status;
  }

  std::string tid_;
  std::string key_;
  std::string key_id_;
};

constexpr Millis kTtl = api::RequestCaches::kTtlMs;

TEST_F(ApiRequestCachesTest, KeyRevokedThroughThisServerIsRefusedAtOnce) {
  ASSERT_EQ(post_event("a.b", {{"n", 1}}), 202);  // the key is now cached
  ASSERT_EQ(admin("DELETE", base() + "/api-keys/" + key_id_).status, 204);
  auto response = as(key_, "GET", base() + "/endpoints");
  EXPECT_EQ(response.status, 401) << response.body;
}

TEST_F(ApiRequestCachesTest, KeyRevokedElsewhereIsRefusedWithinOneSecond) {
  ASSERT_EQ(post_event("a.b", {{"n", 1}}), 202);
  ASSERT_TRUE(store_->revoke_api_key(tid_, key_id_, clock_.now_ms()));
  clock_.advance(kTtl - 1);
  EXPECT_EQ(post_event("a.b", {{"n", 2}}), 202);  // still the cached verification
  clock_.advance(1);
  EXPECT_EQ(post_event("a.b", {{"n", 3}}), 401);
}

TEST_F(ApiRequestCachesTest, DeletedTenantsKeysAreRefusedAtOnce) {
  ASSERT_EQ(post_event("a.b", {{"n", 1}}), 202);
  ASSERT_EQ(admin("DELETE", base()).status, 204);
  EXPECT_EQ(post_event("a.b", {{"n", 2}}), 401);
}

TEST_F(ApiRequestCachesTest, CatalogueChangesThroughThisServerApplyAtOnce) {
  const nlohmann::json schema = {{"type", "object"}, {"required", {"id"}}};
  ASSERT_EQ(post_event("order.created", {{"x", 1}}), 202);  // uncatalogued: any data
  ASSERT_EQ(as(key_, "POST", base() + "/event-types",
               {{"name", "order.created"}, {"schema", schema}}).status, 201);
  EXPECT_EQ(post_event("order.created", {{"x", 1}}), 422);
  ASSERT_EQ(as(key_, "PATCH", base() + "/event-types/order.created", {{"schema", nullptr}}).status,
            200);
  EXPECT_EQ(post_event("order.created", {{"x", 1}}), 202);
  ASSERT_EQ(as(key_, "PATCH", base(), {{"settings", {{"require_catalogued_types", true}}}}).status,
            200);
  EXPECT_EQ(post_event("user.created", {{"x", 1}}), 422);
  ASSERT_EQ(as(key_, "DELETE", base() + "/event-types/order.created").status, 204);
  EXPECT_EQ(post_event("order.created", {{"x", 1}}), 422);  // no longer catalogued
}

TEST_F(ApiRequestCachesTest, CatalogueChangedElsewhereAppliesWithinOneSecond) {
  ASSERT_EQ(post_event("order.created", {{"x", 1}}), 202);
  EventType type{tid_, "order.created", "", false, R"({"required":["id"]})", 1,
                 clock_.now_ms(), clock_.now_ms()};
  ASSERT_TRUE(store_->create_event_type(type));
  clock_.advance(kTtl - 1);
  EXPECT_EQ(post_event("order.created", {{"x", 1}}), 202);  // still the cached rule
  clock_.advance(1);
  EXPECT_EQ(post_event("order.created", {{"x", 1}}), 422);
}

}  // namespace
}  // namespace axon::test
