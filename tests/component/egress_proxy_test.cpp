// HttpSender behind a real egress proxy (tinyproxy on 127.0.0.1): http and https deliveries
// are tunnelled through it to the address the SSRF guard checked (its log shows
// "CONNECT <address>:<port>"), Host and TLS keep the endpoint's name, and a blocked
// destination is never asked of the proxy.
#include <gtest/gtest.h>

#include "component/http_sender_results.hpp"
#include "delivery/http_sender.hpp"
#include "support/test_pki.hpp"
#include "support/test_proxy.hpp"
#include "support/test_receiver.hpp"

namespace axon::test {
namespace {

struct EgressProxy : ::testing::Test {
  SystemClock clock;

  HttpSenderOptions through(const TestProxy& proxy, bool allow_private) const {
    HttpSenderOptions o;
    o.request_timeout = 5'000;
    o.connect_timeout = 2'000;
    o.allow_private = allow_private;
    o.egress.proxy = proxy.url();
    return o;
  }

  HttpResult send_one(HttpSender& sender, const std::string& url) {
    return send_and_wait(sender, HttpRequest{url, {{"Content-Type", "application/json"}},
                                             std::make_shared<const std::string>("{}")});
  }
};

TEST_F(EgressProxy, HttpDeliveriesAreTunnelledToTheCheckedAddress) {
  TestProxy proxy;
  TestReceiver rx;
  HttpSender sender(clock, through(proxy, /*allow_private=*/true));
  const HttpResult r = send_one(sender, rx.url_for_host("localhost", "/hook"));
  EXPECT_EQ(r.error, AttemptError::none) << r.error_message;
  EXPECT_EQ(r.status_code, 200);
  ASSERT_EQ(rx.request_count(), 1u);
  EXPECT_EQ(rx.requests()[0].target, "/hook");
  EXPECT_EQ(rx.requests()[0].header("Host"), "localhost:" + std::to_string(rx.port()));
  // The proxy was asked for the resolved address, not the name it could resolve again.
  EXPECT_TRUE(proxy.wait_for_log("CONNECT 127.0.0.1:" + std::to_string(rx.port())))
      << proxy.log();
  EXPECT_EQ(proxy.log().find("CONNECT localhost"), std::string::npos);
}

TEST_F(EgressProxy, HttpsDeliveriesKeepTheNameForTlsThroughTheTunnel) {
  TestProxy proxy;
  TestCa ca("Proxy Test Root");
  // A certificate for the name only: verification must use "localhost", not the address.
  const IssuedCertificate server = ca.issue({.common_name = "localhost", .dns_names = {"localhost"}});
  TestReceiver rx({}, TlsReceiverOptions{server.certificate_pem, server.key_pem, {}, false});
  HttpSenderOptions options = through(proxy, /*allow_private=*/true);
  options.egress.extra_ca_pem = ca.certificate_pem();
  HttpSender sender(clock, options);
  const HttpResult r = send_one(sender, rx.url_for_host("localhost", "/secure"));
  EXPECT_EQ(r.error, AttemptError::none) << r.error_message;
  ASSERT_EQ(rx.request_count(), 1u);
  EXPECT_EQ(rx.requests()[0].header("Host"), "localhost:" + std::to_string(rx.port()));
  EXPECT_TRUE(proxy.wait_for_log("CONNECT 127.0.0.1:" + std::to_string(rx.port())))
      << proxy.log();
  // Connections through the tunnel are kept alive like direct ones.
  EXPECT_EQ(send_one(sender, rx.url_for_host("localhost", "/secure")).error, AttemptError::none);
  EXPECT_EQ(rx.connections_accepted(), 1);
}

TEST_F(EgressProxy, ABlockedDestinationIsNeverAskedOfTheProxy) {
  TestProxy proxy;
  HttpSender sender(clock, through(proxy, /*allow_private=*/false));
  for (const char* url : {"http://127.0.0.1:9/", "https://10.1.2.3/hook",
                          "http://169.254.169.254/latest/meta-data", "http://[::1]:8080/",
                          "http://2130706433/", "https://localhost/"}) {
    const HttpResult r = send_one(sender, url);
    EXPECT_EQ(r.error, AttemptError::blocked) << url << ": " << r.error_message;
    EXPECT_NE(r.error_message.find("SSRF guard"), std::string::npos) << r.error_message;
  }
  // No request reached the proxy. (A bare "Connect" line may appear: the fixture's readiness
  // probe connects and closes without a request, and tinyproxy may log it late.)
  EXPECT_EQ(proxy.log().find("Request ("), std::string::npos) << proxy.log();
}

TEST_F(EgressProxy, TheGuardChecksTheDestinationNotTheProxysOwnAddress) {
  // The proxy itself is on 127.0.0.1 while private targets are refused: the connection to it
  // is allowed, and a public destination is asked of it (which refuses to connect anywhere,
  // so nothing leaves 127.0.0.1).
  TestProxy proxy(/*refuse_all=*/true);
  HttpSender sender(clock, through(proxy, /*allow_private=*/false));
  const HttpResult r = send_one(sender, "https://93.184.215.14/hook");
  EXPECT_NE(r.error, AttemptError::blocked) << r.error_message;
  EXPECT_TRUE(proxy.wait_for_log("CONNECT 93.184.215.14:443")) << proxy.log();
}

}  // namespace
}  // namespace axon::test
