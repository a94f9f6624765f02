// Hostile input through the real HTTP server: Unicode, NUL bytes (\u0000 in JSON strings),
// very long strings and SQL-looking strings in tenant names, endpoint descriptions, event
// data, idempotency keys, query parameters and paths. Each is stored and returned unchanged,
// or refused with a clear 4xx error body — never a 5xx, never a crash.
#include <string>
#include <vector>

#include "component/api_fixture.hpp"

namespace axon::test {
namespace {

using nlohmann::json;

std::vector<std::string> hostile_strings() {
  return {
      "café ☕ 日本語 𝄞 עברית",                         // multi-byte UTF-8, astral plane, RTL
      std::string("nul\0inside", 10),                   // NUL in the middle
      std::string("\0", 1),                             // only a NUL
      "'; DROP TABLE tenants; --",                      // SQL
      "Robert'); DELETE FROM endpoints WHERE ('1'='1",  // SQL
      "\" OR 1=1 -- \\ % _ $1 ?",                       // quoting, LIKE and placeholders
      "<script>alert(1)</script>",                      // markup
      "\u202e\u200b\ufeff",                             // invisible / bidi controls
      "\x01\x02\x1f\x7f",                               // control characters
      std::string(900, 'x') + "é",                      // long
      std::string(100'000, 'L'),                        // very long
  };
}

// A 4xx with the API's error body, or a success: never 5xx.
void expect_clean_answer(const HttpResponse& response, const std::string& what) {
  EXPECT_NE(response.status, 0) << what << ": no answer: " << response.error;
  EXPECT_LT(response.status, 500) << what << ": " << response.body.substr(0, 300);
  if (response.status >= 400) {
    auto error = response.json()["error"];
    EXPECT_TRUE(error.is_object()) << what << ": " << response.body.substr(0, 300);
    EXPECT_TRUE(error["code"].is_string()) << what;
    EXPECT_TRUE(error["message"].is_string()) << what;
  }
}

using ApiHostileInputTest = ApiFixture;

TEST_F(ApiHostileInputTest, TenantNamesRoundTripOrAreRefused) {
  int stored = 0;
  for (const std::string& name : hostile_strings()) {
    const std::string what = "name of " + std::to_string(name.size()) + " bytes";
    auto created = admin("POST", "/v1/tenants", {{"name", name}});
    expect_clean_answer(created, what);
    if (name.find('\0') != std::string::npos) {
      // NUL in a string field is refused the same way on every store.
      EXPECT_EQ(created.status, 422) << what;
      EXPECT_EQ(created.json()["error"]["code"], "validation_failed");
    }
    if (created.status != 201) continue;
    ++stored;
    EXPECT_EQ(created.json()["name"], name) << what;
    auto got = admin("GET", "/v1/tenants/" + created.json()["id"].get<std::string>());
    EXPECT_EQ(got.status, 200) << what;
    EXPECT_EQ(got.json()["name"], name) << what;
  }
  EXPECT_GE(stored, 7);  // all but the NUL ones (refused: 422) and the too-long ones
  // The SQL-looking names did nothing: every tenant is still listed.
  auto list = admin("GET", "/v1/tenants?limit=1000");
  EXPECT_EQ(list.json()["data"].size(), static_cast<std::size_t>(stored));
}

TEST_F(ApiHostileInputTest, EndpointDescriptionsAndHeadersRoundTripOrAreRefused) {
  const std::string tid = create_tenant();
  const std::string key = create_key(tid);
  for (const std::string& text : hostile_strings()) {
    const std::string what = "description of " + std::to_string(text.size()) + " bytes";
    auto created = as(key, "POST", "/v1/tenants/" + tid + "/endpoints",
                      {{"url", "https://example.com/h"}, {"description", text}});
    expect_clean_answer(created, what);
    if (created.status == 201) {
      auto got = as(key, "GET",
                    "/v1/tenants/" + tid + "/endpoints/" + created.json()["id"].get<std::string>());
      EXPECT_EQ(got.json()["description"], text) << what;
    }
    // As a custom header value and as a header name.
    auto header_value = as(key, "POST", "/v1/tenants/" + tid + "/endpoints",
                           {{"url", "https://example.com/h"}, {"headers", {{"X-Custom", text}}}});
    expect_clean_answer(header_value, "header value: " + what);
    auto header_name = as(key, "POST", "/v1/tenants/" + tid + "/endpoints",
                          {{"url", "https://example.com/h"}, {"headers", {{text, "v"}}}});
    expect_clean_answer(header_name, "header name: " + what);
    EXPECT_GE(header_name.status, 400) << "a header name must be an HTTP token: " << what;
    // As a URL.
    auto url = as(key, "POST", "/v1/tenants/" + tid + "/endpoints",
                  {{"url", "https://example.com/" + text}});
    expect_clean_answer(url, "url: " + what);
  }
}

TEST_F(ApiHostileInputTest, EventDataRoundTripsExactly) {
  const std::string tid = create_tenant();
  const std::string key = create_key(tid);
  for (const std::string& text : hostile_strings()) {
    const std::string what = "data string of " + std::to_string(text.size()) + " bytes";
    json data = {{"s", text}, {text.substr(0, 200), {text.substr(0, 50), nullptr}}};
    auto created = as(key, "POST", "/v1/tenants/" + tid + "/events",
                      {{"type", "hostile.input"}, {"data", data}});
    expect_clean_answer(created, what);
    ASSERT_EQ(created.status, 202) << what << ": " << created.body.substr(0, 300);
    auto got = as(key, "GET",
                  "/v1/tenants/" + tid + "/events/" + created.json()["id"].get<std::string>());
    ASSERT_EQ(got.status, 200) << what;
    EXPECT_EQ(got.json()["data"], data) << what;
    // As the event type: refused (the type grammar), never stored.
    auto typed = as(key, "POST", "/v1/tenants/" + tid + "/events",
                    {{"type", text}, {"data", nullptr}});
    expect_clean_answer(typed, "type: " + what);
    EXPECT_GE(typed.status, 400) << what;
  }
}

TEST_F(ApiHostileInputTest, IdempotencyKeysAreOpaque) {
  const std::string tid = create_tenant();
  const std::string key = create_key(tid);
  const std::vector<std::string> keys = {"'; DROP TABLE events; --", "café ☕",
                                         std::string(200, 'k'), std::string(20'000, 'k'),
                                         "\" OR \"\"=\"", "%00%0d%0a"};
  for (const std::string& idem : keys) {
    const std::string what = "Idempotency-Key of " + std::to_string(idem.size()) + " bytes";
    json body = {{"type", "idem.test"}, {"data", idem.substr(0, 20)}};
    auto first = as(key, "POST", "/v1/tenants/" + tid + "/events", body,
                    {{"Idempotency-Key", idem}});
    expect_clean_answer(first, what);
    if (first.status != 202) continue;
    auto second = as(key, "POST", "/v1/tenants/" + tid + "/events", body,
                     {{"Idempotency-Key", idem}});
    EXPECT_EQ(second.status, 202) << what;
    EXPECT_EQ(second.json()["id"], first.json()["id"]) << what;
  }
  // A different key that only differs after a quote is a different key.
  auto a = as(key, "POST", "/v1/tenants/" + tid + "/events", {{"type", "t"}, {"data", 1}},
              {{"Idempotency-Key", "x' OR '1'='1"}});
  auto b = as(key, "POST", "/v1/tenants/" + tid + "/events", {{"type", "t"}, {"data", 1}},
              {{"Idempotency-Key", "x' OR '1'='2"}});
  ASSERT_EQ(a.status, 202);
  ASSERT_EQ(b.status, 202);
  EXPECT_NE(a.json()["id"], b.json()["id"]);
}

TEST_F(ApiHostileInputTest, MalformedBodiesQueriesAndPathsAre4xx) {
  const std::string tid = create_tenant();
  const std::string key = create_key(tid);
  const std::string events = "/v1/tenants/" + tid + "/events";
  const HttpHeaders auth = {{"Authorization", "Bearer " + key},
                            {"Content-Type", "application/json"}};
  const std::vector<std::string> bodies = {
      "", "{", "[]", "null", "\"s\"", "{\"type\":\"a\",\"data\":\"\xff\xfe\"}",  // bad UTF-8
      "{\"type\":\"a\",\"data\":\"\\ud800\"}",                                  // lone surrogate
      "{\"type\":\"a\",\"data\":1e999999}", "{\"type\":\"a\",\"data\":-1e-999999}",
      std::string(100, '[') + std::string(100, ']'),
      "{\"type\":\"a\",\"data\":" + std::string(70, '[') + std::string(70, ']') + "}",
      "{\"type\":\"a\",\"type\":\"b\",\"data\":{}}", std::string("{\"type\":\"a\0\"}", 14),
      "{\"type\":[],\"data\":{}}", "{\"type\":\"a\",\"data\":{}}garbage"};
  for (const std::string& body : bodies) {
    auto response = http().request("POST", events, body, auth);
    expect_clean_answer(response, "body '" + body.substr(0, 40) + "'");
  }
  for (const std::string& query : std::vector<std::string>{
           "?limit=1'%20OR%20'1'='1", "?limit=-1", "?limit=99999999999999999999", "?after=%27%3B--",
        "?after=" + std::string(5000, 'A'), "?status=%27%3B%20DROP", "?endpoint_id=%00",
        "?event_id=" + std::string(3000, '%'), "?limit=1&limit=2", "?%ff%fe=1", "?&&&=&="}) {
    auto response = as(key, "GET", "/v1/tenants/" + tid + "/deliveries" + query);
    expect_clean_answer(response, "query " + query.substr(0, 40));
  }
  for (const std::string& path : std::vector<std::string>{
           "/v1/tenants/" + tid + "/events/evt_%00", "/v1/tenants/" + tid + "/events/'%20OR%201=1",
        "/v1/tenants/" + tid + "/endpoints/" + std::string(4000, 'e'),
        "/v1/tenants/%2e%2e/endpoints", "/v1/tenants//endpoints", "/v1/tenants/" + tid + "/../x",
        "/v1/tenants/caf%C3%A9/events"}) {
    auto response = as(key, "GET", path);
    expect_clean_answer(response, "path " + path.substr(0, 60));
    EXPECT_GE(response.status, 400);
  }
}

}  // namespace
}  // namespace axon::test
