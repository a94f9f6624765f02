// A dedicated connection that LISTENs on one channel and calls a callback on every
// notification. It reconnects after a server restart and then calls the callback once,
// since notifications sent while it was away are lost.
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
  PgListener(std::string conninfo, std::string channel, std::function<void()> on_notify);
  ~PgListener();
  PgListener(const PgListener&) = delete;
  PgListener& operator=(const PgListener&) = delete;

 private:
  void run();
  void notify();

  const std::string conninfo_;
  const std::string channel_;
  const std::function<void()> on_notify_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace axon::pg
