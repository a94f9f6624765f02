// Malformed requests: each answers the documented 4xx status and error code, never 5xx, and
// the server keeps serving afterwards.
#include <string>
#include <vector>

#include "component/api_fixture.hpp"
#include "core/encoding.hpp"

namespace axon::test {
namespace {

using nlohmann::json;

enum class As { admin, tenant, none, wrong };

struct BadRequest {
  const char* name;
  std::string method;
  std::string target;  // {tid}, {eid} are replaced
  std::string body;
  As as = As::admin;
  int status;
  std::string code;
  HttpHeaders headers = {{"Content-Type", "application/json"}};
};

std::string nested(int depth) {
  return std::string(static_cast<std::size_t>(depth), '[') +
         std::string(static_cast<std::size_t>(depth), ']');
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at)) {
    text.replace(at, from.size(), to);
    at += to.size();
  }
  return text;
}

std::string endpoint_with(const std::string& field, const json& value) {
  json body = {{"url", "https://example.com/hook"}};
  body[field] = value;
  return body.dump();
}

std::string event_with(const json& type, const std::string& data_json = "{}") {
  return R"({"type":)" + type.dump() + R"(,"data":)" + data_json + "}";
}

const HttpHeaders kJson = {{"Content-Type", "application/json"}};

std::vector<BadRequest> bad_requests() {
  const std::string tenants = "/v1/tenants";
  const std::string endpoints = "/v1/tenants/{tid}/endpoints";
  const std::string events = "/v1/tenants/{tid}/events";
  const std::string unknown_tenant = "/v1/tenants/ten_01JDZ8Q3V6K2W9X4Y5Z6A7B8C9";
  const std::string unknown_endpoint = "/v1/tenants/{tid}/endpoints/ep_01JDZ8Q3V6K2W9X4Y5Z6A7B8C9";
  return {
      // Body shape.
      {"bad json", "POST", tenants, "{\"name\":", As::admin, 400, "invalid_json"},
      {"empty body", "POST", tenants, "", As::admin, 400, "invalid_json"},
      {"body is an array", "POST", tenants, "[1,2]", As::admin, 400, "invalid_request"},
      {"body is a string", "POST", tenants, "\"x\"", As::admin, 400, "invalid_request"},
      {"invalid utf-8", "POST", tenants, "{\"name\":\"\xff\xfe\"}", As::admin, 400, "invalid_json"},
      {"trailing garbage", "POST", tenants, "{\"name\":\"a\"} x", As::admin, 400, "invalid_json"},
      {"wrong content type",
       "POST",
       tenants,
       R"({"name":"a"})",
       As::admin,
       415,
       "unsupported_media_type",
       {{"Content-Type", "text/plain"}}},
      {"missing content type",
       "POST",
       tenants,
       R"({"name":"a"})",
       As::admin,
       415,
       "unsupported_media_type",
       {}},
      {"form content type",
       "POST",
       endpoints,
       "url=https://example.com",
       As::tenant,
       415,
       "unsupported_media_type",
       {{"Content-Type", "application/x-www-form-urlencoded"}}},
      {"body over 256 KiB", "POST", events,
       event_with("big", "\"" + std::string(300 * 1024, 'a') + "\""), As::tenant, 413,
       "payload_too_large"},
      // Tenants.
      {"tenant name missing", "POST", tenants, "{}", As::admin, 400, "invalid_request"},
      {"tenant name mistyped", "POST", tenants, R"({"name":42})", As::admin, 400,
       "invalid_request"},
      {"tenant name empty", "POST", tenants, R"({"name":""})", As::admin, 422, "validation_failed"},
      {"tenant name too long", "POST", tenants, json{{"name", std::string(201, 'n')}}.dump(),
       As::admin, 422, "validation_failed"},
      {"unknown tenant", "GET", unknown_tenant, "", As::admin, 404, "not_found"},
      {"malformed tenant id", "GET", "/v1/tenants/nope", "", As::admin, 404, "not_found"},
      {"events of unknown tenant", "POST", unknown_tenant + "/events", event_with("a.b"), As::admin,
       404, "not_found"},
      // Endpoints.
      {"unknown endpoint", "GET", unknown_endpoint, "", As::tenant, 404, "not_found"},
      {"malformed endpoint id", "GET", endpoints + "/ep_nope", "", As::tenant, 404, "not_found"},
      {"patch unknown endpoint", "PATCH", unknown_endpoint, R"({"disabled":true})", As::tenant, 404,
       "not_found"},
      {"url missing", "POST", endpoints, R"({"description":"x"})", As::tenant, 400,
       "invalid_request"},
      {"url mistyped", "POST", endpoints, R"({"url":17})", As::tenant, 400, "invalid_request"},
      {"url ftp scheme", "POST", endpoints, R"({"url":"ftp://example.com/x"})", As::tenant, 422,
       "validation_failed"},
      {"url javascript scheme", "POST", endpoints, R"j({"url":"javascript:alert(1)"})j", As::tenant,
       422, "validation_failed"},
      {"url without host", "POST", endpoints, R"({"url":"https:///path"})", As::tenant, 422,
       "validation_failed"},
      {"url too long", "POST", endpoints,
       json{{"url", "https://example.com/" + std::string(2040, 'a')}}.dump(), As::tenant, 422,
       "validation_failed"},
      {"url private literal", "POST", endpoints, R"({"url":"http://10.1.2.3/hook"})", As::tenant,
       422, "url_not_allowed"},
      {"url loopback literal", "POST", endpoints, R"({"url":"http://127.0.0.1:9/hook"})",
       As::tenant, 422, "url_not_allowed"},
      {"url metadata address", "POST", endpoints, R"({"url":"http://169.254.169.254/"})",
       As::tenant, 422, "url_not_allowed"},
      {"url localhost", "POST", endpoints, R"({"url":"http://localhost/hook"})", As::tenant, 422,
       "url_not_allowed"},
      {"patch url private", "PATCH", endpoints + "/{eid}", R"({"url":"http://[::1]/"})", As::tenant,
       422, "url_not_allowed"},
      {"event_types not an array", "POST", endpoints, endpoint_with("event_types", "a.b"),
       As::tenant, 400, "invalid_request"},
      {"event_types empty", "POST", endpoints, endpoint_with("event_types", json::array()),
       As::tenant, 422, "validation_failed"},
      {"event_types bad pattern", "POST", endpoints, endpoint_with("event_types", {"order.*.x"}),
       As::tenant, 422, "validation_failed"},
      {"event_types too many", "POST", endpoints,
       endpoint_with("event_types", std::vector<std::string>(257, "a.b")), As::tenant, 422,
       "validation_failed"},
      {"headers not an object", "POST", endpoints, endpoint_with("headers", {"a", "b"}), As::tenant,
       400, "invalid_request"},
      {"header value mistyped", "POST", endpoints, endpoint_with("headers", {{"X-A", 1}}),
       As::tenant, 400, "invalid_request"},
      {"header overrides X-Axon-Signature", "POST", endpoints,
       endpoint_with("headers", {{"X-Axon-Signature", "t=1,v1=00"}}), As::tenant, 422,
       "validation_failed"},
      {"header overrides Host", "POST", endpoints, endpoint_with("headers", {{"host", "evil"}}),
       As::tenant, 422, "validation_failed"},
      {"header overrides webhook-signature", "POST", endpoints,
       endpoint_with("headers", {{"Webhook-Signature", "v1,x"}}), As::tenant, 422,
       "validation_failed"},
      {"header overrides Content-Length", "POST", endpoints,
       endpoint_with("headers", {{"Content-Length", "1"}}), As::tenant, 422, "validation_failed"},
      {"header value with CR LF", "POST", endpoints,
       endpoint_with("headers", {{"X-Team", "a\r\nX-Injected: 1"}}), As::tenant, 422,
       "validation_failed"},
      {"header name not a token", "POST", endpoints, endpoint_with("headers", {{"X Team", "a"}}),
       As::tenant, 422, "validation_failed"},
      {"ordering unknown", "POST", endpoints, endpoint_with("ordering", "random"), As::tenant, 422,
       "validation_failed"},
      {"max_in_flight negative", "POST", endpoints, endpoint_with("max_in_flight", -1), As::tenant,
       422, "validation_failed"},
      {"max_in_flight too large", "POST", endpoints, endpoint_with("max_in_flight", 10001),
       As::tenant, 422, "validation_failed"},
      {"max_in_flight a string", "POST", endpoints, endpoint_with("max_in_flight", "5"), As::tenant,
       400, "invalid_request"},
      {"max_in_flight a fraction", "POST", endpoints, endpoint_with("max_in_flight", 1.5),
       As::tenant, 400, "invalid_request"},
      {"rate_limit negative", "POST", endpoints, endpoint_with("rate_limit", -0.5), As::tenant, 422,
       "validation_failed"},
      {"disabled mistyped", "POST", endpoints, endpoint_with("disabled", "yes"), As::tenant, 400,
       "invalid_request"},
      {"description too long", "POST", endpoints,
       endpoint_with("description", std::string(1001, 'd')), As::tenant, 422, "validation_failed"},
      // Events.
      {"event type missing", "POST", events, R"({"data":{}})", As::tenant, 400, "invalid_request"},
      {"event type mistyped", "POST", events, event_with(5), As::tenant, 400, "invalid_request"},
      {"event type invalid", "POST", events, event_with("order..created"), As::tenant, 422,
       "validation_failed"},
      {"event type with space", "POST", events, event_with("order created"), As::tenant, 422,
       "validation_failed"},
      {"event type over 128 chars", "POST", events, event_with(std::string(129, 't')), As::tenant,
       422, "validation_failed"},
      {"event data missing", "POST", events, R"({"type":"a.b"})", As::tenant, 400,
       "invalid_request"},
      {"event data nested 65 deep", "POST", events, event_with("a.b", nested(65)), As::tenant, 422,
       "validation_failed"},
      {"event body nested 10000 deep", "POST", events, event_with("a.b", nested(10000)), As::tenant,
       422, "validation_failed"},
      {"idempotency key too long",
       "POST",
       events,
       event_with("a.b"),
       As::tenant,
       400,
       "invalid_request",
       {{"Content-Type", "application/json"}, {"Idempotency-Key", std::string(256, 'k')}}},
      {"idempotency key not ascii",
       "POST",
       events,
       event_with("a.b"),
       As::tenant,
       400,
       "invalid_request",
       {{"Content-Type", "application/json"}, {"Idempotency-Key", "caf\xc3\xa9"}}},
      {"recover since missing", "POST", endpoints + "/{eid}/recover", "{}", As::tenant, 400,
       "invalid_request"},
      {"recover since malformed", "POST", endpoints + "/{eid}/recover", R"({"since":"yesterday"})",
       As::tenant, 422, "validation_failed"},
      // Routing.
      {"unknown route", "GET", "/v2/tenants", "", As::admin, 404, "not_found"},
      {"unknown sub-route", "GET", endpoints + "/{eid}/nope", "", As::tenant, 404, "not_found"},
      {"trailing slash", "GET", "/v1/tenants/", "", As::admin, 404, "not_found"},
      {"wrong method", "PUT", tenants, "{}", As::admin, 405, "method_not_allowed"},
      {"wrong method on endpoint", "POST", endpoints + "/{eid}", "{}", As::tenant, 405,
       "method_not_allowed"},
      // Lists.
      {"limit not a number", "GET", tenants + "?limit=abc", "", As::admin, 400, "invalid_request"},
      {"limit zero", "GET", tenants + "?limit=0", "", As::admin, 400, "invalid_request"},
      {"limit negative", "GET", endpoints + "?limit=-5", "", As::tenant, 400, "invalid_request"},
      {"limit fraction", "GET", events + "?limit=2.5", "", As::tenant, 400, "invalid_request"},
      {"cursor garbage", "GET", tenants + "?after=zzz", "", As::admin, 400, "invalid_cursor"},
      {"cursor raw id", "GET", events + "?after=evt_01JDZ8Q3V6K2W9X4Y5Z6A7B8C9", "", As::tenant,
       400, "invalid_cursor"},
      {"cursor of another list", "GET",
       endpoints + "?after=" + base64url_encode("c1:evt_01JDZ8Q3V6K2W9X4Y5Z6A7B8C9"), "",
       As::tenant, 400, "invalid_cursor"},
      {"delivery status unknown", "GET", "/v1/tenants/{tid}/deliveries?status=lost", "", As::tenant,
       400, "invalid_request"},
      {"delivery endpoint_id malformed", "GET", "/v1/tenants/{tid}/deliveries?endpoint_id=x", "",
       As::tenant, 400, "invalid_request"},
      {"events since malformed", "GET", events + "?since=2026-13-45", "", As::tenant, 400,
       "invalid_request"},
      {"query bad percent escape", "GET", events + "?type=%zz", "", As::tenant, 400,
       "invalid_request"},
      // Credentials.
      {"missing token", "GET", tenants, "", As::none, 401, "unauthorized"},
      {"wrong token", "GET", tenants, "", As::wrong, 401, "unauthorized"},
      {"wrong tenant key shape", "GET", endpoints, "", As::wrong, 401, "unauthorized"},
      {"basic auth",
       "GET",
       tenants,
       "",
       As::none,
       401,
       "unauthorized",
       {{"Authorization", "Basic YWRtaW46YWRtaW4="}}},
      {"tenant key on admin route", "POST", tenants, R"({"name":"x"})", As::tenant, 403,
       "forbidden"},
      {"tenant key lists tenants", "GET", tenants, "", As::tenant, 403, "forbidden"},
  };
}

