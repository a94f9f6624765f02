// The HTTP server itself: keep-alive, limits, malformed HTTP, timeouts, the connection cap and
// what happens when a flood of idle or trickling connections fills it.
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
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

TEST_F(ApiServerTest, SlowBodyIsCutOff) {
  options_.request_read_timeout = 300;
  start_server();
  HttpClient client(port_);
  // The head is complete; the 10 bytes of body never come.
  ASSERT_TRUE(client.send_only("POST /v1/tenants HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n"));
  EXPECT_TRUE(client.wait_for_close());
  EXPECT_EQ(http().request("GET", "/healthz").status, 200);
}

TEST_F(ApiServerTest, ConnectionsAllInARequestGet503) {
  options_.max_connections = 2;
  start_server();
  // Two connections mid-request (head read, body still owed): they are doing work and are
  // never evicted, so a third connection is refused.
  std::vector<std::unique_ptr<HttpClient>> held;
  for (int i = 0; i < 2; ++i) {
    held.push_back(std::make_unique<HttpClient>(port_));
    ASSERT_TRUE(held.back()->send_only(
        "POST /v1/tenants HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
        "Content-Length: 10\r\n\r\n"));
    // "100 Continue" proves the server has read the head.
    ASSERT_TRUE(held.back()->read_until("100 Continue\r\n\r\n"));
  }
  auto response = HttpClient(port_).request("GET", "/healthz");
  EXPECT_EQ(response.status, 503);
  EXPECT_EQ(response.json()["error"]["code"], "unavailable");
  EXPECT_EQ(response.header("Connection"), "close");
}

TEST_F(ApiServerTest, IdleKeepAliveConnectionsMakeRoomForNewOnes) {
  options_.max_connections = 2;
  start_server();
  std::vector<std::unique_ptr<HttpClient>> held;
  for (int i = 0; i < 2; ++i) {
    held.push_back(std::make_unique<HttpClient>(port_, "127.0.0.1", std::chrono::seconds(2)));
    ASSERT_EQ(held.back()->request("GET", "/healthz").status, 200);
  }
  // Both slots hold idle keep-alive connections: one is closed to serve the newcomer. A
  // connection counts as idle once the server has finished writing its answer, which may be
  // a moment after the client has read it (so until then a newcomer may still get 503, and
  // which of the two went idle first is a race; connection_slots_test checks the order).
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while ((status = HttpClient(port_).request("GET", "/healthz").status) == 503 &&
         std::chrono::steady_clock::now() < deadline) {
  }
  EXPECT_EQ(status, 200);
  int closed = 0;
  for (auto& client : held) closed += client->wait_for_close() ? 1 : 0;
  EXPECT_EQ(closed, 1);
}

TEST_F(ApiServerTest, HeadMustArriveWithinItsDeadline) {
  options_.header_timeout = 300;
  options_.idle_timeout = 60'000;          // neither of these may be what closes them
  options_.request_read_timeout = 60'000;
  start_server();
  HttpClient silent(port_);
  ASSERT_TRUE(silent.send_only(""));  // connects, sends nothing
  // A trickler keeps sending, one byte at a time, and never finishes its head.
  HttpClient trickler(port_, "127.0.0.1", std::chrono::milliseconds(50));
  const std::string head = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(500, 'a');
  bool closed = false;
  for (char byte : head) {
    if (!trickler.send_only(std::string_view(&byte, 1))) {
      closed = true;
      break;
    }
    if (trickler.wait_for_close()) {  // waits 50 ms
      closed = true;
      break;
    }
  }
  EXPECT_TRUE(closed) << "a head trickled over " << head.size() * 50 << " ms was never cut off";
  EXPECT_TRUE(silent.wait_for_close());
  EXPECT_EQ(http().request("GET", "/healthz").status, 200);
}

// A flood from one address: every slot taken by connections that send nothing, plus more
// trickling in a byte at a time. A normal client's requests must still be answered, each
// within 2 s (the client's receive timeout), on fresh connections.
TEST_F(ApiServerTest, NormalClientIsServedDuringAConnectionFlood) {
  constexpr int kSlots = 8;
  options_.max_connections = kSlots;
  start_server();
  std::vector<std::unique_ptr<HttpClient>> flood;
  for (int i = 0; i < kSlots; ++i) {
    flood.push_back(std::make_unique<HttpClient>(port_));
    ASSERT_TRUE(flood.back()->send_only(""));
  }
  std::atomic<bool> done{false};
  std::thread trickle([&] {
    std::vector<std::unique_ptr<HttpClient>> tricklers;
    for (int i = 0; i < kSlots / 2; ++i) {
      tricklers.push_back(std::make_unique<HttpClient>(port_));
    }
    const std::string head = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: ";
    for (std::size_t at = 0; !done; at = (at + 1) % head.size()) {
      for (auto& client : tricklers) {
        if (!client->send_only(head.substr(at, 1))) client->disconnect();  // reconnects
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));  // pacing, not synchronisation
    }
  });
  int answered = 0;
  for (int i = 0; i < 20; ++i) {
    HttpClient normal(port_, "127.0.0.1", std::chrono::milliseconds(2000));
    auto response = normal.request("GET", "/healthz");
    EXPECT_EQ(response.status, 200) << "request " << i << ": " << response.error << " "
                                    << response.body;
    answered += response.status == 200;
  }
  done = true;
  trickle.join();
  EXPECT_EQ(answered, 20);
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
