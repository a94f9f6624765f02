// The dispatcher over TLS: an endpoint's sealed client key is opened and its certificate
// presented to a receiver that demands one; without it the attempt records error class
// `tls` with a readable message and is retried.
#include <gtest/gtest.h>

#include "component/dispatcher_fixture.hpp"
#include "support/test_pki.hpp"

namespace axon::test {
namespace {

class DispatcherTls : public DispatcherFixture {
 protected:
  TestCa server_ca_{"Receiver Root"};
  TestCa client_ca_{"Client Root"};
  IssuedCertificate server_ =
      server_ca_.issue({.common_name = "localhost", .dns_names = {"localhost"}});
  IssuedCertificate client_ = client_ca_.issue({.common_name = "axon-dispatcher"});

  TlsReceiverOptions mtls() const {
    return TlsReceiverOptions{server_.certificate_pem, server_.key_pem,
                              client_ca_.certificate_pem(), false};
  }
  DispatcherOptions trusting_receiver() const {
    DispatcherOptions o = default_options();
    o.egress.extra_ca_pem = server_ca_.certificate_pem();
    return o;
  }
};

TEST_F(DispatcherTls, PresentsTheEndpointsClientCertificate) {
  TestReceiver rx({}, mtls());
  add_endpoint(rx.url_for_host("localhost", "/mtls"), [&](Endpoint& ep) {
    ep.tls_client_certificate = client_.certificate_pem;
    ep.tls_client_key_sealed = box_->seal(client_.key_pem, random_);
  });
  start_dispatcher(trusting_receiver());
  const auto ids = publish();
  ASSERT_EQ(ids.size(), 1u);
  const Delivery d = wait_for_status(ids[0], DeliveryStatus::succeeded);
  EXPECT_EQ(d.status, DeliveryStatus::succeeded);
  ASSERT_EQ(rx.request_count(), 1u);
  EXPECT_NE(rx.requests()[0].client_certificate_subject.find("CN=axon-dispatcher"),
            std::string::npos);
}

TEST_F(DispatcherTls, AMissingClientCertificateIsATlsAttempt) {
  TestReceiver rx({}, mtls());
  add_endpoint(rx.url_for_host("localhost", "/mtls"));
  start_dispatcher(trusting_receiver());
  const auto ids = publish();
  ASSERT_EQ(ids.size(), 1u);
  const Delivery d = wait_for_attempts(ids[0], 1);
  const Delivery full = get(d.id);
  ASSERT_FALSE(full.attempt_log.empty());
  const Attempt& first = full.attempt_log.front();
  EXPECT_EQ(first.error, "tls");
  EXPECT_EQ(first.error_message,
            "the receiver requires a client certificate and none was presented");
  EXPECT_EQ(rx.request_count(), 0u);
}

}  // namespace
}  // namespace axon::test
