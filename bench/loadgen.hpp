// bench_loadgen's driver (usage in loadgen.cpp): it owns the server processes, the in-process
// receiver and the bench tenant; each scenario is a member defined in the file of its job:
//   loadgen.cpp          main, starting servers, the tenant and its endpoints, tenants, soak
//   loadgen_ingest.cpp   sending events (every scenario's load), ingest, e2e
//   loadgen_drain.cpp    drain (also noisy neighbours and scale-out)
//   loadgen_latency.cpp  latency
//   loadgen_outbox.cpp   outbox (producers calling axon.emit_event on PostgreSQL)
// Thread-safety: one LoadGen runs on the main thread; ingest() and latency() start and join
// their own sender threads.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "http_client.hpp"
#include "loadgen_args.hpp"
#include "receiver.hpp"
#include "server_process.hpp"
#include "wall_clock.hpp"

namespace bench {

inline constexpr int kEndpoints = kReceiverPorts;

// The request body of event number `seq` (type order.updated, the bench payload).
std::string event_body(std::uint64_t seq);
// The "id" of a single event's 202 answer ("" when there is none).
std::string event_id_of(const std::string& body);

struct IngestStats {
  long accepted = 0;
  long errors = 0;
  double seconds = 0;
};

class LoadGen {
 public:
  explicit LoadGen(Args args);

  // Runs the scenario of --scenario; the process exit code.
  int run();

 private:
  bool start_server(std::vector<std::string> extra);
  // Starts `count` more serve processes on the same database, sharing node 0's master key and
  // admin token: the scale-out drain. Returns false (and says why) if one does not start.
  bool start_extra_nodes(int count);
  double servers_cpu_seconds() const;
  // True when `axon-webhooks serve --help` lists `option` (older builds lack some).
  bool supports_option(const std::string& option) const;
  // A tenant, its API key and one endpoint per receiver port.
  bool setup();
  bool fail_setup(const std::string& what, const HttpResponse& r);

  // POSTs events with `clients` keep-alive connections until `total` are sent (total >= 0) or
  // until `deadline_ns`. With `accepts`, records (event id, time the 202 arrived).
  IngestStats ingest(long total, std::int64_t deadline_ns, int clients,
                     std::vector<std::pair<std::string, std::int64_t>>* accepts = nullptr);
  // One request's body: a single event, or a batch of `count` events from `seq` on.
  std::string request_body(long seq, long count) const;
  double db_cpu() const;
  // Seconds SQLite's one writer has been held so far, both classes together, from the
  // server's /metrics (axon_store_writer_busy_seconds_total); nullopt on PostgreSQL.
  std::optional<double> writer_busy_seconds() const;
  long delivered_to(int ports) const;
  bool pending_empty(HttpClient& c);

  // Scenarios 1, 4 and 6: fill the queue while the receiver holds every answer, then release
  // the receiver and time how fast the queue empties.
  int drain();
  // One tenant's hung endpoints against another tenant's latency (noisy_tenant.hpp).
  int tenants();
  // Scenario 2: events/s accepted by the API with fan-out to 10 endpoints.
  int ingest_scenario();
  // End to end: ingest through the API while the receiver answers at once; deliveries/s from
  // the first request to the last arrival (the queue never needs to fill first).
  int end_to_end();
  // Scenario 3: paced, open-loop sending; latency = receiver arrival − 202 arrival.
  int latency();
  // Scenario 7: a steady load for a long time with a short retention (bench/soak.hpp).
  int soak();
  // PostgreSQL outbox: `--clients` producers emit single events until `--seconds` are up.
  int outbox();

  Args args_;
  Receiver receiver_;
  ServerProcess server_;
  std::string workdir_;
  std::vector<std::unique_ptr<ServerProcess>> extra_nodes_;
  std::string admin_ = "axadm_bench_" + std::to_string(wall_ns());
  std::string tenant_, key_;
};

}  // namespace bench
