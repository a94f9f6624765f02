#include "store/postgres/pg_listener.hpp"

#include <libpq-fe.h>
#include <poll.h>

#include <chrono>
#include <memory>

#include "store/postgres/pg_connection.hpp"

namespace axon::pg {
namespace {

constexpr int kPollMs = 100;  // also the stop latency
constexpr auto kReconnectDelay = std::chrono::milliseconds(250);

}  // namespace

PgListener::PgListener(std::string conninfo, std::string channel, std::function<void()> on_notify)
    : conninfo_(std::move(conninfo)),
      channel_(std::move(channel)),
      on_notify_(std::move(on_notify)),
      thread_([this] { run(); }) {}

PgListener::~PgListener() {
  stop_ = true;
  thread_.join();
}

void PgListener::notify() {
  try {
    on_notify_();
  } catch (...) {
    // The callback's failure is its own; keep listening.
  }
}

void PgListener::run() {
  std::unique_ptr<PgConnection> conn;
  auto next_connect = std::chrono::steady_clock::now();
  while (!stop_) {
    if (!conn || !conn->healthy()) {
      conn.reset();
      if (std::chrono::steady_clock::now() < next_connect) {
        ::poll(nullptr, 0, kPollMs);
        continue;
      }
      try {
        conn = std::make_unique<PgConnection>(conninfo_);
        conn->exec_script("LISTEN " + channel_);
      } catch (const PgError&) {
        conn.reset();
        next_connect = std::chrono::steady_clock::now() + kReconnectDelay;
        continue;
      }
      notify();  // anything sent while we were not listening is lost: look once
    }
    pollfd pfd{PQsocket(conn->raw()), POLLIN, 0};
    if (::poll(&pfd, 1, kPollMs) <= 0) continue;
    if (PQconsumeInput(conn->raw()) == 0) {
      conn.reset();  // the server went away; reconnect on the next turn
      continue;
    }
    bool woke = false;
    while (PGnotify* n = PQnotifies(conn->raw())) {
      woke = true;
      PQfreemem(n);
    }
    if (woke) notify();
  }
}

}  // namespace axon::pg
