// bench_loadgen: sending events through the API (the load of every scenario), and the
// scenarios that measure it: ingest (events/s accepted) and e2e (ingest and delivery at once).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <thread>

#include "loadgen.hpp"
#include "loadgen_support.hpp"
#include "payload.hpp"

namespace bench {
namespace {

// Every "id" of a batch answer, in order (refused events have none).
std::vector<std::string> event_ids_of(const std::string& body) {
  std::vector<std::string> ids;
  for (std::size_t at = body.find("\"id\":\""); at != std::string::npos;
       at = body.find("\"id\":\"", at)) {
    at += 6;
    ids.push_back(body.substr(at, body.find('"', at) - at));
  }
  return ids;
}

}  // namespace

std::string event_body(std::uint64_t seq) {
  return "{\"type\":\"order.updated\",\"data\":" + event_data(seq) + "}";
}

std::string event_id_of(const std::string& body) {
  auto at = body.find("\"id\":\"");
  if (at == std::string::npos) return {};
  at += 6;
  return body.substr(at, body.find('"', at) - at);
}

IngestStats LoadGen::ingest(long total, std::int64_t deadline_ns, int clients,
                            std::vector<std::pair<std::string, std::int64_t>>* accepts) {
  std::atomic<long> next{0}, accepted{0}, errors{0};
  std::mutex mu;
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  std::int64_t start = wall_ns();
  for (int t = 0; t < clients; ++t) {
    threads.emplace_back([&] {
      HttpClient c(server_.port());
      std::vector<std::pair<std::string, std::int64_t>> mine;
      const long per_request = std::max(1L, args_.batch);
      std::string path = "/v1/tenants/" + tenant_ + (args_.batch > 0 ? "/events/batch" : "/events");
      while (!stop.load(std::memory_order_relaxed)) {
        long seq = next.fetch_add(per_request);
        if (total >= 0 && seq >= total) break;
        if (deadline_ns && wall_ns() >= deadline_ns) break;
        std::string body = request_body(seq, total >= 0 ? std::min(per_request, total - seq)
                                                        : per_request);
        auto r = c.request("POST", path, body, key_);
        for (int tries = 0; r.status == 429 && tries < 100; ++tries) {  // back off, resend
          std::this_thread::sleep_for(std::chrono::milliseconds(10));
          r = c.request("POST", path, body, key_);
        }
        if (r.status == 202 || r.status == 200) {
          const std::int64_t at = wall_ns();
          auto ids = args_.batch > 0 ? event_ids_of(r.body)
                                     : std::vector<std::string>{event_id_of(r.body)};
          accepted.fetch_add(static_cast<long>(ids.size()));
          if (accepts) {
            for (auto& id : ids) mine.emplace_back(std::move(id), at);
          }
        } else if (errors.fetch_add(1) < 5) {
          say("ingest: status " + std::to_string(r.status) + " " + r.body.substr(0, 200));
          if (r.status == 0) stop = true;
        }
      }
      if (accepts) {
        std::lock_guard lock(mu);
        accepts->insert(accepts->end(), mine.begin(), mine.end());
      }
    });
  }
  for (auto& t : threads) t.join();
  return {accepted.load(), errors.load(), seconds_between(start, wall_ns())};
}

std::string LoadGen::request_body(long seq, long count) const {
  if (args_.batch <= 0) return event_body(static_cast<std::uint64_t>(seq));
  std::string body = "{\"events\":[";
  for (long i = 0; i < count; ++i) {
    if (i) body += ',';
    body += event_body(static_cast<std::uint64_t>(seq + i));
  }
  return body + "]}";
}

int LoadGen::ingest_scenario() {
  if (!start_server({}) || !setup()) return 1;
  long total = 0;
  for (const auto& c : split_list(args_.clients)) {
    int clients = std::stoi(c);
    double cpu0 = server_.cpu_seconds(), db_cpu0 = db_cpu();
    auto deadline = wall_ns() + static_cast<std::int64_t>(args_.seconds * 1e9);
    IngestStats s = ingest(-1, deadline, clients);
    double cpu1 = server_.cpu_seconds(), db_cpu1 = db_cpu();
    total += s.accepted;
    std::printf(
        "RESULT scenario=ingest store=%s clients=%d batch=%ld fanout=%d events=%ld errors=%ld "
        "seconds=%.3f rate=%.0f cpu_s=%.2f db_cpu_s=%.2f db_cpu_us_per_event=%.1f\n",
        args_.store.c_str(), clients, args_.batch, args_.fanout, s.accepted, s.errors, s.seconds,
        static_cast<double>(s.accepted) / s.seconds, cpu1 - cpu0, db_cpu1 - db_cpu0,
        (db_cpu1 - db_cpu0) * 1e6 / static_cast<double>(std::max(s.accepted, 1L)));
    std::fflush(stdout);
    if (s.accepted == 0) return 1;
    // Let the deliveries of this phase finish so the next phase starts with an empty queue.
    const long fanned = args_.disabled_endpoints ? 0 : total * args_.fanout;
    if (!wait_for([&] { return receiver_.stats().total >= fanned; }, 300, 20)) {
      say("deliveries did not catch up within 300 s");
    }
  }
  return 0;
}

int LoadGen::end_to_end() {
  if (!start_server({}) || !setup()) return 1;
  double cpu0 = server_.cpu_seconds();
  const std::optional<double> busy0 = writer_busy_seconds();
  std::int64_t t0 = wall_ns();
  IngestStats ing = ingest(args_.events, 0, args_.ingest_clients);
  if (ing.accepted == 0) return 1;
  long expected = ing.accepted * args_.fanout;
  bool complete = wait_for([&] { return receiver_.stats().total >= expected; },
                           120 + static_cast<double>(expected) / 1000.0);
  double cpu1 = server_.cpu_seconds();
  std::int64_t last = t0;
  for (const auto& a : receiver_.take_arrivals()) last = std::max(last, a.ns);
  double secs = seconds_between(t0, last);
  // How much of the run SQLite's one writer was held (ingest, claims, outcomes): near 100 %,
  // the writer is what limits the run. -1 where the store does not report it (PostgreSQL).
  const std::optional<double> busy1 = writer_busy_seconds();
  const double busy_pct = busy0 && busy1 ? 100.0 * (*busy1 - *busy0) / secs : -1;
  std::printf(
      "RESULT scenario=e2e store=%s batch=%ld events=%ld deliveries=%ld complete=%d "
      "seconds=%.3f rate=%.0f ingest_s=%.3f ingest_rate=%.0f errors=%ld cpu_s=%.2f rss_mb=%.1f "
      "writer_busy_pct=%.0f\n",
      args_.store.c_str(), args_.batch, ing.accepted, expected, complete ? 1 : 0, secs,
      static_cast<double>(receiver_.stats().total) / secs, ing.seconds,
      static_cast<double>(ing.accepted) / ing.seconds, ing.errors, cpu1 - cpu0,
      static_cast<double>(server_.peak_rss_kb()) / 1024.0, busy_pct);
  std::fflush(stdout);
  return complete ? 0 : 1;
}

}  // namespace bench
