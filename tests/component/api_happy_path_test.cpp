// The API used as documented: tenant -> key -> endpoints -> events -> deliveries, with
// pagination, idempotency, secret rotation, enable/disable, dead letters and deletion.
#include <set>
#include <string>
#include <vector>

#include "api/router.hpp"
#include "component/api_fixture.hpp"
#include "core/encoding.hpp"
#include "core/envelope.hpp"
#include "core/ids.hpp"

namespace axon::test {
namespace {

using nlohmann::json;

class ApiHappyPathTest : public ApiFixture {
 protected:
  void SetUp() override {
    ApiFixture::SetUp();
    if (HasFatalFailure()) return;
    tid_ = create_tenant("acme");
    key_ = create_key(tid_);
    base_ = "/v1/tenants/" + tid_;
  }

  HttpResponse call(std::string_view method, const std::string& path, const json& body = nullptr,
                    const HttpHeaders& extra = {}) {
    return as(key_, method, base_ + path, body, extra);
  }

  // Kills every pending delivery through the Store, as a dispatcher would after its last
  // attempt failed with HTTP 500. Returns how many.
  int fail_all_pending() {
    auto jobs = store_->claim_due("test-owner", clock_.now_ms(), 60'000, 1000);
    EXPECT_TRUE(jobs) << jobs.error().message;
    std::vector<AttemptRecord> records;
    for (const DeliveryJob& job : *jobs) {
      AttemptRecord record;
      record.delivery_id = job.delivery_id;
      record.endpoint_id = job.endpoint_id;
      record.attempt = Attempt{.n = job.attempt,
                               .started_at = clock_.now_ms(),
                               .duration_ms = 12,
                               .status_code = 500,
                               .error = "http",
                               .error_message = "HTTP 500",
                               .response_excerpt = "boom"};
      record.new_status = DeliveryStatus::dead;
      records.push_back(record);
    }
    auto done = store_->complete_attempts("test-owner", records, clock_.now_ms());
    EXPECT_TRUE(done) << done.error().message;
    return static_cast<int>(records.size());
  }

  std::string tid_, key_, base_;
};

TEST_F(ApiHappyPathTest, TenantShapeAndAdminCalls) {
  auto response = admin("GET", "/v1/tenants/" + tid_);
  ASSERT_EQ(response.status, 200) << response.body;
  json tenant = response.json();
  EXPECT_EQ(tenant["id"], tid_);
  EXPECT_TRUE(is_valid_id(tid_, "ten_"));
  EXPECT_EQ(tenant["name"], "acme");
  EXPECT_TRUE(parse_rfc3339(tenant["created_at"].get<std::string>()).has_value());

  response = admin("GET", "/v1/tenants");
  ASSERT_EQ(response.status, 200);
  EXPECT_EQ(response.json()["data"].size(), 1u);
  EXPECT_TRUE(response.json()["next"].is_null());

  // API keys: the key is shown once; the list has no keys.
  response = admin("POST", "/v1/tenants/" + tid_ + "/api-keys");
  ASSERT_EQ(response.status, 201);
  json key = response.json();
  EXPECT_TRUE(key["key"].get<std::string>().starts_with("axk_"));
  EXPECT_EQ(base64url_decode(key["key"].get<std::string>().substr(4))->size(), 32u);
  EXPECT_TRUE(is_valid_id(key["id"].get<std::string>(), "key_"));
  EXPECT_EQ(key["tenant_id"], tid_);
  response = admin("GET", "/v1/tenants/" + tid_ + "/api-keys");
  ASSERT_EQ(response.status, 200);
  ASSERT_EQ(response.json()["data"].size(), 2u);
  const json keys = response.json()["data"];  // a copy: the loop must not iterate a temporary
  for (const json& item : keys) {
    EXPECT_FALSE(item.contains("key"));
    EXPECT_FALSE(item.contains("key_hash"));
    EXPECT_TRUE(item["revoked_at"].is_null());
  }
}

TEST_F(ApiHappyPathTest, EndpointEventDeliveryFlow) {
  json endpoint = create_endpoint(key_, tid_,
                                  {{"url", "https://example.com/orders"},
                                   {"description", "orders"},
                                   {"event_types", {"order.*"}},
                                   {"headers", {{"X-Team", "payments"}}},
                                   {"max_in_flight", 4},
                                   {"rate_limit", 2.5},
                                   {"ordering", "fifo"}});
  const std::string eid = endpoint["id"];
  EXPECT_TRUE(is_valid_id(eid, "ep_"));
  const std::string secret = endpoint["secret"];
  ASSERT_TRUE(secret.starts_with("whsec_"));
  EXPECT_EQ(base64_decode(secret.substr(6))->size(), 32u);
  EXPECT_EQ(endpoint["tenant_id"], tid_);
  EXPECT_EQ(endpoint["url"], "https://example.com/orders");
  EXPECT_EQ(endpoint["event_types"], json({"order.*"}));
  EXPECT_EQ(endpoint["headers"], json({{"X-Team", "payments"}}));
  EXPECT_EQ(endpoint["disabled"], false);
  EXPECT_TRUE(endpoint["disabled_reason"].is_null());
  EXPECT_EQ(endpoint["max_in_flight"], 4);
  EXPECT_EQ(endpoint["rate_limit"], 2.5);
  EXPECT_EQ(endpoint["ordering"], "fifo");

  // The secret is not in the GET answer, but has its own route.
  auto response = call("GET", "/endpoints/" + eid);
  ASSERT_EQ(response.status, 200);
  EXPECT_FALSE(response.json().contains("secret"));
  EXPECT_EQ(response.json()["ordering"], "fifo");
  EXPECT_EQ(call("GET", "/endpoints/" + eid + "/secret").json()["secret"], secret);

  // A second endpoint receiving everything.
  const std::string all_id = create_endpoint(key_, tid_)["id"];

  // An event matching both; one matching only the catch-all.
  const int wakeups_before = wakeups_;
  response = call("POST", "/events", {{"type", "order.created"}, {"data", {{"amount", 42}}}});
  ASSERT_EQ(response.status, 202) << response.body;
  json ingested = response.json();
  EXPECT_EQ(ingested["deliveries"], 2);
  EXPECT_EQ(ingested["type"], "order.created");
  EXPECT_EQ(ingested.size(), 4u);  // {id, type, created_at, deliveries}
  const std::string evid = ingested["id"];
  EXPECT_TRUE(is_valid_id(evid, "evt_"));
  EXPECT_GT(wakeups_, wakeups_before);
  response = call("POST", "/events", {{"type", "user.signup"}, {"data", nullptr}});
  ASSERT_EQ(response.status, 202);
  EXPECT_EQ(response.json()["deliveries"], 1);

  // The event with its deliveries.
  response = call("GET", "/events/" + evid);
  ASSERT_EQ(response.status, 200);
  json event = response.json();
  EXPECT_EQ(event["data"], json({{"amount", 42}}));
  EXPECT_EQ(event["tenant_id"], tid_);
  ASSERT_EQ(event["deliveries"].size(), 2u);
  std::set<std::string> endpoints;
  for (const json& d : event["deliveries"]) {
    endpoints.insert(d["endpoint_id"].get<std::string>());
    EXPECT_EQ(d["status"], "pending");
    EXPECT_EQ(d["event_id"], evid);
    EXPECT_EQ(d["event_type"], "order.created");
    EXPECT_EQ(d["attempt_count"], 0);
    EXPECT_FALSE(d["next_attempt_at"].is_null());
    EXPECT_TRUE(d["last_attempt"].is_null());
  }
  EXPECT_EQ(endpoints, (std::set<std::string>{eid, all_id}));

  // Deliveries, filtered.
  response = call("GET", "/deliveries?event_id=" + evid + "&endpoint_id=" + eid);
  ASSERT_EQ(response.status, 200);
  ASSERT_EQ(response.json()["data"].size(), 1u);
  const std::string did = response.json()["data"][0]["id"];
  EXPECT_EQ(call("GET", "/deliveries?status=pending").json()["data"].size(), 3u);
  EXPECT_EQ(call("GET", "/deliveries?status=dead").json()["data"].size(), 0u);
  response = call("GET", "/deliveries/" + did);
  ASSERT_EQ(response.status, 200);
  EXPECT_EQ(response.json()["attempts"], json::array());

  // Only a dead delivery can be replayed.
  response = call("POST", "/deliveries/" + did + "/replay");
  EXPECT_EQ(response.status, 409);
  EXPECT_EQ(response.json()["error"]["code"], "conflict");

  // Make them dead letters, then look at the failure queue.
  EXPECT_EQ(fail_all_pending(), 3);
  response = call("GET", "/dead-letters?endpoint_id=" + eid);
  ASSERT_EQ(response.status, 200);
  ASSERT_EQ(response.json()["data"].size(), 1u);
  json dead = response.json()["data"][0];
  EXPECT_EQ(dead["status"], "dead");
  EXPECT_TRUE(dead["next_attempt_at"].is_null());
  EXPECT_EQ(dead["last_attempt"]["status_code"], 500);
  EXPECT_EQ(dead["last_attempt"]["error"], "http");
  EXPECT_EQ(call("GET", "/dead-letters").json()["data"].size(), 3u);
  response = call("GET", "/deliveries/" + did);
  ASSERT_EQ(response.json()["attempts"].size(), 1u);
  json attempt = response.json()["attempts"][0];
  EXPECT_EQ(attempt["n"], 1);
  EXPECT_EQ(attempt["duration_ms"], 12);
  EXPECT_EQ(attempt["error_message"], "HTTP 500");
  EXPECT_EQ(attempt["response_excerpt"], "boom");

  // Replay one: pending again, attempts continue.
  response = call("POST", "/deliveries/" + did + "/replay");
  ASSERT_EQ(response.status, 202) << response.body;
  EXPECT_EQ(response.json()["status"], "pending");
  EXPECT_EQ(response.json()["attempt_count"], 1);

  // Recover the catch-all endpoint's dead letters.
  const int wakeups_before_recover = wakeups_;
  response = call("POST", "/endpoints/" + all_id + "/recover",
                  {{"since", format_rfc3339_ms(clock_.now_ms() - 60'000)}});
  ASSERT_EQ(response.status, 202) << response.body;
  EXPECT_EQ(response.json()["replayed"], 2);
  EXPECT_GT(wakeups_, wakeups_before_recover);
  EXPECT_EQ(call("GET", "/dead-letters").json()["data"].size(), 0u);
  response = call("POST", "/endpoints/" + all_id + "/recover", {{"since", "2020-01-01T00:00:00Z"}});
  EXPECT_EQ(response.json()["replayed"], 0);
}

TEST_F(ApiHappyPathTest, PaginationWalksEveryPageNewestFirst) {
  create_endpoint(key_, tid_);
  std::vector<std::string> created;
  for (int i = 0; i < 7; ++i) {
    clock_.advance(10);
    auto response = call("POST", "/events", {{"type", "tick"}, {"data", i}});
    ASSERT_EQ(response.status, 202);
    created.push_back(response.json()["id"]);
  }
  std::vector<std::string> seen;
  std::string after;
  int pages = 0;
  for (;;) {
    auto response = call("GET", "/events?limit=3" + (after.empty() ? "" : "&after=" + after));
    ASSERT_EQ(response.status, 200) << response.body;
    ++pages;
    json page = response.json();
    EXPECT_LE(page["data"].size(), 3u);
    for (const json& event : page["data"]) seen.push_back(event["id"]);
    if (page["next"].is_null()) break;
    after = page["next"];
    ASSERT_LT(pages, 10);
  }
  EXPECT_EQ(pages, 3);
  std::vector<std::string> expected(created.rbegin(), created.rend());
  EXPECT_EQ(seen, expected);

  // Time filters: [since, until).
  auto first = call("GET", "/events/" + created[0]).json();
  auto third = call("GET", "/events/" + created[2]).json();
  auto response = call("GET", "/events?since=" + first["created_at"].get<std::string>() +
                                  "&until=" + third["created_at"].get<std::string>());
  ASSERT_EQ(response.status, 200) << response.body;
  ASSERT_EQ(response.json()["data"].size(), 2u);
  EXPECT_EQ(response.json()["data"][0]["id"], created[1]);
  // Type filter.
  call("POST", "/events", {{"type", "tock"}, {"data", 0}});
  EXPECT_EQ(call("GET", "/events?type=tock").json()["data"].size(), 1u);

  // Deliveries paginate the same way.
  response = call("GET", "/deliveries?limit=5");
  ASSERT_EQ(response.json()["data"].size(), 5u);
  after = response.json()["next"];
  response = call("GET", "/deliveries?limit=5&after=" + after);
  EXPECT_EQ(response.json()["data"].size(), 3u);
  EXPECT_TRUE(response.json()["next"].is_null());
}

TEST_F(ApiHappyPathTest, IdempotencyKeyReturnsTheFirstEvent) {
  create_endpoint(key_, tid_);
  const HttpHeaders idem = {{"Idempotency-Key", "order-1234 attempt"}};
  auto first = call("POST", "/events", {{"type", "order.paid"}, {"data", {{"n", 1}}}}, idem);
  ASSERT_EQ(first.status, 202);
  EXPECT_FALSE(first.header("Idempotent-Replayed").has_value());
  const int wakeups_after_first = wakeups_;
  clock_.advance(1000);
  auto second = call("POST", "/events", {{"type", "order.paid"}, {"data", {{"n", 2}}}}, idem);
  ASSERT_EQ(second.status, 202);
  EXPECT_EQ(second.header("Idempotent-Replayed"), "true");
  EXPECT_EQ(second.json(), first.json());
  EXPECT_EQ(wakeups_, wakeups_after_first);
  EXPECT_EQ(call("GET", "/events").json()["data"].size(), 1u);
  EXPECT_EQ(call("GET", "/deliveries").json()["data"].size(), 1u);
  EXPECT_EQ(
      call("GET", "/events/" + first.json()["id"].get<std::string>()).json()["idempotency_key"],
      "order-1234 attempt");

  // Another key is another event.
  auto third = call("POST", "/events", {{"type", "order.paid"}, {"data", 3}},
                    {{"Idempotency-Key", "order-5678"}});
  EXPECT_NE(third.json()["id"], first.json()["id"]);
}

TEST_F(ApiHappyPathTest, RotateDisableEnableUpdateDelete) {
  json endpoint = create_endpoint(key_, tid_);
  const std::string eid = endpoint["id"];
  const std::string old_secret = endpoint["secret"];

  auto response = call("POST", "/endpoints/" + eid + "/rotate-secret");
  ASSERT_EQ(response.status, 200) << response.body;
  const std::string new_secret = response.json()["secret"];
  EXPECT_TRUE(new_secret.starts_with("whsec_"));
  EXPECT_NE(new_secret, old_secret);
  EXPECT_EQ(response.json()["previous_secret_expires_at"],
            format_rfc3339_ms(clock_.now_ms() + 24LL * 3600 * 1000));
  EXPECT_EQ(call("GET", "/endpoints/" + eid + "/secret").json()["secret"], new_secret);
  auto stored = store_->get_endpoint(tid_, eid);
  ASSERT_TRUE(stored);
  ASSERT_TRUE(stored->previous_secret_sealed.has_value());
  EXPECT_EQ(*secrets_->open(*stored->previous_secret_sealed), old_secret);

  // Disabled endpoints get no deliveries.
  response = call("PATCH", "/endpoints/" + eid, {{"disabled", true}});
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.json()["disabled"], true);
  EXPECT_FALSE(response.json()["disabled_reason"].is_null());
  EXPECT_EQ(call("POST", "/events", {{"type", "a"}, {"data", 1}}).json()["deliveries"], 0);
  response = call("PATCH", "/endpoints/" + eid, {{"disabled", false}});
  EXPECT_EQ(response.json()["disabled"], false);
  EXPECT_TRUE(response.json()["disabled_reason"].is_null());
  EXPECT_EQ(call("POST", "/events", {{"type", "a"}, {"data", 1}}).json()["deliveries"], 1);

  // Partial update keeps the other fields.
  response = call("PATCH", "/endpoints/" + eid,
                  {{"url", "https://example.org/new"},
                   {"event_types", {"invoice.paid"}},
                   {"headers", {{"X-Env", "prod"}}}});
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.json()["url"], "https://example.org/new");
  EXPECT_EQ(response.json()["event_types"], json({"invoice.paid"}));
  EXPECT_EQ(response.json()["headers"], json({{"X-Env", "prod"}}));
  EXPECT_EQ(response.json()["ordering"], "parallel");
  response = call("PATCH", "/endpoints/" + eid, {{"event_types", nullptr}});
  EXPECT_TRUE(response.json()["event_types"].is_null());

  response = call("DELETE", "/endpoints/" + eid);
  EXPECT_EQ(response.status, 204);
  EXPECT_TRUE(response.body.empty());
  EXPECT_EQ(call("GET", "/endpoints/" + eid).status, 404);
  EXPECT_EQ(call("GET", "/endpoints").json()["data"].size(), 0u);

  // Deleting the tenant removes everything, keys included.
  response = admin("DELETE", "/v1/tenants/" + tid_);
  EXPECT_EQ(response.status, 204);
  EXPECT_EQ(admin("GET", "/v1/tenants/" + tid_).status, 404);
  EXPECT_EQ(call("GET", "/endpoints").status, 401);
}

TEST_F(ApiHappyPathTest, HealthMetricsAndRequestIds) {
  auto health = http().request("GET", "/healthz");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.json(), json({{"status", "ok"}}));
  auto metrics = http().request("GET", "/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_TRUE(metrics.header("Content-Type")->starts_with("text/plain; version=0.0.4"));
  EXPECT_EQ(metrics.body, "axon_test_metric 1\n");
  auto again = http().request("GET", "/healthz");
  ASSERT_TRUE(health.header("X-Request-Id") && again.header("X-Request-Id"));
  EXPECT_NE(*health.header("X-Request-Id"), *again.header("X-Request-Id"));
}

TEST_F(ApiHappyPathTest, RouteTableCoversTheContract) {
  std::set<std::string> routes;
  for (const auto& route : api::route_table()) {
    routes.insert(std::string(route.method) + " " + std::string(route.pattern));
  }
  for (const char* expected : {"POST /v1/tenants",
                               "GET /v1/tenants",
                               "GET /v1/tenants/{tid}",
                               "DELETE /v1/tenants/{tid}",
                               "POST /v1/tenants/{tid}/api-keys",
                               "POST /v1/tenants/{tid}/endpoints",
                               "GET /v1/tenants/{tid}/endpoints",
                               "GET /v1/tenants/{tid}/endpoints/{eid}",
                               "PATCH /v1/tenants/{tid}/endpoints/{eid}",
                               "DELETE /v1/tenants/{tid}/endpoints/{eid}",
                               "POST /v1/tenants/{tid}/endpoints/{eid}/rotate-secret",
                               "POST /v1/tenants/{tid}/events",
                               "GET /v1/tenants/{tid}/events",
                               "GET /v1/tenants/{tid}/events/{evid}",
                               "GET /v1/tenants/{tid}/deliveries",
                               "GET /v1/tenants/{tid}/deliveries/{did}",
                               "POST /v1/tenants/{tid}/deliveries/{did}/replay",
                               "GET /v1/tenants/{tid}/dead-letters",
                               "POST /v1/tenants/{tid}/endpoints/{eid}/recover",
                               "GET /healthz",
                               "GET /metrics"}) {
    EXPECT_TRUE(routes.contains(expected)) << expected;
  }
}

}  // namespace
}  // namespace axon::test
