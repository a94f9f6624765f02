// bench_loadgen: drives the real `axon-webhooks serve` through its HTTP API and measures
// scenarios 1–4 and 6 of issue 6. It starts the server itself (port 0, its own temp dir,
// --allow-private-targets), runs the benchmark receiver in-process on 10 ports (one per
// endpoint, so every endpoint is its own "host"), and prints one RESULT line per figure:
//
//   bench_loadgen --axon PATH --scenario drain   [--events 10000] [--noisy hang|fail]
//   bench_loadgen --axon PATH --scenario ingest  [--clients 1,32] [--seconds 10]
//   bench_loadgen --axon PATH --scenario latency [--rates 50,1000] [--seconds 30]
//   bench_loadgen --axon PATH --scenario tenants [--noisy-endpoints 1000] (noisy_tenant.hpp)
//   common: [--db sqlite|postgres://…] [--store LABEL] [--request-timeout 60s]
//           [--receiver-threads 1] [--db-pid POSTMASTER_PID] [--keep]
//
// How each figure is measured is written in BENCHMARKS.md.
#include <sys/stat.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "http_client.hpp"
#include "noisy_tenant.hpp"
#include "payload.hpp"
#include "receiver.hpp"
#include "server_process.hpp"

namespace {

constexpr int kEndpoints = 10;

std::int64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

double seconds_between(std::int64_t a, std::int64_t b) { return static_cast<double>(b - a) / 1e9; }

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos <= s.size()) {
    std::size_t c = s.find(',', pos);
    if (c == std::string::npos) c = s.size();
    if (c > pos) out.push_back(s.substr(pos, c - pos));
    pos = c + 1;
  }
  return out;
}

void info(const std::string& msg) { std::cerr << "[loadgen] " << msg << std::endl; }

// Polls `done` every `poll_ms` until it is true or `timeout_s` passes.
bool wait_for(const std::function<bool()>& done, double timeout_s, int poll_ms = 5) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(poll_ms));
  }
  return true;
}

std::string event_body(std::uint64_t seq) {
  return "{\"type\":\"order.updated\",\"data\":" + bench::event_data(seq) + "}";
}

std::string event_id_of(const std::string& body) {
  auto at = body.find("\"id\":\"");
  if (at == std::string::npos) return {};
  at += 6;
  return body.substr(at, body.find('"', at) - at);
}

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
  int noisy_endpoints = 1000;
  bool keep = false;
};

struct IngestStats {
  long accepted = 0;
  long errors = 0;
  double seconds = 0;
};

class LoadGen {
 public:
  explicit LoadGen(Args args)
      : args_(std::move(args)),
        receiver_(std::vector<std::uint16_t>(kEndpoints, 0), args_.receiver_threads, true) {}

  int run() {
    char tmpl[] = "/tmp/axon-bench-XXXXXX";
    if (const char* t = std::getenv("TMPDIR"); t && *t) {
      workdir_ = std::string(t) + "/axon-bench-XXXXXX";
    } else {
      workdir_ = tmpl;
    }
    if (!mkdtemp(workdir_.data())) {
      std::perror("mkdtemp");
      return 1;
    }
    chmod(workdir_.c_str(), 0755);
    std::string error;
    if (!receiver_.start(&error)) {
      info("receiver: " + error);
      return 1;
    }
    int rc = 1;
    if (args_.scenario == "drain") rc = drain();
    else if (args_.scenario == "ingest") rc = ingest_scenario();
    else if (args_.scenario == "latency") rc = latency();
    else if (args_.scenario == "tenants") rc = tenants();
    else info("unknown --scenario " + args_.scenario);
    int exit_code = server_.stop();
    if (exit_code != 0 && exit_code != -1) info("server exited with " + std::to_string(exit_code));
    receiver_.stop();
    if (!args_.keep) std::filesystem::remove_all(workdir_);
    else info("kept " + workdir_);
    return rc;
  }

 private:
  bool start_server(std::vector<std::string> extra) {
    bench::ServerOptions o;
    o.binary = args_.axon;
    o.db = args_.db == "sqlite" ? "sqlite:" + workdir_ + "/axon.db" : args_.db;
    o.workdir = workdir_;
    o.admin_token = admin_;
    o.extra_args = {"--log-level", "warn", "--request-timeout", args_.request_timeout};
    // The per-credential API rate limit would cap what the bench measures: turn it off.
    if (supports_option("--api-rate-limit")) {
      o.extra_args.insert(o.extra_args.end(), {"--api-rate-limit", "0"});
    }
    o.extra_args.insert(o.extra_args.end(), extra.begin(), extra.end());
    std::string error;
    if (!server_.start(o, &error)) {
      info(error);
      return false;
    }
    return true;
  }

