// One connection of the ApiServer (api/server.hpp), and what all connections share. Internal:
// included only by server.cpp.
//
// A Session loops: wait for the first byte of a request (idle_timeout; a new connection gets
// header_timeout from accept for its whole head) -> read the head (header_timeout from its
// first byte) and the body (request_read_timeout, header and body limits) -> answer through
// api::handle_request -> write (from the group commit's completion for a single event,
// which frees the thread meanwhile) -> again while keep-alive. Errors the client caused
// (oversized body, malformed HTTP) are answered 4xx and the connection is closed gracefully:
// shut down our side, then read and discard what the client is still sending for a moment,
// so it sees the answer, not a reset.
//
// Thread-safety: a Session's handlers run on its io_context's single thread; the acceptor
// reads connection_state() from its own thread (atomics). ServerState's counters are atomic
// and its session list is guarded by sessions_mutex.
#pragma once

#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "api/auth.hpp"
#include "api/connection_slots.hpp"
#include "api/errors.hpp"
#include "api/rate_limiter.hpp"
#include "api/router.hpp"
#include "api/api_context.hpp"
#include "core/encoding.hpp"
#include "core/log.hpp"

namespace axon::server_detail {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using std::chrono::milliseconds;

// "/v1/tenants/{tid}/…" -> tid, for the request log; "" elsewhere.
inline std::string_view tenant_in_path(std::string_view path) {
  constexpr std::string_view kPrefix = "/v1/tenants/";
  if (!path.starts_with(kPrefix)) return {};
  path.remove_prefix(kPrefix.size());
  return path.substr(0, path.find('/'));
}

constexpr std::size_t kFirstReadBytes = 4096;
constexpr std::size_t kMaxDrainBytes = 1 << 20;  // read at most this much while closing
constexpr milliseconds kDrainTimeout{2000};      // … for at most this long

class Session;

// What the acceptor and every session share. Outlives all sessions (see Impl member order).
struct ServerState {
  ServerState(ApiContext ctx, ApiOptions opts)
      : context(std::move(ctx)), options(std::move(opts)), services{context, options} {}
  ApiContext context;
  ApiOptions options;
  api::Services services;
  std::atomic<int> connections{0};
  std::atomic<int> evicting{0};  // connections told to close, not yet gone
  std::mutex sessions_mutex;
  std::list<Session*> sessions;  // every live session (guarded by sessions_mutex)
  std::atomic<int> busy{0};  // requests read and not yet fully answered
  // Answer callbacks not destroyed yet (Session::AwaitedAnswer): a group commit may still hold
  // one, which posts to a session's io_context and owns a Session, so those must outlive it.
  std::atomic<int> awaiting_handler{0};
  std::atomic<bool> stopping{false};
  api::CredentialRateLimiter rate_limiter{options.rate_limit, options.rate_limit_burst};
};

inline bool is_http_parse_error(const beast::error_code& ec) {
  return ec.category() == http::make_error_code(http::error::bad_target).category();
}

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, ServerState& state) : stream_(std::move(socket)), state_(state) {
    ++state_.connections;
    std::lock_guard lock(state_.sessions_mutex);
    registered_ = state_.sessions.insert(state_.sessions.end(), this);
  }
  ~Session() {
    {
      std::lock_guard lock(state_.sessions_mutex);
      state_.sessions.erase(registered_);
    }
    if (evicting_) --state_.evicting;
    --state_.connections;
  }

  void start() {
    net::dispatch(stream_.get_executor(),
                  [self = shared_from_this()] { self->wait_for_request(); });
  }

  // Read from the acceptor's thread under sessions_mutex.
  api::ConnectionState connection_state() const {
    return {phase_.load(), std::chrono::steady_clock::time_point(
                               std::chrono::steady_clock::duration(phase_since_.load()))};
  }
  bool evicting() const { return evicting_; }

  // Closes this connection to free its slot, unless it began a request meanwhile.
  void evict() {
    evicting_ = true;
    ++state_.evicting;
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      if (api::evictable(self->connection_state())) return self->close();
      self->evicting_ = false;
      --self->state_.evicting;
    });
  }

  // Answers 503 without reading a request (too many connections), then closes.
  void reject() {
    phase_ = api::ConnectionPhase::in_request;  // its answer is on the way: not evictable
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      self->method_ = "-";
      self->path_ = "-";
      self->started_ = std::chrono::steady_clock::now();
      self->write(api::error_response(Error{Errc::unavailable, "too many connections"}),
                  /*keep_alive=*/false);
    });
  }

 private:
  // A new connection has header_timeout from accept for its whole head; a kept-alive one
  // waits up to idle_timeout for the next request to begin.
  void wait_for_request() {
    if (state_.stopping) return close();
    if (buffer_.size() > 0) {  // pipelined bytes already here
      begin_head(std::chrono::steady_clock::now());
      return read_header();
    }
    if (requests_ == 0) {
      begin_head(accepted_);
      stream_.expires_at(head_deadline_);
    } else {
      set_phase(api::ConnectionPhase::idle);
      stream_.expires_after(milliseconds(state_.options.idle_timeout));
    }
    stream_.async_read_some(buffer_.prepare(kFirstReadBytes),
                            [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                              if (ec) return self->close();
                              self->buffer_.commit(n);
                              if (self->phase_ == api::ConnectionPhase::idle) {
                                self->begin_head(std::chrono::steady_clock::now());
                              }
                              self->read_header();
                            });
  }

  void begin_head(std::chrono::steady_clock::time_point since) {
    set_phase(api::ConnectionPhase::awaiting_head, since);
    head_deadline_ = since + milliseconds(state_.options.header_timeout);
  }

  void set_phase(api::ConnectionPhase phase,
                 std::chrono::steady_clock::time_point since = std::chrono::steady_clock::now()) {
    phase_since_ = since.time_since_epoch().count();
    phase_ = phase;
  }

  void read_header() {
    started_ = std::chrono::steady_clock::now();
    method_ = "-";
    path_ = "-";
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(state_.options.max_header_bytes));
    // Until the head names the route, the largest limit of any route (see on_header).
    parser_->body_limit(api::largest_body_limit(state_.options.max_body_bytes));
    stream_.expires_at(head_deadline_);
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_header(ec); });
  }

  void on_header(beast::error_code ec) {
    if (ec) return on_read_error(ec);
    set_phase(api::ConnectionPhase::in_request);
    ++requests_;
    stream_.expires_after(milliseconds(state_.options.request_read_timeout));
    const auto& request = parser_->get();
    method_ = std::string(request.method_string());
    std::string_view target = request.target();
    path_ = std::string(target.substr(0, target.find('?')));
    // Refuse a declared oversized body before reading any of it.
    body_limit_ = api::body_limit_for(method_, target, state_.options.max_body_bytes);
    parser_->body_limit(body_limit_);
    auto length = parser_->content_length();
    if (length && *length > body_limit_) return reply_too_large();
    if (!parser_->is_done() && api::iequals(request[http::field::expect], "100-continue")) {
      continue_.emplace(http::status::continue_, 11);
      return http::async_write(stream_, *continue_,
                               [self = shared_from_this()](beast::error_code wec, std::size_t) {
                                 if (wec) return self->close();
                                 self->read_body();
                               });
    }
    read_body();
  }

  void read_body() {
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       if (ec) return self->on_read_error(ec);
                       self->handle();
                     });
  }

  void on_read_error(const beast::error_code& ec) {
    if (ec == http::error::body_limit) return reply_too_large();
    if (ec == http::error::header_limit) {
      return write(api::error_response(Error{Errc::invalid_request, "request header too large"}),
                   false);
    }
    if (is_http_parse_error(ec) && ec != http::error::end_of_stream &&
        ec != http::error::partial_message) {
      return write(api::error_response(
                       Error{Errc::invalid_request, "malformed HTTP request: " + ec.message()}),
                   false);
    }
    close();  // timeout, reset, EOF: nobody to answer
  }

  void reply_too_large() {
    write(api::error_response(Error{Errc::payload_too_large,
                                    "request body is larger than " +
                                        std::to_string(body_limit_) + " bytes"}),
          false);
  }

  void handle() {
    auto request = parser_->release();
    api::ApiRequest api_request;
    api_request.request_id = state_.context.ids.next("req_");
    request_id_ = api_request.request_id;  // the answer's X-Request-Id
    api_request.method = std::string(request.method_string());
    api_request.target = std::string(request.target());
    for (const auto& field : request) {
      api_request.headers.emplace_back(std::string(field.name_string()),
                                       std::string(field.value()));
    }
    api_request.body = std::move(request.body());
    ++state_.busy;
    counted_busy_ = true;
    if (auto retry_after = rate_limited(api_request)) {
      api::ErrorExtras extras;
      extras.retry_after_seconds = *retry_after;
      return write(api::error_response(
                       Error{Errc::rate_limited, "too many requests with this credential"}, extras),
                   request.keep_alive());
    }
    // A single event is answered from its group commit's completion, on the committing
    // thread: back onto this connection's strand to write (inline when already on it).
    auto awaited = std::make_shared<AwaitedAnswer>(shared_from_this());
    api::handle_request(state_.services, api_request,
                        [awaited, keep_alive = request.keep_alive()](api::ApiResponse answer) {
                          net::dispatch(awaited->session->stream_.get_executor(),
                                        [self = awaited->session, keep_alive,
                                         answer = std::move(answer)]() mutable {
                                          self->write(std::move(answer), keep_alive);
                                        });
                        });
  }

  // The session an answer is for, counted in awaiting_handler for as long as the store may
  // hold the answer's callback. The count drops only when the callback is destroyed, after
  // its reference to the session is gone: stop() frees the io_contexts and ServerState at 0,
  // so a store thread must not dispatch to them, nor destroy a Session, after that.
  struct AwaitedAnswer {
    explicit AwaitedAnswer(std::shared_ptr<Session> s) : session(std::move(s)) {
      ++session->state_.awaiting_handler;
    }
    AwaitedAnswer(const AwaitedAnswer&) = delete;
    AwaitedAnswer& operator=(const AwaitedAnswer&) = delete;
    ~AwaitedAnswer() {
      std::atomic<int>& count = session->state_.awaiting_handler;
      session.reset();  // may destroy the Session: ServerState is alive until the count is 0
      --count;
    }
    std::shared_ptr<Session> session;
  };

  // Per-credential request rate (keyed by the token's hash; the token is never stored). The
  // hash stays on the request for authentication.
  std::optional<int> rate_limited(api::ApiRequest& request) {
    if (!state_.rate_limiter.enabled()) return std::nullopt;
    auto token = api::bearer_token(request);
    if (!token) return std::nullopt;
    request.credential_hash = sha256_hex(*token);
    return state_.rate_limiter.admit(request.credential_hash, state_.context.clock.steady_ms());
  }

  void write(api::ApiResponse answer, bool keep_alive) {
    auto response = std::make_shared<http::response<http::string_body>>();
    response->version(11);
    response->result(static_cast<unsigned>(answer.status));
    if (!answer.content_type.empty()) response->set(http::field::content_type, answer.content_type);
    for (auto& [name, value] : answer.headers) response->set(name, value);
    // Answers written before a request was read (413, timeouts) get an id of their own.
    response->set("X-Request-Id",
                  request_id_.empty() ? state_.context.ids.next("req_") : request_id_);
    request_id_.clear();
    response->body() = std::move(answer.body);
    response->keep_alive(keep_alive && !state_.stopping);
    response->prepare_payload();
    response_ = response;
    stream_.expires_after(milliseconds(state_.options.request_read_timeout));
    http::async_write(
        stream_, *response,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_written(ec); });
  }

  void on_written(beast::error_code ec) {
    const auto elapsed =
        std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - started_);
    const auto request_id = (*response_)["X-Request-Id"];
    log_event(spdlog::level::info, "request handled",
              {{"request_id", std::string_view(request_id.data(), request_id.size())},
               {"method", method_},
               {"path", path_},
               {"tenant_id", tenant_in_path(path_)},
               {"status", static_cast<int>(response_->result_int())},
               {"duration_ms", static_cast<std::int64_t>(elapsed.count())}});
    const bool keep_alive = response_->keep_alive();
    response_.reset();
    if (counted_busy_) {
      counted_busy_ = false;
      --state_.busy;
    }
    if (ec) return close();
    if (!keep_alive) return close_gracefully();
    wait_for_request();
  }

  // Shut down our side, then discard what the client still sends so it reads our answer
  // instead of a connection reset; give up after a moment or a megabyte.
  void close_gracefully() {
    set_phase(api::ConnectionPhase::idle);  // answered: losing the drain costs nothing
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(kDrainTimeout);
    buffer_.consume(buffer_.size());
    drain();
  }

  void drain() {
    stream_.async_read_some(buffer_.prepare(kFirstReadBytes),
                            [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                              self->drained_ += n;
                              if (ec || self->drained_ > kMaxDrainBytes) return self->close();
                              self->drain();
                            });
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

  beast::tcp_stream stream_;
  ServerState& state_;
  std::list<Session*>::iterator registered_;  // in state_.sessions
  const std::chrono::steady_clock::time_point accepted_ = std::chrono::steady_clock::now();
  // Written on the strand, read by the acceptor when choosing a connection to close.
  std::atomic<api::ConnectionPhase> phase_{api::ConnectionPhase::awaiting_head};
  std::atomic<std::chrono::steady_clock::rep> phase_since_{accepted_.time_since_epoch().count()};
  std::atomic<bool> evicting_{false};
  std::chrono::steady_clock::time_point head_deadline_;
  int requests_ = 0;  // heads read on this connection
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::response<http::empty_body>> continue_;
  std::shared_ptr<http::response<http::string_body>> response_;
  bool counted_busy_ = false;
  std::size_t body_limit_ = state_.options.max_body_bytes;  // of the request being read
  std::size_t drained_ = 0;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::string method_ = "-";
  std::string path_ = "-";
  std::string request_id_;  // of the request being answered (also in the handlers' logs)
};


}  // namespace axon::server_detail
