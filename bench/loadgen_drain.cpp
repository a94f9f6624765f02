// bench_loadgen --scenario drain: fill the queue while the receiver holds every answer, then
// release it and time how fast the queue empties (with --noisy, one endpoint hangs or fails;
// with --nodes, several servers drain one PostgreSQL database).
#include <algorithm>
#include <cstdio>

#include "loadgen.hpp"
#include "loadgen_support.hpp"

namespace bench {

int LoadGen::drain() {
  int counted = kEndpoints;
  std::string label = args_.tls ? "drain_https" : "drain";
  if (!args_.noisy.empty()) {
    Mode mode;
    if (!parse_mode(args_.noisy, mode) || mode == Mode::ok) {
      say("--noisy hang|fail");
      return 2;
    }
    receiver_.set_mode(kEndpoints - 1, mode);
    counted = kEndpoints - 1;
    label = "noisy_" + args_.noisy;
  }
  receiver_.pause();
  if (!start_server({}) || !setup()) return 1;
  say(label + ": ingesting " + std::to_string(args_.events) + " events");
  IngestStats ing = ingest(args_.events, 0, args_.ingest_clients);
  if (ing.accepted == 0) return 1;
  long expected = ing.accepted * counted;
  if (args_.nodes > 1) {
    if (args_.db == "sqlite") {
      say("--nodes needs a shared database (--db postgres://…)");
      return 2;
    }
    if (!start_extra_nodes(args_.nodes - 1)) return 1;
    label += "_nodes" + std::to_string(args_.nodes);
  }
  long held = delivered_to(counted);
  say("ingested " + std::to_string(ing.accepted) + " in " + std::to_string(ing.seconds) +
       " s; " + std::to_string(held) + " attempts held by the paused receiver; draining");

  double cpu0 = servers_cpu_seconds(), db_cpu0 = db_cpu();
  std::int64_t t0 = wall_ns();
  receiver_.resume();
  // A starved noisy-neighbour run is a result, not a reason to wait for minutes.
  double timeout = args_.noisy.empty() ? 120 + static_cast<double>(expected) / 1000.0
                                       : 60 + static_cast<double>(expected) / 2000.0;
  bool complete = wait_for([&] { return delivered_to(counted) >= expected; }, timeout);
  std::int64_t t_received = wall_ns();
  double settle_s = 0;
  if (args_.noisy.empty()) {
    HttpClient c(server_.port());
    wait_for([&] { return pending_empty(c); }, 120, 50);
    settle_s = seconds_between(t0, wall_ns());
  }
  double cpu1 = servers_cpu_seconds(), db_cpu1 = db_cpu();
  const ReceiverStats tls = receiver_.stats();  // handshakes over the whole run
  long rss_kb = server_.peak_rss_kb();

  std::vector<std::int64_t> times;
  long before_t0 = 0;
  for (const auto& a : receiver_.take_arrivals()) {
    if (static_cast<int>(a.port_index) >= counted) continue;
    if (a.ns >= t0) times.push_back(a.ns);
    else ++before_t0;
  }
  std::sort(times.begin(), times.end());
  if (times.size() < 10) {
    say("too few deliveries arrived");
    return 1;
  }
  std::size_t n = times.size();
  double secs = seconds_between(t0, times.back());
  std::size_t i10 = n / 10, i90 = n * 9 / 10;
  double mid = static_cast<double>(i90 - i10) / seconds_between(times[i10], times[i90]);
  long extra = static_cast<long>(n) + before_t0 - expected;
  std::printf(
      "RESULT scenario=%s store=%s events=%ld deliveries=%ld complete=%d seconds=%.3f "
      "rate=%.0f rate_mid80=%.0f held_at_start=%ld duplicates=%ld cpu_s=%.2f db_cpu_s=%.2f "
      "cpu_us_per_delivery=%.1f rss_mb=%.1f ingest_rate=%.0f settle_s=%.3f wait_s=%.3f "
      "tls_handshakes=%ld tls_resumed=%ld handshakes_per_delivery=%.4f\n",
      label.c_str(), args_.store.c_str(), ing.accepted, expected, complete ? 1 : 0, secs,
      static_cast<double>(n) / secs, mid, before_t0, extra > 0 ? extra : 0, cpu1 - cpu0, db_cpu1 - db_cpu0,
      (cpu1 - cpu0) * 1e6 / static_cast<double>(n), static_cast<double>(rss_kb) / 1024.0,
      static_cast<double>(ing.accepted) / ing.seconds, settle_s, seconds_between(t0, t_received),
      static_cast<long>(tls.tls_handshakes), static_cast<long>(tls.tls_resumed),
      static_cast<double>(tls.tls_handshakes) / static_cast<double>(n + before_t0));
  std::fflush(stdout);
  return complete ? 0 : 1;
}

}  // namespace bench