class ApiValidationTest : public ApiFixture {};

TEST_F(ApiValidationTest, MalformedRequestsAnswerTheirDocumented4xx) {
  const std::string tid = create_tenant("validation");
  const std::string key = create_key(tid);
  const std::string eid = create_endpoint(key, tid).value("id", "");
  ASSERT_FALSE(eid.empty());

  const auto cases = bad_requests();
  ASSERT_GE(cases.size(), 35u);
  for (const BadRequest& c : cases) {
    SCOPED_TRACE(c.name);
    HttpHeaders headers = c.headers;
    switch (c.as) {
      case As::admin:
        headers.emplace_back("Authorization", std::string("Bearer ") + kAdminToken);
        break;
      case As::tenant:
        headers.emplace_back("Authorization", "Bearer " + key);
        break;
      case As::wrong:
        headers.emplace_back("Authorization", "Bearer axk_not-a-real-key");
        break;
      case As::none:
        break;
    }
    std::string target = replace_all(replace_all(c.target, "{tid}", tid), "{eid}", eid);
    HttpResponse response = http().request(c.method, target, c.body, headers);
    EXPECT_EQ(response.status, c.status) << response.body << response.error;
    json body = response.json();
    ASSERT_TRUE(body.is_object()) << response.body;
    ASSERT_TRUE(body.contains("error")) << response.body;
    EXPECT_EQ(body["error"].value("code", ""), c.code) << response.body;
    EXPECT_FALSE(body["error"].value("message", "").empty());
    EXPECT_TRUE(response.header("X-Request-Id").has_value());
    if (c.status == 401) EXPECT_EQ(response.header("WWW-Authenticate"), "Bearer");
    if (c.status == 405) EXPECT_TRUE(response.header("Allow").has_value());
  }

  // Nothing above created anything.
  auto list = as(key, "GET", "/v1/tenants/" + tid + "/endpoints");
  EXPECT_EQ(list.json()["data"].size(), 1u);
  auto evts = as(key, "GET", "/v1/tenants/" + tid + "/events");
  EXPECT_EQ(evts.json()["data"].size(), 0u);

  // And the server still answers.
  HttpClient fresh(port_);
  EXPECT_EQ(fresh.request("GET", "/healthz").status, 200);
  EXPECT_EQ(http().request("GET", "/healthz").status, 200);
}

