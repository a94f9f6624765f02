// core/client_certificate: the checks of an endpoint's client certificate and key, on PEM
// made at test time.
#include "core/client_certificate.hpp"

#include <gtest/gtest.h>

#include <chrono>

#include "support/test_pki.hpp"

namespace axon::test {
namespace {

using namespace std::chrono_literals;

TEST(ClientCertificate, AMatchingPairGivesTheLeafSubjectAndExpiry) {
  TestCa ca("Client Root");
  const auto before = std::chrono::system_clock::now();
  const IssuedCertificate leaf = ca.issue({.common_name = "sender-1", .valid_until = 48h});
  // The chain may carry the issuer after the leaf.
  auto summary = check_client_credentials(leaf.certificate_pem + ca.certificate_pem(), leaf.key_pem);
  ASSERT_TRUE(summary) << summary.error().message;
  EXPECT_EQ(summary->subject, "CN=sender-1,O=Axon Tests");
  const Millis expected =
      std::chrono::duration_cast<std::chrono::milliseconds>((before + 48h).time_since_epoch())
          .count();
  EXPECT_NEAR(static_cast<double>(summary->expires_at), static_cast<double>(expected), 5'000);
}

TEST(ClientCertificate, AKeyOfAnotherCertificateIsRefused) {
  TestCa ca("Client Root");
  const IssuedCertificate leaf = ca.issue({.common_name = "sender-1"});
  auto checked = check_client_credentials(leaf.certificate_pem, generate_private_key_pem());
  ASSERT_FALSE(checked);
  EXPECT_EQ(checked.error().code, Errc::validation_failed);
  EXPECT_NE(checked.error().message.find("does not belong"), std::string::npos);
}

TEST(ClientCertificate, TextThatIsNotPemIsRefusedWithoutQuotingIt) {
  TestCa ca("Client Root");
  const IssuedCertificate leaf = ca.issue({.common_name = "sender-1"});
  for (const std::string cert : {std::string("hello"), std::string(""),
                                 leaf.certificate_pem.substr(0, 200),
                                 leaf.certificate_pem + "-----BEGIN CERTIFICATE-----\nAAAA\n"}) {
    auto checked = check_client_credentials(cert, leaf.key_pem);
    ASSERT_FALSE(checked) << cert;
    EXPECT_EQ(checked.error().code, Errc::validation_failed);
    EXPECT_NE(checked.error().message.find("tls_client_certificate"), std::string::npos);
  }
  const std::string secret_looking = "-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n-----END PRIVATE KEY-----\n";
  auto bad_key = check_client_credentials(leaf.certificate_pem, secret_looking);
  ASSERT_FALSE(bad_key);
  EXPECT_NE(bad_key.error().message.find("tls_client_key"), std::string::npos);
  EXPECT_EQ(bad_key.error().message.find("c2VjcmV0"), std::string::npos);
}

TEST(ClientCertificate, AKeyOrChainBeyondTheSizeLimitIsRefused) {
  TestCa ca("Client Root");
  const IssuedCertificate leaf = ca.issue({.common_name = "sender-1"});
  std::string huge_key = leaf.key_pem + std::string(kMaxPrivateKeyBytes, '\n');
  EXPECT_FALSE(check_client_credentials(leaf.certificate_pem, huge_key));
  std::string huge_chain;
  while (huge_chain.size() <= kMaxCertificateChainBytes) huge_chain += leaf.certificate_pem;
  EXPECT_FALSE(summarize_certificate_chain(huge_chain));
}

}  // namespace
}  // namespace axon::test
