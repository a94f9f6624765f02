// ApiServer on Boost.Beast: one acceptor, one Session (api/session.hpp) per connection. Each
// of the `options.threads` threads runs an io_context of its own and a connection lives on
// one of them (round robin): its handlers never race, and threads do not hand work to each
// other (a shared io_context woke idle threads for nearly every completion, which cost more
// than the requests themselves once no thread waited for a commit). Out of connection slots,
// the acceptor closes an idle or head-less connection to make room (api/connection_slots.hpp).
#include "api/server.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio.hpp>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "api/connection_slots.hpp"
#include "api/session.hpp"

namespace axon {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using std::chrono::milliseconds;

namespace {

constexpr milliseconds kAcceptRetryDelay{50};    // after EMFILE and friends
constexpr std::chrono::seconds kStopGrace{5};    // for answers already being written
constexpr std::chrono::seconds kStoreAnswerGrace{60};  // for the store to answer held requests

// Polls `count` down to zero for at most `grace` (shutdown only); true when it got there.
bool wait_for_zero(const std::atomic<int>& count, std::chrono::seconds grace) {
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (count > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(5));
  }
  return count <= 0;
}

}  // namespace

using server_detail::ServerState;
using server_detail::Session;

struct ApiServer::Impl {
  Impl(ApiContext context, ApiOptions options) : state(std::move(context), std::move(options)) {}

  void accept() {
    net::io_context& home = *ios[next_io++ % ios.size()];
    acceptor->async_accept(home, [this](beast::error_code ec, tcp::socket socket) {
      if (ec) {
        if (ec == net::error::operation_aborted || !acceptor->is_open()) return;
        spdlog::warn("accept failed: {}", ec.message());
        retry_timer->expires_after(kAcceptRetryDelay);
        retry_timer->async_wait([this](beast::error_code wec) {
          if (!wec && acceptor->is_open()) accept();
        });
        return;
      }
      auto session = std::make_shared<Session>(std::move(socket), state);
      if (state.connections - state.evicting > state.options.max_connections) {
        auto victim = least_useful_connection(session.get());
        if (!victim) {
          session->reject();  // every slot is in the middle of a request
          return accept();
        }
        victim->evict();
      }
      session->start();
      accept();
    });
  }

  // The evictable connection to close first (api/connection_slots.hpp) other than the
  // newcomer, or null.
  std::shared_ptr<Session> least_useful_connection(const Session* newcomer) {
    std::lock_guard lock(state.sessions_mutex);
    std::shared_ptr<Session> chosen;
    api::ConnectionState chosen_state;
    for (Session* session : state.sessions) {
      if (session == newcomer || session->evicting()) continue;
      api::ConnectionState candidate = session->connection_state();
      if (!api::evictable(candidate)) continue;
      if (chosen && !api::evict_before(candidate, chosen_state)) continue;
      // A session whose last owner is gone is being destroyed: not a candidate.
      if (auto alive = session->weak_from_this().lock()) {
        chosen = std::move(alive);
        chosen_state = candidate;
      }
    }
    return chosen;
  }

  // Sessions reference `state`, and die with `io`: keep `state` declared first.
  ServerState state;
  // One per thread; the acceptor and its timer live on the first. Destroyed in order: a
  // pending accept on the first may hold a socket of a later one.
  std::vector<std::unique_ptr<net::io_context>> ios;
  std::size_t next_io = 0;  // on the acceptor's thread only
  std::unique_ptr<tcp::acceptor> acceptor;
  std::unique_ptr<net::steady_timer> retry_timer;
  std::vector<net::executor_work_guard<net::io_context::executor_type>> work;
  std::vector<std::thread> threads;
};

ApiServer::ApiServer(ApiContext context, ApiOptions options)
    : impl_(std::make_unique<Impl>(std::move(context), std::move(options))) {}

ApiServer::~ApiServer() { stop(); }

Result<std::uint16_t> ApiServer::start() {
  Impl& impl = *impl_;
  if (!impl.ios.empty()) return fail(Errc::internal, "ApiServer already started");
  const ApiOptions& options = impl.state.options;
  beast::error_code ec;
  std::string host = options.host == "localhost" ? "127.0.0.1" : options.host;
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  auto address = net::ip::make_address(host, ec);
  if (ec)
    return fail(Errc::invalid_request,
                "cannot listen on '" + options.host + "': not an IP address");

  for (int i = 0; i < std::max(1, options.threads); ++i) {
    impl.ios.push_back(std::make_unique<net::io_context>(1));  // one thread runs each
  }
  auto strand = impl.ios.front()->get_executor();
  impl.acceptor = std::make_unique<tcp::acceptor>(strand);
  impl.retry_timer = std::make_unique<net::steady_timer>(strand);
  tcp::endpoint endpoint(address, options.port);
  auto failed = [&](const char* what) {
    std::string message = std::string("cannot listen on ") + options.host + ":" +
                          std::to_string(options.port) + ": " + what + ": " + ec.message();
    impl.acceptor.reset();
    impl.retry_timer.reset();
    impl.ios.clear();
    return fail(Errc::unavailable, message);
  };
  impl.acceptor->open(endpoint.protocol(), ec);
  if (ec) return failed("open");
  impl.acceptor->set_option(net::socket_base::reuse_address(true), ec);
  if (ec) return failed("socket option");
  impl.acceptor->bind(endpoint, ec);
  if (ec) return failed("bind");
  impl.acceptor->listen(net::socket_base::max_listen_connections, ec);
  if (ec) return failed("listen");
  const std::uint16_t port = impl.acceptor->local_endpoint().port();

  for (auto& io : impl.ios) impl.work.push_back(net::make_work_guard(*io));
  net::dispatch(strand, [&impl] { impl.accept(); });
  for (auto& io : impl.ios) {
    impl.threads.emplace_back([context = io.get()] { context->run(); });
  }
  return port;
}

void ApiServer::stop() {
  Impl& impl = *impl_;
  if (impl.ios.empty()) return;
  impl.state.stopping = true;
  net::post(impl.acceptor->get_executor(), [&impl] {
    beast::error_code ignored;
    impl.acceptor->close(ignored);
    impl.retry_timer->cancel();
  });
  // Requests already being handled get to finish writing their answers (bounded).
  wait_for_zero(impl.state.busy, kStopGrace);
  impl.work.clear();
  for (auto& io : impl.ios) io->stop();
  for (auto& thread : impl.threads) thread.join();
  impl.threads.clear();
  // A handler's answer still held by the store (a group commit in progress) is posted to a
  // session's io_context when it comes: wait for it before destroying them. The store
  // answers every call (committed or failed), so this ends; the bound only guards a hang.
  if (!wait_for_zero(impl.state.awaiting_handler, kStoreAnswerGrace)) {
    // Destroying the io_contexts now would let a late answer use freed memory: keep them.
    spdlog::error("api: {} answers still held by the store at shutdown; not freeing the server",
                  impl.state.awaiting_handler.load());
    for (auto& io : impl.ios) static_cast<void>(io.release());
    impl.ios.clear();
    static_cast<void>(impl.acceptor.release());
    static_cast<void>(impl.retry_timer.release());
    return;
  }
  // Destroying the io_context destroys the pending handlers and with them the sessions.
  impl.retry_timer.reset();
  impl.acceptor.reset();
  for (auto& io : impl.ios) io.reset();
  impl.ios.clear();
}

}  // namespace axon
