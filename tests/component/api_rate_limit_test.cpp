// The per-credential request rate limit (--api-rate-limit / --api-rate-burst): a credential
// over its budget answers 429 rate_limited with Retry-After; other credentials, and requests
// without one, are not affected; 0 turns the limit off.
#include <string>

#include "component/api_fixture.hpp"

namespace axon::test {
namespace {

class ApiRateLimitTest : public ApiFixture {
 protected:
  void SetUp() override {
    autostart_ = false;
    ApiFixture::SetUp();
    if (HasFatalFailure()) return;
    // 0.01 req/s: the bucket does not visibly refill while the test runs.
    options_.rate_limit = 0.01;
    options_.rate_limit_burst = 3;
    start_server();
  }
};

TEST_F(ApiRateLimitTest, CredentialOverItsBudgetGets429WithRetryAfter) {
  // The admin's own budget: 3 requests, then 429.
  for (int i = 0; i < 3; ++i) EXPECT_EQ(admin("GET", "/v1/tenants").status, 200) << i;
  auto limited = admin("GET", "/v1/tenants");
  EXPECT_EQ(limited.status, 429) << limited.body;
  EXPECT_EQ(limited.json()["error"]["code"], "rate_limited");
  auto retry_after = limited.header("Retry-After");
  ASSERT_TRUE(retry_after.has_value());
  EXPECT_GE(std::stoi(*retry_after), 1);
  // Retry-After is whole seconds until a token is back: 1 token at 0.01/s = 100 s.
  EXPECT_LE(std::stoi(*retry_after), 101);
}

TEST_F(ApiRateLimitTest, BudgetsArePerCredential) {
  // Set up with a scratch server-side admin budget: 2 of 3 admin requests.
  auto tenant = admin("POST", "/v1/tenants", {{"name", "a"}});
  ASSERT_EQ(tenant.status, 201);
  const std::string tid = tenant.json()["id"];
  auto key = admin("POST", "/v1/tenants/" + tid + "/api-keys");
  ASSERT_EQ(key.status, 201);
  const std::string api_key = key.json()["key"];
  EXPECT_EQ(admin("GET", "/v1/tenants").status, 200);
  EXPECT_EQ(admin("GET", "/v1/tenants").status, 429);  // the admin's budget is spent

  // The tenant key has its own full budget.
  const std::string path = "/v1/tenants/" + tid + "/endpoints";
  for (int i = 0; i < 3; ++i) EXPECT_EQ(as(api_key, "GET", path).status, 200) << i;
  EXPECT_EQ(as(api_key, "GET", path).status, 429);
  // A wrong token is counted under its own hash: 401 until its budget is spent, then 429.
  for (int i = 0; i < 3; ++i) EXPECT_EQ(as("nonsense", "GET", path).status, 401) << i;
  EXPECT_EQ(as("nonsense", "GET", path).status, 429);
  // No credential at all: not counted here (answered 401 every time), public routes too.
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(as("", "GET", path).status, 401);
    EXPECT_EQ(http().request("GET", "/healthz").status, 200);
  }
}

class ApiRateLimitOffTest : public ApiFixture {
 protected:
  void SetUp() override {
    autostart_ = false;
    ApiFixture::SetUp();
    if (HasFatalFailure()) return;
    options_.rate_limit = 0;
    options_.rate_limit_burst = 1;
    start_server();
  }
};

TEST_F(ApiRateLimitOffTest, ZeroTurnsTheLimitOff) {
  for (int i = 0; i < 50; ++i) ASSERT_EQ(admin("GET", "/v1/tenants").status, 200) << i;
}

TEST(ApiRateLimitDefaults, DefaultIsGenerous) {
  ApiOptions options;
  EXPECT_GE(options.rate_limit, 1000);
  EXPECT_GE(options.rate_limit_burst, 2000);
}

}  // namespace
}  // namespace axon::test
