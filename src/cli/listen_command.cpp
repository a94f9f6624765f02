// `axon-webhooks listen`: a local receiver for development and tests. It verifies every
// delivery with include/axon/verify.hpp, prints it, and answers 2xx when the signature is
// valid (400 for missing/malformed signature headers, 401 for a wrong or stale signature).
// Trouble on demand: --status, --fail-first N, --delay D, --fail-rate P; --forward URL passes
// verified deliveries on to a local app and answers with the app's status.
//
// One thread per connection (Boost.Beast, synchronous); the acceptor and SIGINT/SIGTERM run
// on one io_context in the calling thread. On a signal it stops accepting, shuts the open
// connections down, waits briefly for their threads and returns (exit status 0).
#include <curl/curl.h>
#include <sys/socket.h>

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <iostream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include "axon/verify.hpp"
#include "cli/commands.hpp"
#include "core/duration.hpp"

namespace axon::cli {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

struct ListenOptions {
  std::string host = "127.0.0.1";
  int port = 8000;
  std::string secret;
  int status = 0;  // 0: 200
  int fail_first = 0;
  std::string delay = "0ms";
  double fail_rate = 0.0;
  std::string forward;
  std::string tolerance = "5m";
  bool json = false;
};

[[noreturn]] void usage_error(const std::string& message) {
  std::cerr << "axon-webhooks listen: " << message << std::endl;
  throw CLI::RuntimeError(2);
}

std::int64_t duration_ms(const std::string& text, const char* flag) {
  if (text == "0") return 0;
  auto ms = parse_duration(text);
  if (!ms) usage_error(std::string(flag) + ": " + ms.error().message);
  return *ms;
}

std::string header_or(const Request& req, std::string_view name, std::string_view fallback) {
  auto it = req.find(name);
  return it == req.end() ? std::string(fallback) : std::string(it->value());
}

// What the app behind --forward answered.
struct ForwardOutcome {
  int status = 0;  // 0: not reached
  std::string body;
  std::string error;
};

// The answer to one request and the notes printed with it.
struct Answer {
  int status = 200;
  std::string note;  // e.g. "simulated failure (--fail-first)"
  std::string body;
};

// Shared by every connection thread; all members are thread-safe as noted.
class Listener {
 public:
  explicit Listener(ListenOptions options)
      : options_(std::move(options)),
        delay_ms_(duration_ms(options_.delay, "--delay")),
        tolerance_(0),
        rng_(std::random_device{}()) {
    if (options_.tolerance != "0") {
      tolerance_ = std::chrono::seconds(duration_ms(options_.tolerance, "--tolerance") / 1000);
    }
  }

  int run() {
    beast::error_code ec;
    auto address =
        asio::ip::make_address(options_.host == "localhost" ? "127.0.0.1" : options_.host, ec);
    if (ec) usage_error("--host must be an IP address, got " + options_.host);
    asio::io_context ioc;
    tcp::acceptor acceptor(ioc);
    const tcp::endpoint endpoint(address, static_cast<unsigned short>(options_.port));
    acceptor.open(endpoint.protocol(), ec);
    if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor.bind(endpoint, ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      std::cerr << "axon-webhooks listen: cannot listen on " << options_.host << ":"
                << options_.port << ": " << ec.message() << std::endl;
      return 1;
    }
    asio::signal_set signals(ioc, SIGINT, SIGTERM);
    signals.async_wait([&](const beast::error_code&, int) {
      acceptor.close();
      ioc.stop();
    });
    {
      const auto bound = acceptor.local_endpoint();
      const std::string host =
          address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
      std::lock_guard lock(out_mutex_);
      std::cout << "listening on http://" << host << ":" << bound.port() << std::endl;
    }
    accept(acceptor);
    ioc.run();
    stop_connections();
    return 0;
  }

 private:
  void accept(tcp::acceptor& acceptor) {
    acceptor.async_accept([this, &acceptor](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
      if (!ec) {
        std::lock_guard lock(conn_mutex_);
        open_fds_.insert(socket.native_handle());
        ++active_;
        std::thread([this, s = std::move(socket)]() mutable { serve(std::move(s)); }).detach();
      }
      accept(acceptor);
    });
  }

  // Unblocks every connection thread (reads, --delay waits, forwards) and waits for them.
  void stop_connections() {
    std::unique_lock lock(conn_mutex_);
    stopping_ = true;
    for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
    conn_cv_.notify_all();
    conn_cv_.wait_for(lock, std::chrono::seconds(5), [&] { return active_ == 0; });
  }

