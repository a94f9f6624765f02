// HttpSender against a real receiver on 127.0.0.1: request shape, keep-alive reuse,
// redirects, the 64 KiB read cap, error classes and the SSRF guard.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "component/http_sender_results.hpp"
#include "delivery/http_sender.hpp"
#include "support/test_receiver.hpp"

namespace axon::test {
namespace {

using namespace std::chrono_literals;

HttpSenderOptions private_ok() {
  HttpSenderOptions o;
  o.request_timeout = 3'000;
  o.connect_timeout = 1'000;
  o.allow_private = true;
  return o;
}

HttpRequest post(const std::string& url, std::string body = R"({"a":1})") {
  return HttpRequest{
      url, {{"Content-Type", "application/json"}, {"X-Test", "yes"}},
      std::make_shared<const std::string>(std::move(body))};
}

TEST(DispatcherHttpSender, PostsBodyAndHeadersAndReportsStatus) {
  TestReceiver rx([](const ReceivedRequest&) { return ScriptedResponse::with_status(201, "hi"); });
  SystemClock clock;
  HttpSender sender(clock, private_ok());
  const Millis before = clock.now_ms();
  sender.submit(post(rx.url("/p?q=1")), 7);
  EXPECT_EQ(sender.in_flight(), 1u);
  auto results = collect(sender, 1);
  ASSERT_EQ(results.size(), 1u);
  const HttpResult& r = results[0];
  EXPECT_EQ(r.tag, 7u);
  EXPECT_EQ(r.status_code, 201);
  EXPECT_EQ(r.remote_address, "127.0.0.1");  // what the per-destination cap counts
  EXPECT_EQ(r.error, AttemptError::none);
  EXPECT_EQ(r.excerpt, "hi");
  EXPECT_GE(r.started_at, before);
  EXPECT_GE(r.duration_ms, 0);
  EXPECT_EQ(sender.in_flight(), 0u);

  auto req = rx.requests().at(0);
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.target, "/p?q=1");
  EXPECT_EQ(req.body, R"({"a":1})");
  EXPECT_EQ(req.header("X-Test"), "yes");
  EXPECT_EQ(req.header("Content-Type"), "application/json");
  EXPECT_EQ(req.version, "HTTP/1.1");
  EXPECT_FALSE(req.header("Expect"));
}

TEST(DispatcherHttpSender, ReusesKeepAliveConnections) {
  TestReceiver rx;
  SystemClock clock;
  HttpSender sender(clock, private_ok());
  for (std::uint64_t i = 0; i < 10; ++i) {
    sender.submit(post(rx.url()), i);
    ASSERT_EQ(collect(sender, 1).size(), 1u);
  }
  EXPECT_EQ(rx.request_count(), 10u);
  EXPECT_EQ(rx.connections_accepted(), 1);
}

TEST(DispatcherHttpSender, LargeBodyIsSentWithoutExpectContinue) {
  TestReceiver rx;
  SystemClock clock;
  HttpSender sender(clock, private_ok());
  const std::string body(300 * 1024, 'x');
  const HttpResult r = send_and_wait(sender, post(rx.url(), body));
  EXPECT_EQ(r.status_code, 200);
  EXPECT_EQ(rx.requests().at(0).body, body);
}

TEST(DispatcherHttpSender, NeverFollowsRedirects) {
  TestReceiver rx([](const ReceivedRequest& r) {
    if (r.target == "/moved") return ScriptedResponse::ok();
    auto resp = ScriptedResponse::with_status(302);
    resp.headers = {{"Location", "/moved"}};
    return resp;
  });
  SystemClock clock;
  HttpSender sender(clock, private_ok());
  const HttpResult r = send_and_wait(sender, post(rx.url("/start")));
  EXPECT_EQ(r.status_code, 302);
  EXPECT_EQ(r.error, AttemptError::http);
  ASSERT_EQ(rx.request_count(), 1u);
  EXPECT_EQ(rx.requests()[0].target, "/start");
}

TEST(DispatcherHttpSender, CapturesRetryAfter) {
  TestReceiver rx([](const ReceivedRequest&) {
    auto resp = ScriptedResponse::with_status(429);
    resp.headers = {{"Retry-After", " 7 "}};
    return resp;
  });
  SystemClock clock;
  HttpSender sender(clock, private_ok());
  const HttpResult r = send_and_wait(sender, post(rx.url()));
  EXPECT_EQ(r.status_code, 429);
  EXPECT_EQ(r.error, AttemptError::http);
  EXPECT_EQ(r.retry_after, "7");
}

TEST(DispatcherHttpSender, ReadsAtMost64KiBAndKeeps4KiB) {
  TestReceiver rx([](const ReceivedRequest&) {
    return ScriptedResponse::with_status(500, std::string(1024 * 1024, 'z'));
  });
  SystemClock clock;
  HttpSender sender(clock, private_ok());
  const HttpResult r = send_and_wait(sender, post(rx.url()));
  EXPECT_EQ(r.status_code, 500);
  EXPECT_EQ(r.error, AttemptError::http);  // judged by the status, not the abort
  EXPECT_EQ(r.excerpt, std::string(4096, 'z'));
}

TEST(DispatcherHttpSender, HangingReceiverIsATimeout) {
  TestReceiver rx([](const ReceivedRequest&) { return ScriptedResponse::hang(5s); });
  SystemClock clock;
  auto options = private_ok();
  options.request_timeout = 300;
  HttpSender sender(clock, options);
  const HttpResult r = send_and_wait(sender, post(rx.url()));
  EXPECT_EQ(r.error, AttemptError::timeout);
  EXPECT_EQ(r.status_code, 0);
  EXPECT_GE(r.duration_ms, 250);
  EXPECT_LT(r.duration_ms, 4'000);
}

TEST(DispatcherHttpSender, ResetAndEmptyReplyAreConnectErrors) {
  TestReceiver rx([](const ReceivedRequest& r) {
    return r.seq == 0 ? ScriptedResponse::reset_connection() : ScriptedResponse::close_connection();
  });
  SystemClock clock;
  HttpSender sender(clock, private_ok());
  sender.submit(post(rx.url()), 1);
  auto first = collect(sender, 1);
  sender.submit(post(rx.url()), 2);
  auto second = collect(sender, 1);
  ASSERT_EQ(first.size(), 1u);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(first[0].error, AttemptError::connect) << first[0].error_message;
  EXPECT_EQ(second[0].error, AttemptError::connect) << second[0].error_message;
  EXPECT_FALSE(first[0].error_message.empty());
}

TEST(DispatcherHttpSender, RefusedConnectionIsAConnectError) {
  // A port that was just ours and is now closed: nothing listens there.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  SystemClock clock;
  HttpSender sender(clock, private_ok());
  const HttpResult r = send_and_wait(sender, post("http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/"));
  EXPECT_EQ(r.error, AttemptError::connect);
  EXPECT_EQ(r.status_code, 0);
}

TEST(DispatcherHttpSender, GuardRefusesLoopbackBeforeConnecting) {
  TestReceiver rx;
  SystemClock clock;
  HttpSenderOptions options = private_ok();
  options.allow_private = false;
  HttpSender sender(clock, options);
  sender.submit(post(rx.url()), 1);
  sender.submit(post("http://localhost:" + std::to_string(rx.port()) + "/"), 2);
  auto results = collect(sender, 2);
  ASSERT_EQ(results.size(), 2u);
  for (const auto& r : results) {
    EXPECT_EQ(r.error, AttemptError::blocked) << r.error_message;
    EXPECT_NE(r.error_message.find("SSRF"), std::string::npos) << r.error_message;
    EXPECT_EQ(r.status_code, 0);
  }
  EXPECT_EQ(rx.connections_accepted(), 0);
  EXPECT_EQ(rx.request_count(), 0u);
}

TEST(DispatcherHttpSender, OnlyHttpAndHttpsAreSpoken) {
  SystemClock clock;
  HttpSender sender(clock, private_ok());
  sender.submit(post("file:///etc/passwd"), 1);
  sender.submit(post("gopher://127.0.0.1:1/"), 2);
  auto results = collect(sender, 2);
  ASSERT_EQ(results.size(), 2u);
  for (const auto& r : results) {
    EXPECT_NE(r.error, AttemptError::none);
    EXPECT_EQ(r.status_code, 0);
    EXPECT_TRUE(r.excerpt.empty());
  }
}

TEST(DispatcherHttpSender, WakeupInterruptsAWaitingPoll) {
  SystemClock clock;
  HttpSender sender(clock, private_ok());
  // Wakes until poll() has returned, so one wakeup lands while it waits (whenever that is).
  std::atomic<bool> returned{false};
  std::thread waker([&] {
    while (!returned.load()) {
      sender.wakeup();
      std::this_thread::yield();
    }
  });
  const auto start = std::chrono::steady_clock::now();
  auto results = sender.poll(10'000);
  const auto waited = std::chrono::steady_clock::now() - start;
  returned = true;
  waker.join();
  EXPECT_TRUE(results.empty());
  EXPECT_LT(waited, 5s);
}

}  // namespace
}  // namespace axon::test
