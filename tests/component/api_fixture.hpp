// ApiFixture: an ApiServer on 127.0.0.1, port 0, in-process, over a SqliteStore in a temp
// dir, with a FakeClock, a fixed-key SecretBox and a known admin token; plus helpers that
// create tenants, keys and endpoints through the API itself. No dispatcher runs: nothing
// is ever sent to an endpoint URL.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <optional>
#include <string>

#include "api/server.hpp"
#include "core/encoding.hpp"
#include "store/store.hpp"
#include "support/http_client.hpp"
#include "support/sqlite_store.hpp"
#include "support/temp_dir.hpp"

namespace axon::test {

class ApiFixture : public ::testing::Test {
 protected:
  static constexpr const char* kAdminToken = "test-admin-token-0123456789";

  // Tests may change options before calling start_server() (SetUp starts with defaults
  // unless `autostart_` is false).
  void SetUp() override {
    store_ = open_migrated_sqlite_store(dir_.file("axon.db"));
    auto box = SecretBox::create(std::string(32, 'k'));
    ASSERT_TRUE(box) << box.error().message;
    secrets_.emplace(std::move(*box));
    options_.port = 0;
    options_.threads = 2;
    if (autostart_) start_server();
  }

  void TearDown() override {
    if (server_) server_->stop();
  }

  void start_server() {
    ApiContext context{.store = *store_,
                       .secrets = *secrets_,
                       .clock = clock_,
                       .random = random_,
                       .ids = ids_,
                       .admin_token_hash = sha256_hex(kAdminToken),
                       .on_events_ingested = [this] { ++wakeups_; },
                       .metrics_text = [] { return std::string("axon_test_metric 1\n"); }};
    server_ = std::make_unique<ApiServer>(std::move(context), options_);
    auto port = server_->start();
    ASSERT_TRUE(port) << port.error().message;
    port_ = *port;
    client_ = std::make_unique<HttpClient>(port_);
  }

  HttpClient& http() { return *client_; }

  HttpResponse admin(std::string_view method, std::string_view target,
                     const nlohmann::json& body = nullptr, const HttpHeaders& extra = {}) {
    return client_->json(method, target, kAdminToken, body, extra);
  }
  HttpResponse as(std::string_view token, std::string_view method, std::string_view target,
                  const nlohmann::json& body = nullptr, const HttpHeaders& extra = {}) {
    return client_->json(method, target, token, body, extra);
  }

  std::string create_tenant(const std::string& name = "acme") {
    auto response = admin("POST", "/v1/tenants", {{"name", name}});
    EXPECT_EQ(response.status, 201) << response.body;
    return response.json().value("id", "");
  }
  std::string create_key(const std::string& tenant_id) {
    auto response = admin("POST", "/v1/tenants/" + tenant_id + "/api-keys");
    EXPECT_EQ(response.status, 201) << response.body;
    return response.json().value("key", "");
  }
  nlohmann::json create_endpoint(const std::string& token, const std::string& tenant_id,
                                 nlohmann::json body = {{"url", "https://example.com/hook"}}) {
    auto response = as(token, "POST", "/v1/tenants/" + tenant_id + "/endpoints", body);
    EXPECT_EQ(response.status, 201) << response.body;
    return response.json();
  }

  TempDir dir_{"axon-api-test-"};
  FakeClock clock_;
  SecureRandom random_;
  IdGenerator ids_{clock_, random_};
  std::unique_ptr<Store> store_;
  std::optional<SecretBox> secrets_;
  ApiOptions options_;
  bool autostart_ = true;
  std::atomic<int> wakeups_{0};
  std::unique_ptr<ApiServer> server_;
  std::uint16_t port_ = 0;
  std::unique_ptr<HttpClient> client_;
};

}  // namespace axon::test
