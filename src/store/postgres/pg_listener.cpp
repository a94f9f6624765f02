#include "store/postgres/pg_listener.hpp"

#include <libpq-fe.h>
#include <poll.h>

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdlib>
#include <memory>

#include "store/postgres/pg_connection.hpp"

namespace axon::pg {
namespace {

constexpr int kPollMs = 100;  // also the stop latency
constexpr auto kReconnectDelay = std::chrono::milliseconds(250);

// True when `conn` talks to PostgreSQL itself rather than to a pooler or proxy in front of
// it: over TCP, the server's own port is the one we connected to (PgBouncer and Supavisor
// listen on ports of their own). A Unix socket has no port and is always direct.
bool reaches_server_directly(PgConnection& conn) {
  PgResult r = conn.exec("SELECT inet_server_port()");
  if (r.is_null(0, 0)) return true;
  const char* port = PQport(conn.raw());
  const long connected = (port && *port) ? std::strtol(port, nullptr, 10) : 5432;
  return r.i64(0, 0) == connected;
}

}  // namespace

PgListener::PgListener(std::string conninfo, std::string channel, std::function<void()> on_notify,
                       bool direct_only)
    : conninfo_(std::move(conninfo)),
      channel_(std::move(channel)),
      on_notify_(std::move(on_notify)),
      direct_only_(direct_only),
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
        if (direct_only_ && !reaches_server_directly(*conn)) {
          spdlog::info(
              "--db goes through a connection pooler or proxy: not using LISTEN there; new "
              "work is found by polling every second (give --notify-db a direct URL to be "
              "woken at once)");
          conn.reset();
          while (!stop_) ::poll(nullptr, 0, kPollMs);
          return;
        }
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
