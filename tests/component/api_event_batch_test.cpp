// POST …/events/batch and event data kept as sent: per-event answers in order, bad batches
// refused whole with nothing written, limits, and data that reads back byte for byte.
#include <string>

#include "component/api_fixture.hpp"

namespace axon::test {
namespace {

using nlohmann::json;

const HttpHeaders kJson = {{"Content-Type", "application/json"}};

class ApiEventBatchTest : public ApiFixture {
 protected:
  void SetUp() override {
    ApiFixture::SetUp();
    tenant_ = create_tenant();
    key_ = create_key(tenant_);
    create_endpoint(key_, tenant_);
  }
  HttpResponse post(const std::string& path, const std::string& body) {
    HttpHeaders headers = kJson;
    headers.emplace_back("Authorization", "Bearer " + key_);
    return http().request("POST", "/v1/tenants/" + tenant_ + path, body, headers);
  }
  std::size_t stored_events() {
    auto listed = store_->list_events(tenant_, {}, {1000, std::nullopt});
    EXPECT_TRUE(listed) << listed.error().message;
    return listed ? listed->items.size() : 0;
  }
  std::string tenant_, key_;
};

TEST_F(ApiEventBatchTest, AnswersEachEventInOrderAndRefusedOnesDoNotFailTheOthers) {
  std::string nested65 = std::string(65, '[') + std::string(65, ']');
  auto response = post("/events/batch", R"({"events":[
      {"type":"order.created","data":{"n":1}},
      {"type":"bad type!","data":{}},
      {"type":"order.created"},
      {"type":"order.created","data":)" + nested65 + R"(},
      42,
      {"type":"order.paid","data":null,"idempotency_key":"k-1"},
      {"type":"order.paid","data":{"again":true},"idempotency_key":"k-1"},
      {"type":"order.paid","data":{},"idempotency_key":""}
    ]})");
  ASSERT_EQ(response.status, 200) << response.body;
  auto data = response.json()["data"];
  ASSERT_EQ(data.size(), 8u);
  EXPECT_EQ(data[0]["type"], "order.created");
  EXPECT_EQ(data[0]["deliveries"], 1);
  EXPECT_EQ(data[0]["idempotent_replayed"], false);
  EXPECT_TRUE(data[0]["id"].get<std::string>().starts_with("evt_"));
  EXPECT_TRUE(data[0].contains("created_at"));
  EXPECT_EQ(data[1]["error"]["code"], "validation_failed");
  EXPECT_EQ(data[2]["error"]["code"], "invalid_request");
  EXPECT_NE(data[2]["error"]["message"].get<std::string>().find("data"), std::string::npos);
  EXPECT_EQ(data[3]["error"]["code"], "validation_failed");
  EXPECT_EQ(data[4]["error"]["code"], "invalid_request");
  EXPECT_EQ(data[5]["idempotent_replayed"], false);
  EXPECT_EQ(data[6]["idempotent_replayed"], true);  // the same key earlier in the batch
  EXPECT_EQ(data[6]["id"], data[5]["id"]);
  EXPECT_EQ(data[7]["error"]["code"], "invalid_request");
  EXPECT_EQ(stored_events(), 2u);
  EXPECT_GT(wakeups_.load(), 0);

  // The key is now taken for single events too.
  auto single = as(key_, "POST", "/v1/tenants/" + tenant_ + "/events",
                   {{"type", "order.paid"}, {"data", {}}}, {{"Idempotency-Key", "k-1"}});
  EXPECT_EQ(single.status, 202) << single.body;
  EXPECT_EQ(single.json()["id"], data[5]["id"]);
}