  // True when `axon-webhooks serve --help` lists `option` (older builds lack some).
  bool supports_option(const std::string& option) const {
    std::string cmd = "'" + args_.axon + "' serve --help 2>&1";
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) return false;
    std::string text;
    char buf[4096];
    while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) text.append(buf, n);
    pclose(p);
    return text.find(option) != std::string::npos;
  }

  // A tenant, its API key and one endpoint per receiver port.
  bool setup() {
    bench::HttpClient c(server_.port());
    auto r = c.request("POST", "/v1/tenants", R"({"name":"bench"})", admin_);
    if (r.status != 201) return fail_setup("create tenant", r);
    tenant_ = nlohmann::json::parse(r.body)["id"];
    r = c.request("POST", "/v1/tenants/" + tenant_ + "/api-keys", "", admin_);
    if (r.status != 201) return fail_setup("create api key", r);
    key_ = nlohmann::json::parse(r.body)["key"];
    for (int i = 0; i < kEndpoints; ++i) {
      std::string body = "{\"url\":\"http://127.0.0.1:" +
                         std::to_string(receiver_.ports()[static_cast<std::size_t>(i)]) + "/hook\"";
      if (!args_.endpoint_options.empty()) body += "," + args_.endpoint_options;
      body += "}";
      r = c.request("POST", "/v1/tenants/" + tenant_ + "/endpoints", body, key_);
      if (r.status != 201) return fail_setup("create endpoint", r);
    }
    return true;
  }

  bool fail_setup(const std::string& what, const bench::HttpResponse& r) {
    info(what + " failed: status " + std::to_string(r.status) + " " + r.body);
    info("server log tail:\n" + server_.log_tail());
    return false;
  }

  // POSTs events with `clients` keep-alive connections until `total` are sent (total >= 0) or
  // until `deadline_ns`. With `accepts`, records (event id, time the 202 arrived).
  IngestStats ingest(long total, std::int64_t deadline_ns, int clients,
                     std::vector<std::pair<std::string, std::int64_t>>* accepts = nullptr) {
    std::atomic<long> next{0}, accepted{0}, errors{0};
    std::mutex mu;
    std::atomic<bool> stop{false};
    std::vector<std::thread> threads;
    std::int64_t start = now_ns();
    for (int t = 0; t < clients; ++t) {
      threads.emplace_back([&] {
        bench::HttpClient c(server_.port());
        std::vector<std::pair<std::string, std::int64_t>> mine;
        std::string path = "/v1/tenants/" + tenant_ + "/events";
        while (!stop.load(std::memory_order_relaxed)) {
          long seq = next.fetch_add(1);
          if (total >= 0 && seq >= total) break;
          if (deadline_ns && now_ns() >= deadline_ns) break;
          auto r = c.request("POST", path, event_body(static_cast<std::uint64_t>(seq)), key_);
          for (int tries = 0; r.status == 429 && tries < 100; ++tries) {  // back off, resend
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
            r = c.request("POST", path, event_body(static_cast<std::uint64_t>(seq)), key_);
          }
          if (r.status == 202) {
            accepted.fetch_add(1);
            if (accepts) mine.emplace_back(event_id_of(r.body), now_ns());
          } else if (errors.fetch_add(1) < 5) {
            info("ingest: status " + std::to_string(r.status) + " " + r.body.substr(0, 200));
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
    return {accepted.load(), errors.load(), seconds_between(start, now_ns())};
  }

  double db_cpu() const {
    return args_.db_pid > 0 ? bench::process_tree_cpu_seconds(static_cast<pid_t>(args_.db_pid)) : 0;
  }

  long delivered_to(int ports) const {
    auto s = receiver_.stats();
    long sum = 0;
    for (int i = 0; i < ports; ++i) sum += s.per_port[static_cast<std::size_t>(i)];
    return sum;
  }

  bool pending_empty(bench::HttpClient& c) {
    auto r = c.request("GET", "/v1/tenants/" + tenant_ + "/deliveries?status=pending&limit=1", "",
                       key_);
    if (r.status != 200) return false;
    return nlohmann::json::parse(r.body, nullptr, false).value("data", nlohmann::json::array()).empty();
  }

  // Scenarios 1, 4 and 6: fill the queue while the receiver holds every answer, then release
  // the receiver and time how fast the queue empties.
  int drain() {
    int counted = kEndpoints;
    std::string label = "drain";
    if (!args_.noisy.empty()) {
      bench::Mode mode;
      if (!bench::parse_mode(args_.noisy, mode) || mode == bench::Mode::ok) {
        info("--noisy hang|fail");
        return 2;
      }
      receiver_.set_mode(kEndpoints - 1, mode);
      counted = kEndpoints - 1;
      label = "noisy_" + args_.noisy;
    }
    receiver_.pause();
    if (!start_server({}) || !setup()) return 1;
    info(label + ": ingesting " + std::to_string(args_.events) + " events");
    IngestStats ing = ingest(args_.events, 0, args_.ingest_clients);
    if (ing.accepted == 0) return 1;
    long expected = ing.accepted * counted;
    long held = delivered_to(counted);
    info("ingested " + std::to_string(ing.accepted) + " in " + std::to_string(ing.seconds) +
         " s; " + std::to_string(held) + " attempts held by the paused receiver; draining");

    double cpu0 = server_.cpu_seconds(), db_cpu0 = db_cpu();
    std::int64_t t0 = now_ns();
    receiver_.resume();
    // A starved noisy-neighbour run is a result, not a reason to wait for minutes.
    double timeout = args_.noisy.empty() ? 120 + static_cast<double>(expected) / 1000.0
                                         : 60 + static_cast<double>(expected) / 2000.0;
    bool complete = wait_for([&] { return delivered_to(counted) >= expected; }, timeout);
    std::int64_t t_received = now_ns();
    double settle_s = 0;
    if (args_.noisy.empty()) {
      bench::HttpClient c(server_.port());
      wait_for([&] { return pending_empty(c); }, 120, 50);
      settle_s = seconds_between(t0, now_ns());
    }
    double cpu1 = server_.cpu_seconds(), db_cpu1 = db_cpu();
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
      info("too few deliveries arrived");
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
        "cpu_us_per_delivery=%.1f rss_mb=%.1f ingest_rate=%.0f settle_s=%.3f wait_s=%.3f\n",
        label.c_str(), args_.store.c_str(), ing.accepted, expected, complete ? 1 : 0, secs,
        static_cast<double>(n) / secs, mid, before_t0, extra > 0 ? extra : 0, cpu1 - cpu0, db_cpu1 - db_cpu0,
        (cpu1 - cpu0) * 1e6 / static_cast<double>(n), static_cast<double>(rss_kb) / 1024.0,
        static_cast<double>(ing.accepted) / ing.seconds, settle_s, seconds_between(t0, t_received));
    std::fflush(stdout);
    return complete ? 0 : 1;
  }

  // One tenant's hung endpoints against another tenant's latency (noisy_tenant.hpp).
  int tenants() {
    if (!start_server({})) return 1;
    bench::NoisyTenantRun run;
    run.server_port = server_.port();
    run.admin_token = admin_;
    run.store = args_.store;
    run.noisy_endpoints = args_.noisy_endpoints;
    run.peak_rss_kb = [this] { return server_.peak_rss_kb(); };
    return bench::run_noisy_tenant(run, receiver_);
  }

  // Scenario 2: events/s accepted by the API with fan-out to 10 endpoints.
  int ingest_scenario() {
    if (!start_server({}) || !setup()) return 1;
    long total = 0;
    for (const auto& c : split(args_.clients)) {
      int clients = std::stoi(c);
      double cpu0 = server_.cpu_seconds();
      auto deadline = now_ns() + static_cast<std::int64_t>(args_.seconds * 1e9);
      IngestStats s = ingest(-1, deadline, clients);
      double cpu1 = server_.cpu_seconds();
      total += s.accepted;
      std::printf(
          "RESULT scenario=ingest store=%s clients=%d events=%ld errors=%ld seconds=%.3f "
          "rate=%.0f cpu_s=%.2f\n",
          args_.store.c_str(), clients, s.accepted, s.errors, s.seconds,
          static_cast<double>(s.accepted) / s.seconds, cpu1 - cpu0);
      std::fflush(stdout);
      if (s.accepted == 0) return 1;
      // Let the deliveries of this phase finish so the next phase starts with an empty queue.
      if (!wait_for([&] { return receiver_.stats().total >= total * kEndpoints; }, 300, 20)) {
        info("deliveries did not catch up within 300 s");
      }
    }
    return 0;
  }

  // Scenario 3: paced, open-loop sending; latency = receiver arrival − 202 arrival.
  int latency() {
    if (!start_server({}) || !setup()) return 1;
    for (const auto& r : split(args_.rates)) {
      double rate = std::stod(r);
      receiver_.reset();
      int threads = std::clamp(static_cast<int>(rate / 100), 1, 16);
      std::vector<std::pair<std::string, std::int64_t>> accepts;
      std::mutex mu;
      std::atomic<long> errors{0};
      long per_thread = static_cast<long>(rate * args_.seconds) / threads;
      auto start = std::chrono::steady_clock::now() + std::chrono::milliseconds(100);
      std::int64_t start_ns = now_ns() + 100'000'000;
      std::vector<std::thread> pool;
      for (int k = 0; k < threads; ++k) {
        pool.emplace_back([&, k] {
          bench::HttpClient c(server_.port());
          c.request("GET", "/healthz", "", "");  // open the connection before the clock starts
          std::vector<std::pair<std::string, std::int64_t>> mine;
          std::string path = "/v1/tenants/" + tenant_ + "/events";
          for (long j = 0; j < per_thread; ++j) {
            double at = static_cast<double>(j * threads + k) / rate;
            std::this_thread::sleep_until(start + std::chrono::duration_cast<std::chrono::nanoseconds>(
                                                      std::chrono::duration<double>(at)));
            auto resp = c.request("POST", path,
                                  event_body(static_cast<std::uint64_t>(j * threads + k)), key_);
            if (resp.status == 202) mine.emplace_back(event_id_of(resp.body), now_ns());
            else errors.fetch_add(1);
          }
          std::lock_guard lock(mu);
          accepts.insert(accepts.end(), mine.begin(), mine.end());
        });
      }
      for (auto& t : pool) t.join();
      double sent_s = seconds_between(start_ns, now_ns());
      long expected = static_cast<long>(accepts.size()) * kEndpoints;
      bool complete = wait_for([&] { return receiver_.stats().total >= expected; }, 60, 10);

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
      auto pct = [&](double q) {
        if (lat.empty()) return 0.0;
        std::size_t i = std::min(lat.size() - 1, static_cast<std::size_t>(q * static_cast<double>(lat.size())));
        return static_cast<double>(lat[i]) / 1e6;
      };
      std::printf(
          "RESULT scenario=latency store=%s events_per_s=%.0f deliveries_per_s=%.0f "
          "achieved_events_per_s=%.0f samples=%zu complete=%d errors=%ld p50_ms=%.2f "
          "p99_ms=%.2f p999_ms=%.2f max_ms=%.2f\n",
          args_.store.c_str(), rate, rate * kEndpoints,
          static_cast<double>(accepts.size()) / sent_s, lat.size(), complete ? 1 : 0,
          errors.load(), pct(0.5), pct(0.99), pct(0.999), lat.empty() ? 0.0 : static_cast<double>(lat.back()) / 1e6);
      std::fflush(stdout);
      if (lat.empty()) return 1;
    }
    return 0;
  }

  Args args_;
  bench::Receiver receiver_;
  bench::ServerProcess server_;
  std::string workdir_;
  std::string admin_ = "axadm_bench_" + std::to_string(now_ns());
  std::string tenant_, key_;
};

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    if (k == "--keep") {
      a.keep = true;
      continue;
    }
    if (i + 1 >= argc) {
      std::cerr << k << " needs a value\n";
      return 2;
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
    else if (k == "--noisy-endpoints") a.noisy_endpoints = std::stoi(v);
    else {
      std::cerr << "unknown option " << k << "\n";
      return 2;
    }
  }
  if (a.axon.empty() || a.scenario.empty()) {
    std::cerr << "usage: bench_loadgen --axon PATH --scenario drain|ingest|latency|tenants [options]\n";
    return 2;
  }
  return LoadGen(std::move(a)).run();
}
