// The event-type catalogue through the HTTP API: CRUD, schema validation of event data (422
// with the failing JSON pointer), and the tenant settings that require catalogued types and
// restrict subscriptions.
#include <gtest/gtest.h>

#include <string>

#include "component/api_fixture.hpp"

namespace axon::test {
namespace {

class ApiCatalogueTest : public ApiFixture {
 protected:
  void SetUp() override {
    ApiFixture::SetUp();
    tid_ = create_tenant("catalogue");
    key_ = create_key(tid_);
  }
  std::string base() const { return "/v1/tenants/" + tid_; }
  HttpResponse post_event(const std::string& type, const nlohmann::json& data) {
    return as(key_, "POST", base() + "/events", {{"type", type}, {"data", data}});
  }
  std::string error_code(const HttpResponse& r) { return r.json()["error"].value("code", ""); }
  std::string error_message(const HttpResponse& r) {
    return r.json()["error"].value("message", "");
  }

  std::string tid_;
  std::string key_;
};

const nlohmann::json kOrderSchema = nlohmann::json::parse(R"({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object",
  "required": ["id", "items"],
  "properties": {
    "id": {"type": "string"},
    "items": {"type": "array", "minItems": 1,
              "items": {"type": "object", "required": ["qty"],
                        "properties": {"qty": {"type": "integer", "minimum": 1}}}}
  }
})");

TEST_F(ApiCatalogueTest, CreateGetListPatchDelete) {
  auto created = as(key_, "POST", base() + "/event-types",
                    {{"name", "order.created"}, {"description", "An order"}, {"schema", kOrderSchema}});
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.json()["name"], "order.created");
  EXPECT_EQ(created.json()["deprecated"], false);
  EXPECT_EQ(created.json()["version"], 1);
  EXPECT_EQ(created.json()["schema"], kOrderSchema);

  auto again = as(key_, "POST", base() + "/event-types", {{"name", "order.created"}});
  EXPECT_EQ(again.status, 409) << again.body;
  ASSERT_EQ(as(key_, "POST", base() + "/event-types", {{"name", "invoice.paid"}}).status, 201);

  auto got = as(key_, "GET", base() + "/event-types/order.created");
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(got.json()["description"], "An order");

  auto page1 = as(key_, "GET", base() + "/event-types?limit=1");
  ASSERT_EQ(page1.status, 200) << page1.body;
  ASSERT_EQ(page1.json()["data"].size(), 1u);
  EXPECT_EQ(page1.json()["data"][0]["name"], "invoice.paid");
  ASSERT_TRUE(page1.json()["next"].is_string());
  auto page2 = as(key_, "GET",
                  base() + "/event-types?limit=1&after=" + page1.json()["next"].get<std::string>());
  ASSERT_EQ(page2.status, 200);
  EXPECT_EQ(page2.json()["data"][0]["name"], "order.created");
  EXPECT_TRUE(page2.json()["next"].is_null());
  EXPECT_EQ(as(key_, "GET", base() + "/event-types?after=bogus").status, 400);

  auto patched = as(key_, "PATCH", base() + "/event-types/order.created",
                    {{"deprecated", true}, {"schema", nullptr}});
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(patched.json()["deprecated"], true);
  EXPECT_TRUE(patched.json()["schema"].is_null());
  EXPECT_EQ(patched.json()["version"], 2);

  EXPECT_EQ(as(key_, "DELETE", base() + "/event-types/order.created").status, 204);
  EXPECT_EQ(as(key_, "GET", base() + "/event-types/order.created").status, 404);
  EXPECT_EQ(as(key_, "DELETE", base() + "/event-types/order.created").status, 404);

  // Another tenant sees none of it.
  const std::string other = create_tenant("other");
  const std::string other_key = create_key(other);
  const int foreign = as(other_key, "GET", base() + "/event-types/invoice.paid").status;
  EXPECT_TRUE(foreign == 403 || foreign == 404) << foreign;
  EXPECT_EQ(as(other_key, "GET", "/v1/tenants/" + other + "/event-types/invoice.paid").status, 404);
}

TEST_F(ApiCatalogueTest, RefusesBadDefinitions) {
  EXPECT_EQ(as(key_, "POST", base() + "/event-types", {{"name", "bad name"}}).status, 422);
  EXPECT_EQ(as(key_, "POST", base() + "/event-types", nlohmann::json::object()).status, 400);
  EXPECT_EQ(as(key_, "POST", base() + "/event-types", {{"name", "a"}, {"schema", 5}}).status, 400);
  auto bad_schema = as(key_, "POST", base() + "/event-types",
                       {{"name", "a"}, {"schema", {{"type", 12}}}});
  EXPECT_EQ(bad_schema.status, 422) << bad_schema.body;
  auto remote = as(key_, "POST", base() + "/event-types",
                   {{"name", "a"}, {"schema", {{"$ref", "http://127.0.0.1:1/s.json"}}}});
  EXPECT_EQ(remote.status, 422) << remote.body;
  EXPECT_EQ(as(key_, "POST", base() + "/event-types", {{"name", "a"}, {"deprecated", "yes"}}).status,
            400);
}

