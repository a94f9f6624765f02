// ApiServer: the HTTP API of docs/api.md on Boost.Beast, plus /healthz and /metrics.
//
// A fixed pool of I/O threads runs the acceptor and the connections (keep-alive, HTTP/1.1).
// Handlers call the Store directly (fast, bounded work); a single event is handed to the
// store's group commit and answered from its completion, so no I/O thread waits for a
// commit. Nothing here waits on a receiver — deliveries happen on the Dispatcher's thread,
// which `on_events_ingested` wakes.
//
// Thread-safety: start() and stop() from one controlling thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "api/api_context.hpp"
#include "core/result.hpp"

namespace axon {

class ApiServer {
 public:
  ApiServer(ApiContext context, ApiOptions options);
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // Binds and starts serving; returns the bound port.
  Result<std::uint16_t> start();
  // Stops accepting, closes connections, joins the threads.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace axon
