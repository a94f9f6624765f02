// Endpoint client certificates through the API: validated on create and PATCH (422 with a
// message naming the problem), the key sealed at rest and never returned, the certificate's
// subject and expiry shown, replaced and removed as a pair.
#include <chrono>

#include "component/api_fixture.hpp"
#include "support/test_pki.hpp"

namespace axon::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

class ApiClientCertificate : public ApiFixture {
 protected:
  void SetUp() override {
    ApiFixture::SetUp();
    tenant_ = create_tenant();
    key_ = create_key(tenant_);
  }
  std::string endpoints() const { return "/v1/tenants/" + tenant_ + "/endpoints"; }

  TestCa ca_{"Client Root"};
  IssuedCertificate client_ = ca_.issue({.common_name = "axon-sender", .valid_until = 30 * 24h});
  std::string tenant_, key_;
};

TEST_F(ApiClientCertificate, CreateShowsTheCertificateButNeverTheKey) {
  json created = create_endpoint(key_, tenant_,
                                 {{"url", "https://example.com/hook"},
                                  {"tls_client_certificate", client_.certificate_pem},
                                  {"tls_client_key", client_.key_pem}});
  EXPECT_EQ(created["tls_client_certificate"], client_.certificate_pem);
  EXPECT_EQ(created["tls_client_certificate_subject"], "CN=axon-sender,O=Axon Tests");
  EXPECT_TRUE(created["tls_client_certificate_expires_at"].is_string());
  EXPECT_EQ(created["tls_client_key"], true);
  auto read = as(key_, "GET", endpoints() + "/" + created["id"].get<std::string>());
  ASSERT_EQ(read.status, 200);
  EXPECT_EQ(read.body.find("PRIVATE KEY"), std::string::npos);
  EXPECT_EQ(read.json()["tls_client_key"], true);
  auto list = as(key_, "GET", endpoints());
  EXPECT_EQ(list.body.find("PRIVATE KEY"), std::string::npos);

  // Sealed at rest: the stored value is not the PEM and opens to it under the master key.
  auto stored = store_->get_endpoint(tenant_, created["id"].get<std::string>());
  ASSERT_TRUE(stored && stored->tls_client_key_sealed);
  EXPECT_EQ(stored->tls_client_key_sealed->find("PRIVATE KEY"), std::string::npos);
  EXPECT_EQ(secrets_->open(*stored->tls_client_key_sealed).value(), client_.key_pem);

  json plain = create_endpoint(key_, tenant_);
  EXPECT_TRUE(plain["tls_client_certificate"].is_null());
  EXPECT_TRUE(plain["tls_client_certificate_subject"].is_null());
  EXPECT_EQ(plain["tls_client_key"], false);
}

TEST_F(ApiClientCertificate, BadInputIs422WithAMessageThatSaysWhy) {
  const IssuedCertificate other = ca_.issue({.common_name = "someone-else"});
  struct Case {
    json body;
    int status;
    std::string says;
  };
  const std::vector<Case> cases = {
      {{{"tls_client_certificate", client_.certificate_pem}}, 422, "set together"},
      {{{"tls_client_key", client_.key_pem}}, 422, "set together"},
      {{{"tls_client_certificate", "not a certificate"}, {"tls_client_key", client_.key_pem}},
       422, "PEM certificates"},
      {{{"tls_client_certificate", client_.certificate_pem}, {"tls_client_key", "nope"}},
       422, "unencrypted PEM private key"},
      {{{"tls_client_certificate", client_.certificate_pem}, {"tls_client_key", other.key_pem}},
       422, "does not belong"},
      {{{"tls_client_certificate", 5}, {"tls_client_key", client_.key_pem}}, 400, "string"},
  };
  json existing = create_endpoint(key_, tenant_);
  for (const Case& c : cases) {
    json body = c.body;
    body["url"] = "https://example.com/hook";
    auto created = as(key_, "POST", endpoints(), body);
    EXPECT_EQ(created.status, c.status) << created.body;
    EXPECT_NE(created.body.find(c.says), std::string::npos) << created.body;
    // The key material is never echoed back.
    const std::string key_line = client_.key_pem.substr(client_.key_pem.find('\n') + 1, 40);
    EXPECT_EQ(created.body.find(key_line), std::string::npos);
    auto patched =
        as(key_, "PATCH", endpoints() + "/" + existing["id"].get<std::string>(), c.body);
    EXPECT_EQ(patched.status, c.status) << patched.body;
  }
}

TEST_F(ApiClientCertificate, PatchReplacesBothAndNullRemovesBoth) {
  json created = create_endpoint(key_, tenant_);
  const std::string target = endpoints() + "/" + created["id"].get<std::string>();
  auto set = as(key_, "PATCH", target,
                {{"tls_client_certificate", client_.certificate_pem},
                 {"tls_client_key", client_.key_pem}});
  ASSERT_EQ(set.status, 200) << set.body;
  EXPECT_EQ(set.json()["tls_client_key"], true);

  const IssuedCertificate renewed = ca_.issue({.common_name = "axon-sender-2026"});
  auto rotated = as(key_, "PATCH", target,
                    {{"tls_client_certificate", renewed.certificate_pem},
                     {"tls_client_key", renewed.key_pem}});
  ASSERT_EQ(rotated.status, 200) << rotated.body;
  EXPECT_EQ(rotated.json()["tls_client_certificate_subject"], "CN=axon-sender-2026,O=Axon Tests");

  auto untouched = as(key_, "PATCH", target, {{"description", "still there"}});
  EXPECT_EQ(untouched.json()["tls_client_key"], true);

  auto removed =
      as(key_, "PATCH", target, {{"tls_client_certificate", nullptr}, {"tls_client_key", nullptr}});
  ASSERT_EQ(removed.status, 200) << removed.body;
  EXPECT_TRUE(removed.json()["tls_client_certificate"].is_null());
  EXPECT_EQ(removed.json()["tls_client_key"], false);
  EXPECT_FALSE(store_->get_endpoint(tenant_, created["id"].get<std::string>())
                   ->tls_client_key_sealed.has_value());
}

}  // namespace
}  // namespace axon::test
