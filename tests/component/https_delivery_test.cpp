// HttpSender over TLS against real receivers on 127.0.0.1 with certificates made at test
// time: trust through --ca-file (in addition to the system store), the failures a person
// must be able to read (untrusted, expired, another name, a handshake cut short, a missing
// client certificate), client certificates, and connection/session reuse.
#include <gtest/gtest.h>

#include <chrono>

#include "component/http_sender_results.hpp"
#include "delivery/http_sender.hpp"
#include "support/temp_dir.hpp"
#include "support/test_pki.hpp"
#include "support/test_receiver.hpp"

namespace axon::test {
namespace {

using namespace std::chrono_literals;

// A CA, a receiver certificate it issued for localhost/127.0.0.1, and a sender trusting it.
struct HttpsFixture : ::testing::Test {
  TestCa ca{"Axon Test Root"};
  IssuedCertificate server = ca.issue(
      {.common_name = "localhost", .dns_names = {"localhost"}, .ip_addresses = {"127.0.0.1"}});
  SystemClock clock;

  static TlsReceiverOptions serving(const IssuedCertificate& cert) {
    return TlsReceiverOptions{cert.certificate_pem, cert.key_pem, std::nullopt, false};
  }

  HttpSenderOptions trusting(std::string extra_ca_pem) const {
    HttpSenderOptions o;
    o.request_timeout = 5'000;
    o.connect_timeout = 2'000;
    o.allow_private = true;
    o.egress.extra_ca_pem = std::move(extra_ca_pem);
    return o;
  }