  void serve(tcp::socket socket) {
    const int fd = socket.native_handle();
    beast::flat_buffer buffer;
    beast::error_code ec;
    while (!is_stopping()) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(16 * 1024 * 1024);
      http::read(socket, buffer, parser, ec);
      if (ec) break;
      Request req = parser.release();
      Response res = handle(req);
      res.keep_alive(req.keep_alive() && !is_stopping());
      res.prepare_payload();
      http::write(socket, res, ec);
      if (ec || !res.keep_alive()) break;
    }
    socket.shutdown(tcp::socket::shutdown_both, ec);
    std::lock_guard lock(conn_mutex_);
    open_fds_.erase(fd);  // before the socket closes, so a reused fd is never shut down
    socket.close(ec);
    --active_;
    conn_cv_.notify_all();
  }

  bool is_stopping() {
    std::lock_guard lock(conn_mutex_);
    return stopping_;
  }

  // Sleeps for --delay, cut short by shutdown.
  void wait_delay() {
    if (delay_ms_ <= 0) return;
    std::unique_lock lock(conn_mutex_);
    conn_cv_.wait_for(lock, std::chrono::milliseconds(delay_ms_), [&] { return stopping_; });
  }

  bool roll_failure() {
    if (options_.fail_rate <= 0) return false;
    std::lock_guard lock(rng_mutex_);
    return std::uniform_real_distribution<double>(0.0, 1.0)(rng_) < options_.fail_rate;
  }

  Response handle(const Request& req) {
    verify::Headers headers;
    for (const auto& field : req) headers.add(field.name_string(), field.value());
    const verify::Result verdict = verify::verify(options_.secret, headers, req.body(), tolerance_);
    wait_delay();

    Answer answer;
    std::optional<ForwardOutcome> forwarded;
    if (req.method() != http::verb::post) {
      answer = {405, "only POST is a delivery", R"({"error":"method_not_allowed"})"};
    } else if (!verdict) {
      const bool unreadable = verdict.reason == verify::Reason::missing_header ||
                              verdict.reason == verify::Reason::malformed_header;
      nlohmann::json error = {{"error", verify::to_string(verdict.reason)},
                              {"message", verdict.message}};
      answer = {unreadable ? 400 : 401, "", error.dump()};
    } else if (valid_count_.fetch_add(1) < options_.fail_first) {
      answer = {500, "simulated failure (--fail-first)", R"({"error":"simulated failure"})"};
    } else if (roll_failure()) {
      answer = {500, "simulated failure (--fail-rate)", R"({"error":"simulated failure"})"};
    } else if (!options_.forward.empty()) {
      forwarded = forward(req);
      if (forwarded->status == 0) {
        answer = {502, "forward failed: " + forwarded->error, R"({"error":"forward failed"})"};
      } else {
        answer = {forwarded->status, "forwarded to " + options_.forward, forwarded->body};
      }
      if (options_.status) answer.status = options_.status;
    } else {
      answer = {options_.status ? options_.status : 200, "", R"({"ok":true})"};
    }
    print(req, verdict, answer);

    Response res{static_cast<http::status>(answer.status), req.version()};
    res.set(http::field::server, "axon-webhooks-listen");
    res.set(http::field::content_type, "application/json");
    res.body() = answer.body;
    return res;
  }

  static std::size_t collect(char* data, std::size_t size, std::size_t n, void* out) {
    auto* body = static_cast<std::string*>(out);
    const std::size_t bytes = size * n;
    if (body->size() < 64 * 1024) body->append(data, std::min(bytes, 64 * 1024 - body->size()));
    return bytes;
  }

  static int abort_on_stop(void* self, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    return static_cast<Listener*>(self)->is_stopping() ? 1 : 0;
  }

