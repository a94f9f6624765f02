#include "soak.hpp"

#include <dirent.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <thread>
#include <vector>

#include "http_client.hpp"

namespace bench {
namespace {

struct Sample {
  double t_s = 0;
  long long store_bytes = -1;
  long rss_kb = -1;
  long fds = -1;
  long long delivered = 0;
};

long rss_kb(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return -1;
}

long open_fds(pid_t pid) {
  DIR* dir = opendir(("/proc/" + std::to_string(pid) + "/fd").c_str());
  if (!dir) return -1;
  long n = 0;
  while (dirent* e = readdir(dir)) {
    if (e->d_name[0] != '.') ++n;
  }
  closedir(dir);
  return n;
}

long long store_bytes(HttpClient& client) {
  const auto bytes = scrape_metric(client, "axon_store_size_bytes");
  return bytes ? std::llround(*bytes) : -1;
}

}  // namespace

int run_soak(const SoakPlan& plan, Receiver& receiver) {
  using Clock = std::chrono::steady_clock;
  const int threads = std::clamp(static_cast<int>(plan.events_per_s / 100), 1, 16);
  const auto start = Clock::now() + std::chrono::milliseconds(100);
  const auto end = start + std::chrono::duration_cast<Clock::duration>(
                               std::chrono::duration<double>(plan.seconds));
  std::atomic<long> accepted{0}, errors{0};
  std::vector<std::thread> senders;
  for (int k = 0; k < threads; ++k) {
    senders.emplace_back([&, k] {
      HttpClient client(plan.port);
      for (long j = 0;; ++j) {
        const double at = static_cast<double>(j * threads + k) / plan.events_per_s;
        const auto when = start + std::chrono::duration_cast<Clock::duration>(
                                      std::chrono::duration<double>(at));
        if (when >= end) break;
        std::this_thread::sleep_until(when);
        auto r = client.request("POST", plan.events_path,
                                plan.event_body(static_cast<std::uint64_t>(j * threads + k)),
                                plan.api_key);
        (r.status == 202 ? accepted : errors).fetch_add(1);
      }
    });
  }

  HttpClient metrics(plan.port);
  std::vector<Sample> samples;
  for (int i = 0;; ++i) {
    const auto when = start + std::chrono::duration_cast<Clock::duration>(
                                  std::chrono::duration<double>(i * plan.sample_every_s));
    if (when > end) break;
    std::this_thread::sleep_until(when);
    receiver.take_arrivals();  // only counts matter here; keep the bench's memory flat too
    Sample s;
    s.t_s = i * plan.sample_every_s;
    s.store_bytes = store_bytes(metrics);
    s.rss_kb = rss_kb(plan.server_pid);
    s.fds = open_fds(plan.server_pid);
    s.delivered = receiver.stats().total;
    std::printf("SAMPLE scenario=soak store=%s t_s=%.0f store_mb=%.1f rss_mb=%.1f fds=%ld "
                "delivered=%lld\n",
                plan.store_label.c_str(), s.t_s, static_cast<double>(s.store_bytes) / 1e6,
                static_cast<double>(s.rss_kb) / 1024.0, s.fds, s.delivered);
    std::fflush(stdout);
    samples.push_back(s);
  }
  for (auto& t : senders) t.join();
  if (samples.empty()) return 1;

  auto max_of = [&](auto field) {
    auto it = std::max_element(samples.begin(), samples.end(),
                               [&](const Sample& a, const Sample& b) { return field(a) < field(b); });
    return field(*it);
  };
  const Sample& first = samples.front();
  const Sample& last = samples.back();
  std::printf(
      "RESULT scenario=soak store=%s retention=%s events_per_s=%.0f seconds=%.0f accepted=%ld "
      "errors=%ld delivered=%lld store_mb_first=%.1f store_mb_last=%.1f store_mb_max=%.1f "
      "rss_mb_first=%.1f rss_mb_last=%.1f rss_mb_max=%.1f fds_first=%ld fds_last=%ld "
      "fds_max=%ld\n",
      plan.store_label.c_str(), plan.retention.c_str(), plan.events_per_s, plan.seconds,
      accepted.load(), errors.load(), static_cast<long long>(receiver.stats().total),
      static_cast<double>(first.store_bytes) / 1e6, static_cast<double>(last.store_bytes) / 1e6,
      static_cast<double>(max_of([](const Sample& s) { return s.store_bytes; })) / 1e6,
      static_cast<double>(first.rss_kb) / 1024.0, static_cast<double>(last.rss_kb) / 1024.0,
      static_cast<double>(max_of([](const Sample& s) { return s.rss_kb; })) / 1024.0, first.fds,
      last.fds, max_of([](const Sample& s) { return s.fds; }));
  std::fflush(stdout);
  return errors.load() == 0 ? 0 : 1;
}

}  // namespace bench
