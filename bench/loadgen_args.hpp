// bench_loadgen's command line (see loadgen.cpp for the scenarios).
#pragma once

#include <iostream>
#include <optional>
#include <string>

namespace bench {

inline constexpr int kReceiverPorts = 10;  // one endpoint per port at most

struct Args {
  std::string axon;
  std::string db = "sqlite";
  std::string store = "sqlite";
  std::string scenario;
  std::string noisy;
  std::string clients = "1,32";
  std::string rates = "50,1000";
  std::string request_timeout = "60s";
  std::string endpoint_options;  // extra JSON members for each endpoint, e.g. "max_in_flight":16
  long events = 10'000;
  double seconds = 10;
  double warmup = 1;
  int ingest_clients = 32;
  int receiver_threads = 1;
  long db_pid = 0;  // PostgreSQL postmaster: its CPU is reported as db_cpu_s
  bool keep = false;
  long batch = 0;          // events per request (POST …/events/batch); 0 = single events
  int fanout = kReceiverPorts;  // endpoints created (each on its own receiver port)
  bool disabled_endpoints = false;  // created disabled: events fan out, nothing is sent
  double sample_every = 10;  // soak: seconds between samples
  std::string retention = "5m";  // soak: the server's --retention
  int nodes = 1;     // drain: serve processes on one (PostgreSQL) database
  int noisy_endpoints = 1000;  // tenants: the noisy tenant's hung endpoints
  bool tls = false;  // the receiver speaks HTTPS, endpoints are https (the HTTPS drain)
};

inline std::optional<Args> parse_loadgen_args(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    if (k == "--keep" || k == "--disabled-endpoints" || k == "--tls") {
      (k == "--keep" ? a.keep : k == "--tls" ? a.tls : a.disabled_endpoints) = true;
      continue;
    }
    if (i + 1 >= argc) {
      std::cerr << k << " needs a value\n";
      return std::nullopt;
    }
    std::string v = argv[++i];
    if (k == "--axon") a.axon = v;
    else if (k == "--db") a.db = v;
    else if (k == "--store") a.store = v;
    else if (k == "--scenario") a.scenario = v;
    else if (k == "--noisy") a.noisy = v;
    else if (k == "--clients") a.clients = v;
    else if (k == "--rates") a.rates = v;
    else if (k == "--request-timeout") a.request_timeout = v;
    else if (k == "--endpoint-options") a.endpoint_options = v;
    else if (k == "--events") a.events = std::stol(v);
    else if (k == "--seconds") a.seconds = std::stod(v);
    else if (k == "--warmup") a.warmup = std::stod(v);
    else if (k == "--ingest-clients") a.ingest_clients = std::stoi(v);
    else if (k == "--receiver-threads") a.receiver_threads = std::stoi(v);
    else if (k == "--db-pid") a.db_pid = std::stol(v);
    else if (k == "--batch") a.batch = std::stol(v);
    else if (k == "--fanout") a.fanout = std::stoi(v);
    else if (k == "--sample-every") a.sample_every = std::stod(v);
    else if (k == "--retention") a.retention = v;
    else if (k == "--nodes") a.nodes = std::stoi(v);
    else if (k == "--noisy-endpoints") a.noisy_endpoints = std::stoi(v);
    else {
      std::cerr << "unknown option " << k << "\n";
      return std::nullopt;
    }
  }
  if (a.axon.empty() || a.scenario.empty() || a.fanout < 0 || a.fanout > kReceiverPorts) {
    std::cerr << "usage: bench_loadgen --axon PATH --scenario drain|ingest|latency|e2e|soak|tenants "
                 "[options] (--fanout 0 to 10)\n";
    return std::nullopt;
  }
  return a;
}

}  // namespace bench