TEST_F(ApiValidationTest, ErrorMessagesNameTheField) {
  const std::string tid = create_tenant();
  const std::string key = create_key(tid);
  auto response = as(key, "POST", "/v1/tenants/" + tid + "/endpoints",
                     {{"url", "https://example.com"}, {"max_in_flight", -3}});
  EXPECT_NE(response.json()["error"]["message"].get<std::string>().find("max_in_flight"),
            std::string::npos);
  response = as(key, "POST", "/v1/tenants/" + tid + "/events", {{"type", "a"}});
  EXPECT_NE(response.json()["error"]["message"].get<std::string>().find("data"), std::string::npos);
}

TEST_F(ApiValidationTest, LimitsAtTheEdgeAreAccepted) {
  const std::string tid = create_tenant(std::string(200, 'n'));
  ASSERT_FALSE(tid.empty());
  const std::string key = create_key(tid);
  const std::string events = "/v1/tenants/" + tid + "/events";
  // data nested exactly 64 levels, type of exactly 128 characters.
  std::string body = event_with(std::string(128, 't'), nested(64));
  auto response = http().request(
      "POST", events, body,
      {{"Content-Type", "application/json; charset=utf-8"}, {"Authorization", "Bearer " + key}});
  EXPECT_EQ(response.status, 202) << response.body;
  // A body just under 256 KiB.
  std::string big = event_with("big", "\"" + std::string(255 * 1024, 'a') + "\"");
  response =
      http().request("POST", events, big,
                     {{"Content-Type", "application/json"}, {"Authorization", "Bearer " + key}});
  EXPECT_EQ(response.status, 202) << response.body;
  // Clamped, not refused.
  response = as(key, "GET", events + "?limit=100000");
  EXPECT_EQ(response.status, 200) << response.body;
  // Unknown fields are ignored.
  response = as(key, "POST", "/v1/tenants/" + tid + "/endpoints",
                {{"url", "https://example.com/x"}, {"colour", "blue"}});
  EXPECT_EQ(response.status, 201) << response.body;
}

TEST_F(ApiValidationTest, PrivateTargetsAllowedWhenConfigured) {
  server_->stop();
  options_.allow_private_targets = true;
  start_server();
  const std::string tid = create_tenant();
  const std::string key = create_key(tid);
  auto response =
      as(key, "POST", "/v1/tenants/" + tid + "/endpoints", {{"url", "http://127.0.0.1:9/hook"}});
  EXPECT_EQ(response.status, 201) << response.body;
  response = as(key, "POST", "/v1/tenants/" + tid + "/endpoints", {{"url", "ftp://127.0.0.1/"}});
  EXPECT_EQ(response.status, 422) << response.body;
}

}  // namespace
}  // namespace axon::test
