// A dedicated connection that LISTENs on one channel and calls a callback on every
// notification. It reconnects after a server restart and then calls the callback once,
// since notifications sent while it was away are lost.
// With `direct_only`, it LISTENs only on a connection that reaches PostgreSQL itself (the
// server's port is the one connected to): through a transaction-mode pooler a LISTEN would
// stay on a pooled server session and hand notifications to other clients, so there it does
// not listen at all and the dispatcher's one-second poll finds new work.
// Thread-safety: owns one thread; the callback runs on it. The destructor stops and joins
// it within about one poll interval.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <thread>

namespace axon::pg {

class PgListener {
 public:
  PgListener(std::string conninfo, std::string channel, std::function<void()> on_notify,
             bool direct_only = false);
  ~PgListener();
  PgListener(const PgListener&) = delete;
  PgListener& operator=(const PgListener&) = delete;

 private:
  void run();
  void notify();

  const std::string conninfo_;
  const std::string channel_;
  const std::function<void()> on_notify_;
  const bool direct_only_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace axon::pg
