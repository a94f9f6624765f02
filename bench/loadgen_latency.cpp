// bench_loadgen --scenario latency: paced, open-loop sending at each --rates; the latency of a
// delivery is its arrival at the receiver minus the arrival of the API's 202. With --fanout 0
// nothing is delivered and only the API's 202 round trip is measured. With --db-pid, also the
// database's CPU over the run (ingest and delivery), per 10,000 deliveries.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "loadgen.hpp"
#include "loadgen_support.hpp"

namespace bench {

int LoadGen::latency() {
  if (!start_server({}) || !setup()) return 1;
  for (const auto& r : split_list(args_.rates)) {
    double rate = std::stod(r);
    receiver_.reset();
    int threads = std::clamp(static_cast<int>(rate / 100), 1, 16);
    std::vector<std::pair<std::string, std::int64_t>> accepts;
    std::vector<std::int64_t> api_times;
    std::mutex mu;
    std::atomic<long> errors{0};
    long per_thread = static_cast<long>(rate * args_.seconds) / threads;
    auto start = std::chrono::steady_clock::now() + std::chrono::milliseconds(100);
    std::int64_t start_ns = wall_ns() + 100'000'000;
    const double db_cpu0 = db_cpu();
    std::vector<std::thread> pool;
    for (int k = 0; k < threads; ++k) {
      pool.emplace_back([&, k] {
        HttpClient c(server_.port());
        c.request("GET", "/healthz", "", "");  // open the connection before the clock starts
        std::vector<std::pair<std::string, std::int64_t>> mine;
        std::vector<std::int64_t> api_mine;  // request -> 202, ns
        std::string path = "/v1/tenants/" + tenant_ + "/events";
        for (long j = 0; j < per_thread; ++j) {
          double at = static_cast<double>(j * threads + k) / rate;
          std::this_thread::sleep_until(start + std::chrono::duration_cast<std::chrono::nanoseconds>(
                                                    std::chrono::duration<double>(at)));
          std::int64_t sent_at = wall_ns();
          auto resp = c.request("POST", path,
                                event_body(static_cast<std::uint64_t>(j * threads + k)), key_);
          std::int64_t answered_at = wall_ns();
          if (resp.status == 202) {
            mine.emplace_back(event_id_of(resp.body), answered_at);
            api_mine.push_back(answered_at - sent_at);
          } else {
            errors.fetch_add(1);
          }
        }
        std::lock_guard lock(mu);
        accepts.insert(accepts.end(), mine.begin(), mine.end());
        api_times.insert(api_times.end(), api_mine.begin(), api_mine.end());
      });
    }
    for (auto& t : pool) t.join();
    double sent_s = seconds_between(start_ns, wall_ns());
    long expected = static_cast<long>(accepts.size()) * args_.fanout;
    bool complete = wait_for([&] { return receiver_.stats().total >= expected; }, 60, 10);
    const double db_cpu_s = db_cpu() - db_cpu0;

    std::unordered_map<std::string, std::int64_t> accepted_at;
    accepted_at.reserve(accepts.size());
    for (auto& [id, ns] : accepts) accepted_at.emplace(id, ns);
    std::int64_t measure_from = start_ns + static_cast<std::int64_t>(args_.warmup * 1e9);
    std::vector<std::int64_t> lat;
    for (const auto& a : receiver_.take_arrivals()) {
      auto it = accepted_at.find(a.event_id.data());
      if (it == accepted_at.end() || it->second < measure_from) continue;
      lat.push_back(a.ns - it->second);
    }
    std::sort(lat.begin(), lat.end());
    std::sort(api_times.begin(), api_times.end());
    auto pct = [&](double q) { return percentile_ms(lat, q); };
    std::printf(
        "RESULT scenario=latency store=%s events_per_s=%.0f deliveries_per_s=%.0f "
        "achieved_events_per_s=%.0f samples=%zu complete=%d errors=%ld p50_ms=%.2f "
        "p99_ms=%.2f p999_ms=%.2f max_ms=%.2f api_p50_ms=%.2f api_p99_ms=%.2f db_cpu_s=%.2f "
        "db_cpu_s_per_10k=%.2f\n",
        args_.store.c_str(), rate, rate * args_.fanout,
        static_cast<double>(accepts.size()) / sent_s, lat.size(), complete ? 1 : 0,
        errors.load(), pct(0.5), pct(0.99), pct(0.999), lat.empty() ? 0.0 : static_cast<double>(lat.back()) / 1e6,
        percentile_ms(api_times, 0.5), percentile_ms(api_times, 0.99), db_cpu_s,
        expected > 0 ? db_cpu_s * 10'000 / static_cast<double>(expected) : 0.0);
    std::fflush(stdout);
    if (lat.empty() && args_.fanout > 0) return 1;
  }
  return 0;
}

}  // namespace bench
