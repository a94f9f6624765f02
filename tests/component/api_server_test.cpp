// The HTTP server itself: keep-alive, limits, malformed HTTP, timeouts, connection cap.
#include <memory>
#include <string>
#include <vector>

#include "component/api_fixture.hpp"

namespace axon::test {
namespace {

class ApiServerTest : public ApiFixture {
 protected:
  void SetUp() override {
    autostart_ = false;
    ApiFixture::SetUp();
  }
};

TEST_F(ApiServerTest, KeepAliveServesManyRequestsOnOneConnection) {
  start_server();
  HttpClient client(port_);
  std::string first = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  // Two pipelined requests in one write, then a third.
  auto a = client.raw(first + first);
  EXPECT_EQ(a.status, 200);
  auto b = client.read_response();
  EXPECT_EQ(b.status, 200);
  auto c = client.raw(first);
  EXPECT_EQ(c.status, 200);
  EXPECT_TRUE(client.connected());
}

TEST_F(ApiServerTest, MalformedHttpIsAnswered400AndServingContinues) {
  start_server();
  for (std::string garbage :
       {std::string("NOT HTTP AT ALL\r\n\r\n"), std::string("GET /healthz HTTP/9.9\r\n\r\n"),
        std::string("GET /healthz HTTP/1.1\r\nBad Header\r\n\r\n"),
        std::string("POST /v1/tenants HTTP/1.1\r\nContent-Length: x\r\n\r\n")}) {
    HttpClient client(port_);
    auto response = client.raw(garbage);
    EXPECT_EQ(response.status, 400) << garbage;
    EXPECT_EQ(response.json()["error"]["code"], "invalid_request");
  }
  EXPECT_EQ(http().request("GET", "/healthz").status, 200);
}

TEST_F(ApiServerTest, OversizedChunkedBodyIs413) {
  start_server();
  HttpClient client(port_);
  std::string request =
      "POST /v1/tenants HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Authorization: Bearer " +
      std::string(kAdminToken) + "\r\nTransfer-Encoding: chunked\r\n\r\n";
  std::string chunk(64 * 1024, 'a');
  char size[16];
  std::snprintf(size, sizeof size, "%zx\r\n", chunk.size());
  for (int i = 0; i < 5; ++i) request += size + chunk + "\r\n";
  request += "0\r\n\r\n";
  auto response = client.raw(request);
  EXPECT_EQ(response.status, 413);
  EXPECT_EQ(response.json()["error"]["code"], "payload_too_large");
  EXPECT_EQ(http().request("GET", "/healthz").status, 200);
}

TEST_F(ApiServerTest, ExpectContinueIsHonoured) {
  start_server();
  HttpClient client(port_);
  std::string body = R"({"name":"continued"})";
  ASSERT_TRUE(
      client.send_only("POST /v1/tenants HTTP/1.1\r\nHost: x\r\n"
                       "Content-Type: application/json\r\nExpect: 100-continue\r\n"
                       "Authorization: Bearer " +
                       std::string(kAdminToken) +
                       "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n"));
  // The server answers "100 Continue" after the header; read_response skips that interim
  // answer and returns the final one.
  ASSERT_TRUE(client.send_only(body));
  auto response = client.read_response();
  EXPECT_EQ(response.status, 201) << response.body;
}

TEST_F(ApiServerTest, IdleConnectionsAreClosed) {
  options_.idle_timeout = 200;
  start_server();
  HttpClient client(port_);
  EXPECT_EQ(client.request("GET", "/healthz").status, 200);
  EXPECT_TRUE(client.wait_for_close());
}

TEST_F(ApiServerTest, SlowClientIsCutOff) {
  options_.request_read_timeout = 300;
  start_server();
  HttpClient client(port_);
  ASSERT_TRUE(client.send_only("GET /healthz HTTP/1.1\r\nHost: x\r\n"));  // never finishes
  EXPECT_TRUE(client.wait_for_close());
  EXPECT_EQ(http().request("GET", "/healthz").status, 200);
}

TEST_F(ApiServerTest, ConnectionsBeyondTheCapGet503) {
  options_.max_connections = 2;
  start_server();
  std::vector<std::unique_ptr<HttpClient>> held;
  for (int i = 0; i < 2; ++i) {
    held.push_back(std::make_unique<HttpClient>(port_));
    ASSERT_EQ(held.back()->request("GET", "/healthz").status, 200);
  }
  HttpClient extra(port_);
  auto response = extra.request("GET", "/healthz");
  EXPECT_EQ(response.status, 503);
  EXPECT_EQ(response.json()["error"]["code"], "unavailable");
  EXPECT_EQ(response.header("Connection"), "close");
  // Once a held connection goes away, a new one is served.
  held.front()->disconnect();
  held.erase(held.begin());
  bool served = false;
  for (int i = 0; i < 200 && !served; ++i) {  // the server notices the close asynchronously
    HttpClient again(port_);
    served = again.request("GET", "/healthz").status == 200;
  }
  EXPECT_TRUE(served);
}

TEST_F(ApiServerTest, StopIsPromptAndRestartable) {
  start_server();
  HttpClient idle(port_);
  EXPECT_EQ(idle.request("GET", "/healthz").status, 200);
  server_->stop();
  EXPECT_TRUE(idle.wait_for_close());
  start_server();
  EXPECT_EQ(http().request("GET", "/healthz").status, 200);
}

}  // namespace
}  // namespace axon::test