  HttpResult send_one(HttpSender& sender, const std::string& url, std::string client_cert = {},
                      std::string client_key = {}) {
    return send_and_wait(sender, HttpRequest{url,
                                             {{"Content-Type", "application/json"}},
                                             std::make_shared<const std::string>(R"({"a":1})"),
                                             std::move(client_cert), std::move(client_key)});
  }
};

TEST_F(HttpsFixture, DeliversToAReceiverWhoseCaIsTrustedThroughTheCaFile) {
  TestReceiver rx({}, serving(server));
  HttpSender sender(clock, trusting(ca.certificate_pem()));
  const HttpResult r = send_one(sender, rx.url_for_host("localhost", "/hook"));
  EXPECT_EQ(r.error, AttemptError::none) << r.error_message;
  EXPECT_EQ(r.status_code, 200);
  ASSERT_EQ(rx.request_count(), 1u);
  EXPECT_EQ(rx.requests()[0].body, R"({"a":1})");
  EXPECT_EQ(rx.tls_counts().handshakes, 1);
  // An IP literal is verified against the certificate's IP entry.
  EXPECT_EQ(send_one(sender, rx.url("/hook")).error, AttemptError::none);
}

TEST_F(HttpsFixture, AnUntrustedCaIsATlsErrorSayingSo) {
  TestCa stranger("Somebody Else's CA");
  TestReceiver rx({}, serving(stranger.issue({.common_name = "localhost",
                                              .dns_names = {"localhost"},
                                              .ip_addresses = {"127.0.0.1"}})));
  HttpSender sender(clock, trusting(ca.certificate_pem()));
  const HttpResult r = send_one(sender, rx.url_for_host("localhost"));
  EXPECT_EQ(r.error, AttemptError::tls);
  EXPECT_NE(r.error_message.find("certificate is not trusted"), std::string::npos)
      << r.error_message;
  EXPECT_EQ(rx.request_count(), 0u);
}

TEST_F(HttpsFixture, AnExpiredCertificateIsATlsErrorSayingSo) {
  TestReceiver rx({}, serving(ca.issue({.common_name = "localhost",
                                        .dns_names = {"localhost"},
                                        .valid_from = -48h,
                                        .valid_until = -1h})));
  HttpSender sender(clock, trusting(ca.certificate_pem()));
  const HttpResult r = send_one(sender, rx.url_for_host("localhost"));
  EXPECT_EQ(r.error, AttemptError::tls);
  EXPECT_EQ(r.error_message, "certificate has expired");
}

TEST_F(HttpsFixture, ACertificateForAnotherNameIsATlsErrorSayingSo) {
  TestReceiver rx({}, serving(ca.issue({.common_name = "hooks.example.com",
                                        .dns_names = {"hooks.example.com"}})));
  HttpSender sender(clock, trusting(ca.certificate_pem()));
  const HttpResult r = send_one(sender, rx.url_for_host("localhost"));
  EXPECT_EQ(r.error, AttemptError::tls);
  EXPECT_EQ(r.error_message, "certificate is for another host name");
}

TEST_F(HttpsFixture, AReceiverClosingDuringTheHandshakeIsATlsError) {
  auto options = serving(server);
  options.close_during_handshake = true;
  TestReceiver rx({}, options);
  HttpSender sender(clock, trusting(ca.certificate_pem()));
  const HttpResult r = send_one(sender, rx.url_for_host("localhost"));
  EXPECT_EQ(r.error, AttemptError::tls);
  EXPECT_NE(r.error_message.find("TLS handshake failed"), std::string::npos) << r.error_message;
}

TEST_F(HttpsFixture, TheCaFileAddsToTheSystemStoreInsteadOfReplacingIt) {
  TempDir dir;
  TestCa system_ca("Stand-in System Root");
  write_text_file(dir.file("system.pem"), system_ca.certificate_pem());
  TestReceiver public_rx({}, serving(system_ca.issue({.common_name = "localhost",
                                                      .dns_names = {"localhost"}})));
  TestReceiver private_rx({}, serving(server));

  HttpSenderOptions only_system = trusting("");
  only_system.egress.system_ca_file = dir.file("system.pem");
  HttpSender plain(clock, only_system);
  EXPECT_EQ(send_one(plain, public_rx.url_for_host("localhost")).error, AttemptError::none);
  EXPECT_EQ(send_one(plain, private_rx.url_for_host("localhost")).error, AttemptError::tls);

  HttpSenderOptions both = only_system;
  both.egress.extra_ca_pem = ca.certificate_pem();
  HttpSender sender(clock, both);
  EXPECT_EQ(send_one(sender, public_rx.url_for_host("localhost")).error, AttemptError::none);
  EXPECT_EQ(send_one(sender, private_rx.url_for_host("localhost")).error, AttemptError::none);
}

TEST_F(HttpsFixture, PresentsTheClientCertificateAReceiverRequires) {
  TestCa client_ca("Receiver's Client CA");
  auto options = serving(server);
  options.client_ca_pem = client_ca.certificate_pem();
  TestReceiver rx({}, options);
  const IssuedCertificate client = client_ca.issue({.common_name = "axon-sender"});
  HttpSender sender(clock, trusting(ca.certificate_pem()));

  const HttpResult with = send_one(sender, rx.url_for_host("localhost"), client.certificate_pem,
                                   client.key_pem);
  EXPECT_EQ(with.error, AttemptError::none) << with.error_message;
  ASSERT_EQ(rx.request_count(), 1u);
  EXPECT_NE(rx.requests()[0].client_certificate_subject.find("CN=axon-sender"),
            std::string::npos);

  const HttpResult without = send_one(sender, rx.url_for_host("localhost"));
  EXPECT_EQ(without.error, AttemptError::tls) << without.error_message;
  EXPECT_NE(without.error_message.find("client certificate"), std::string::npos)
      << without.error_message;
  EXPECT_EQ(rx.request_count(), 1u);
}

TEST_F(HttpsFixture, ReusesConnectionsAndResumesSessionsForNewOnes) {
  TestReceiver keep_alive({}, serving(server));
  HttpSender sender(clock, trusting(ca.certificate_pem()));
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(send_one(sender, keep_alive.url_for_host("localhost")).error, AttemptError::none);
  }
  EXPECT_EQ(keep_alive.connections_accepted(), 1);
  EXPECT_EQ(keep_alive.tls_counts().handshakes, 1);

  // A receiver closing after every answer forces new connections: they resume the session.
  TestReceiver closing(
      [](const ReceivedRequest&) {
        ScriptedResponse r;
        r.close_after = true;
        return r;
      },
      serving(server));
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(send_one(sender, closing.url_for_host("localhost")).error, AttemptError::none);
  }
  const TlsCounts counts = closing.tls_counts();
  EXPECT_EQ(counts.handshakes, 4);
  EXPECT_EQ(counts.resumed, 3);
}

}  // namespace
}  // namespace axon::test