TEST_F(ApiCatalogueTest, EventDataIsValidatedAgainstTheSchema) {
  ASSERT_EQ(as(key_, "POST", base() + "/event-types",
               {{"name", "order.created"}, {"schema", kOrderSchema}})
                .status,
            201);
  auto ok = post_event("order.created", {{"id", "o1"}, {"items", {{{"qty", 2}}}}});
  EXPECT_EQ(ok.status, 202) << ok.body;

  auto bad_qty = post_event("order.created", {{"id", "o1"}, {"items", {{{"qty", 2}}, {{"qty", 0}}}}});
  ASSERT_EQ(bad_qty.status, 422) << bad_qty.body;
  EXPECT_EQ(error_code(bad_qty), "validation_failed");
  EXPECT_NE(error_message(bad_qty).find("'/items/1/qty'"), std::string::npos) << bad_qty.body;

  auto missing = post_event("order.created", {{"id", "o1"}});
  ASSERT_EQ(missing.status, 422);
  EXPECT_NE(error_message(missing).find("items"), std::string::npos) << missing.body;

  auto wrong_type = post_event("order.created", {{"id", 7}, {"items", {{{"qty", 1}}}}});
  ASSERT_EQ(wrong_type.status, 422);
  EXPECT_NE(error_message(wrong_type).find("'/id'"), std::string::npos) << wrong_type.body;

  // Nothing was stored for the refused events.
  auto events = as(key_, "GET", base() + "/events");
  EXPECT_EQ(events.json()["data"].size(), 1u);

  // A new schema applies at once (new version, new compiled schema).
  ASSERT_EQ(as(key_, "PATCH", base() + "/event-types/order.created",
               {{"schema", {{"type", "object"}, {"required", {"note"}}}}})
                .status,
            200);
  EXPECT_EQ(post_event("order.created", {{"id", "o1"}, {"items", {{{"qty", 2}}}}}).status, 422);
  EXPECT_EQ(post_event("order.created", {{"note", "x"}}).status, 202);

  // Types without a schema, and uncatalogued types by default, are accepted as before.
  EXPECT_EQ(post_event("anything.else", {{"x", 1}}).status, 202);
}

TEST_F(ApiCatalogueTest, TenantCanRequireCataloguedTypes) {
  auto tenant = admin("GET", base());
  ASSERT_EQ(tenant.status, 200);
  EXPECT_EQ(tenant.json()["settings"]["require_catalogued_types"], false);
  ASSERT_EQ(as(key_, "POST", base() + "/event-types", {{"name", "order.created"}}).status, 201);
  auto patched = as(key_, "PATCH", base(), {{"settings", {{"require_catalogued_types", true}}}});
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(patched.json()["settings"]["require_catalogued_types"], true);
  EXPECT_EQ(patched.json()["settings"]["restrict_subscriptions_to_catalogue"], false);

  EXPECT_EQ(post_event("order.created", {{"x", 1}}).status, 202);
  auto unknown = post_event("order.deleted", {{"x", 1}});
  EXPECT_EQ(unknown.status, 422);
  EXPECT_NE(error_message(unknown).find("catalogue"), std::string::npos) << unknown.body;
  EXPECT_EQ(as(key_, "PATCH", base(), {{"settings", {{"require_catalogued_types", "no"}}}}).status,
            400);
}

TEST_F(ApiCatalogueTest, TenantCanRestrictSubscriptionsToTheCatalogue) {
  ASSERT_EQ(as(key_, "POST", base() + "/event-types", {{"name", "order.created"}}).status, 201);
  // Before the setting, anything goes.
  create_endpoint(key_, tid_, {{"url", "https://example.com/a"}, {"event_types", {"misc.thing"}}});
  ASSERT_EQ(as(key_, "PATCH", base(), {{"settings", {{"restrict_subscriptions_to_catalogue", true}}}})
                .status,
            200);
  auto all = as(key_, "POST", base() + "/endpoints", {{"url", "https://example.com/b"}});
  EXPECT_EQ(all.status, 422) << all.body;
  auto unknown = as(key_, "POST", base() + "/endpoints",
                    {{"url", "https://example.com/b"}, {"event_types", {"invoice.paid"}}});
  EXPECT_EQ(unknown.status, 422) << unknown.body;
  auto dead_wildcard = as(key_, "POST", base() + "/endpoints",
                          {{"url", "https://example.com/b"}, {"event_types", {"invoice.*"}}});
  EXPECT_EQ(dead_wildcard.status, 422) << dead_wildcard.body;
  auto exact = create_endpoint(key_, tid_,
                               {{"url", "https://example.com/c"}, {"event_types", {"order.created"}}});
  auto wildcard = create_endpoint(key_, tid_,
                                  {{"url", "https://example.com/d"}, {"event_types", {"order.*"}}});
  auto patch = as(key_, "PATCH", base() + "/endpoints/" + exact.value("id", ""),
                  {{"event_types", {"nope.x"}}});
  EXPECT_EQ(patch.status, 422) << patch.body;
  EXPECT_EQ(as(key_, "PATCH", base() + "/endpoints/" + exact.value("id", ""),
               {{"description", "no subscription change"}})
                .status,
            200);
}

}  // namespace
}  // namespace axon::test