  // The same method, headers (less hop-by-hop ones) and body, to --forward.
  ForwardOutcome forward(const Request& req) {
    ForwardOutcome out;
    CURL* curl = curl_easy_init();
    if (!curl) return {0, "", "curl_easy_init failed"};
    curl_slist* list = nullptr;
    for (const auto& field : req) {
      switch (field.name()) {
        case http::field::host:
        case http::field::content_length:
        case http::field::connection:
        case http::field::transfer_encoding:
        case http::field::keep_alive:
        case http::field::expect:
        case http::field::te:
        case http::field::upgrade:
          continue;
        default:
          break;
      }
      std::string line(field.name_string());
      line += ": ";
      line += field.value();
      list = curl_slist_append(list, line.c_str());
    }
    list = curl_slist_append(list, "Expect:");
    const std::string method(req.method_string());
    curl_easy_setopt(curl, CURLOPT_URL, options_.forward.c_str());
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, req.body().data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body().size()));
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 30'000L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &Listener::collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &out.body);
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, &Listener::abort_on_stop);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, this);
    const CURLcode rc = curl_easy_perform(curl);
    if (rc == CURLE_OK) {
      long status = 0;
      curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
      out.status = static_cast<int>(status);
    } else {
      out.error = curl_easy_strerror(rc);
    }
    curl_slist_free_all(list);
    curl_easy_cleanup(curl);
    return out;
  }

  void print(const Request& req, const verify::Result& verdict, const Answer& answer) {
    const std::string body = req.body();
    const auto parsed = nlohmann::ordered_json::parse(body, nullptr, /*allow_exceptions=*/false);
    std::string type = header_or(req, "X-Axon-Event", "");
    if (type.empty() && parsed.is_object() && parsed.contains("type") && parsed["type"].is_string())
      type = parsed["type"].get<std::string>();
    const std::string event_id = header_or(req, "X-Axon-Event-Id", verdict.event_id);
    const std::string delivery_id = header_or(req, "X-Axon-Delivery-Id", "");
    const std::string attempt = header_or(req, "X-Axon-Attempt", "");
    std::ostringstream out;
    if (options_.json) {
      nlohmann::json line = {{"method", std::string(req.method_string())},
                             {"path", std::string(req.target())},
                             {"type", type},
                             {"event_id", event_id},
                             {"delivery_id", delivery_id},
                             {"attempt", attempt},
                             {"valid", verdict.ok},
                             {"scheme", verdict.ok ? verify::to_string(verdict.scheme) : ""},
                             {"reason", verify::to_string(verdict.reason)},
                             {"message", verdict.message},
                             {"timestamp", verdict.timestamp},
                             {"status", answer.status},
                             {"note", answer.note},
                             {"body", body}};
      out << line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
    } else {
      auto row = [&](std::string_view label, const std::string& value) {
        if (!value.empty()) out << "  " << label << value << '\n';
      };
      out << req.method_string() << ' ' << req.target() << (type.empty() ? "" : "  " + type)
          << '\n';
      row("event id:    ", event_id);
      row("delivery id: ", delivery_id);
      row("attempt:     ", attempt);
      out << "  signature:   "
          << (verdict.ok ? "valid (" + std::string(verify::to_string(verdict.scheme)) +
                               ", t=" + std::to_string(verdict.timestamp) + ")"
                         : "INVALID " + std::string(verify::to_string(verdict.reason)) + ": " +
                               verdict.message)
          << '\n';
      out << "  answer:      " << answer.status
          << (answer.note.empty() ? "" : " (" + answer.note + ")") << '\n';
      out << "  body:\n";
      std::string pretty =
          parsed.is_discarded()
              ? body
              : parsed.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
      std::istringstream lines(pretty);
      for (std::string line; std::getline(lines, line);) out << "    " << line << '\n';
      out << '\n';
    }
    std::lock_guard lock(out_mutex_);
    std::cout << out.str() << std::flush;
  }

  const ListenOptions options_;
  const std::int64_t delay_ms_;
  std::chrono::seconds tolerance_;
  std::atomic<int> valid_count_{0};

  std::mutex out_mutex_;  // one delivery's lines stay together

  std::mutex rng_mutex_;
  std::mt19937_64 rng_;

  std::mutex conn_mutex_;  // guards the members below
  std::condition_variable conn_cv_;
  std::set<int> open_fds_;
  int active_ = 0;
  bool stopping_ = false;
};

}  // namespace

void register_listen_command(CLI::App& app) {
  auto options = std::make_shared<ListenOptions>();
  auto* cmd = app.add_subcommand(
      "listen",
      "Run a local receiver: verify and print every delivery, answer 2xx when valid and "
      "4xx when not, and simulate trouble on demand");
  cmd->add_option("--port", options->port, "port to listen on; 0 picks a free one")
      ->capture_default_str()
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--host", options->host, "address to listen on")->capture_default_str();
  cmd->add_option("--secret", options->secret, "the endpoint secret (whsec_…)")
      ->required()
      ->envname("AXON_WEBHOOK_SECRET");
  cmd->add_option("--status", options->status,
                  "answer valid deliveries with this status instead of 200")
      ->check(CLI::Range(100, 599));
  cmd->add_option("--fail-first", options->fail_first,
                  "answer 500 to the first N valid deliveries (to watch the retries)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--delay", options->delay, "wait this long before answering, e.g. 2s")
      ->capture_default_str();
  cmd->add_option("--fail-rate", options->fail_rate,
                  "answer 500 to valid deliveries with this probability (0..1)")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--forward", options->forward,
                  "pass verified deliveries (same headers and body) to this URL and answer "
                  "with its status (502 when it cannot be reached)");
  cmd->add_option("--tolerance", options->tolerance,
                  "how far the signed timestamp may be from now; 0 turns the check off")
      ->capture_default_str();
  cmd->add_flag("--json", options->json, "print one JSON object per request instead of text");
  cmd->callback([options] {
    if (options->secret.empty()) usage_error("--secret must not be empty");
    curl_global_init(CURL_GLOBAL_DEFAULT);
    Listener listener(*options);
    const int status = listener.run();
    if (status != 0) throw CLI::RuntimeError(status);
  });
}

}  // namespace axon::cli
