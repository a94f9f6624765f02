// bench_receiver: the benchmark receiver as a standalone process (scenario 5 and manual runs).
//
//   bench_receiver [--ports N | --port-list P1,P2,…] [--threads 1|2] [--mode INDEX=ok|fail|hang]…
//                  [--out FILE] [--no-record]
//
// Prints "ports P1 P2 …" on stdout once listening. GET /stats, /pause, /resume on any port
// control it. On SIGTERM/SIGINT prints the stats JSON and, with --out, writes one line per
// request: "<arrival ns> <port index> <event id>".
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "receiver.hpp"

int main(int argc, char** argv) {
  std::vector<std::uint16_t> ports;
  int threads = 2;
  bool record = true;
  std::string out;
  std::vector<std::pair<std::size_t, bench::Mode>> modes;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << a << " needs a value\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--ports") {
      ports.assign(static_cast<std::size_t>(std::stoi(next())), 0);
    } else if (a == "--port-list") {
      std::string list = next();
      std::size_t pos = 0;
      while (pos <= list.size()) {
        std::size_t comma = list.find(',', pos);
        if (comma == std::string::npos) comma = list.size();
        ports.push_back(static_cast<std::uint16_t>(std::stoi(list.substr(pos, comma - pos))));
        pos = comma + 1;
      }
    } else if (a == "--threads") {
      threads = std::stoi(next());
    } else if (a == "--mode") {
      std::string v = next();
      std::size_t eq = v.find('=');
      bench::Mode m;
      if (eq == std::string::npos || !bench::parse_mode(v.substr(eq + 1), m)) {
        std::cerr << "--mode INDEX=ok|fail|hang\n";
        return 2;
      }
      modes.emplace_back(std::stoul(v.substr(0, eq)), m);
    } else if (a == "--out") {
      out = next();
    } else if (a == "--no-record") {
      record = false;
    } else {
      std::cerr << "unknown option " << a << "\n";
      return 2;
    }
  }
  if (ports.empty()) ports.assign(1, 0);

  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);  // workers inherit the mask

  bench::Receiver receiver(ports, threads, record);
  std::string error;
  if (!receiver.start(&error)) {
    std::cerr << "bench_receiver: " << error << "\n";
    return 1;
  }
  for (auto [index, mode] : modes) {
    if (index < ports.size()) receiver.set_mode(index, mode);
  }
  std::cout << "ports";
  for (auto p : receiver.ports()) std::cout << ' ' << p;
  std::cout << std::endl;

  int sig = 0;
  sigwait(&stop_signals, &sig);
  std::string stats = receiver.stats_json();
  receiver.stop();
  std::cout << stats << std::endl;
  if (!out.empty()) {
    FILE* f = std::fopen(out.c_str(), "w");
    if (!f) {
      std::perror(out.c_str());
      return 1;
    }
    for (const auto& a : receiver.take_arrivals()) {
      std::fprintf(f, "%lld %u %s\n", static_cast<long long>(a.ns), a.port_index,
                   a.event_id.data());
    }
    std::fclose(f);
  }
  return 0;
}