TEST_F(ApiEventBatchTest, MalformedBatchesAreRefusedWholeAndWriteNothing) {
  std::string thousand_and_one = R"({"events":[)";
  for (int i = 0; i < 1001; ++i) thousand_and_one += std::string(i ? "," : "") + R"({"type":"a","data":1})";
  thousand_and_one += "]}";
  struct Case {
    std::string body;
    std::string code;
  } cases[] = {
      {R"([{"type":"a","data":1}])", "invalid_request"},
      {R"({"type":"a","data":1})", "invalid_request"},
      {R"({"events":{"type":"a","data":1}})", "invalid_request"},
      {R"({"events":[]})", "invalid_request"},
      {thousand_and_one, "invalid_request"},
      {R"({"events":[{"type":"a","data":1},)", "invalid_json"},
      {R"({"events":[{"type":"a","data":{"x":1,"x":2}}]})", "invalid_json"},
      {R"({"events":[{"type":"a","data":1}],"events":[]})", "invalid_json"},
  };
  for (const auto& c : cases) {
    auto response = post("/events/batch", c.body);
    EXPECT_EQ(response.status, 400) << c.body.substr(0, 80) << " -> " << response.body;
    EXPECT_EQ(response.json()["error"]["code"], c.code) << c.body.substr(0, 80);
  }
  auto duplicate = post("/events/batch", R"({"events":[{"type":"a","data":{"x":1,"x":2}}]})");
  EXPECT_NE(duplicate.body.find("$.events[0].data"), std::string::npos) << duplicate.body;
  EXPECT_EQ(stored_events(), 0u);
}

TEST_F(ApiEventBatchTest, BatchBodiesMayReach4MiBWhileSingleEventsKeep256KiB) {
  std::string filler(300 * 1024, 'x');
  auto single = post("/events", R"({"type":"a","data":")" + filler + R"("})");
  EXPECT_EQ(single.status, 413) << single.body;
  auto batch = post("/events/batch", R"({"events":[{"type":"a","data":")" + filler + R"("}]})");
  EXPECT_EQ(batch.status, 200) << batch.body.substr(0, 200);
  std::string huge(4 * 1024 * 1024, 'x');
  auto too_big = post("/events/batch", R"({"events":[{"type":"a","data":")" + huge + R"("}]})");
  EXPECT_EQ(too_big.status, 413) << too_big.body;
  EXPECT_EQ(stored_events(), 1u);
}

TEST_F(ApiEventBatchTest, DataIsKeptExactlyAsSentAndDuplicateNamesAreRefused) {
  const std::string data =
      R"({"big":123456789012345678901234567890,"tiny":1e-400,"huge":1e400,"s":"\u00e9\n","f":0.10})";
  auto sent = post("/events", "{ \"type\" : \"a.b\" , \"data\" : " + data + " }");
  ASSERT_EQ(sent.status, 202) << sent.body;
  auto id = sent.json()["id"].get<std::string>();
  auto got = as(key_, "GET", "/v1/tenants/" + tenant_ + "/events/" + id);
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_NE(got.body.find(R"("data":)" + data + "}"), std::string::npos) << got.body;
  auto listed = as(key_, "GET", "/v1/tenants/" + tenant_ + "/events");
  EXPECT_NE(listed.body.find(R"("data":)" + data + "}"), std::string::npos) << listed.body;

  auto duplicate = post("/events", R"({"type":"a.b","data":{"x":1,"x":2}})");
  EXPECT_EQ(duplicate.status, 400) << duplicate.body;
  EXPECT_EQ(duplicate.json()["error"]["code"], "invalid_json");
  EXPECT_NE(duplicate.body.find("duplicate member name"), std::string::npos) << duplicate.body;
  auto nested = post("/events", R"({"type":"a.b","data":{"a":[{"y":1,"y":1}]}})");
  EXPECT_EQ(nested.status, 400) << nested.body;
  // Other bodies too: a duplicate member is never silently resolved.
  auto dup_tenant = http().request("POST", "/v1/tenants", R"({"name":"a","name":"b"})",
                                   {{"Content-Type", "application/json"},
                                    {"Authorization", std::string("Bearer ") + kAdminToken}});
  EXPECT_EQ(dup_tenant.status, 400) << dup_tenant.body;
  // A number no document can hold, in a body that is parsed into one: 400, never 5xx.
  auto huge = http().request("POST", "/v1/tenants", R"({"name":"a","n":1e400})",
                             {{"Content-Type", "application/json"},
                              {"Authorization", std::string("Bearer ") + kAdminToken}});
  EXPECT_EQ(huge.status, 400) << huge.body;
  EXPECT_EQ(stored_events(), 1u);
}

}  // namespace
}  // namespace axon::test
