// bench_loadgen: drives the real `axon-webhooks serve` through its HTTP API and measures
// scenarios 1–4 and 6 of issue 6. It starts the server itself (port 0, its own temp dir,
// --allow-private-targets), runs the benchmark receiver in-process on 10 ports (one per
// endpoint, so every endpoint is its own "host"), and prints one RESULT line per figure:
//
//   bench_loadgen --axon PATH --scenario drain   [--events 10000] [--noisy hang|fail] [--tls]
//   bench_loadgen --axon PATH --scenario ingest  [--clients 1,32] [--seconds 10]
//   bench_loadgen --axon PATH --scenario latency [--rates 50,1000] [--seconds 30]
//   bench_loadgen --axon PATH --scenario drain --nodes 3 --db postgres://…  (scale-out)
//   bench_loadgen --axon PATH --scenario soak    [--rates 200] [--seconds 60]
//                 [--retention 5m] [--sample-every 10]   (events/s; 10 deliveries each)
//   bench_loadgen --axon PATH --scenario e2e     [--events 20000] (ingest and delivery at once)
//   bench_loadgen --axon PATH --scenario tenants [--noisy-endpoints 1000] (noisy_tenant.hpp)
//   common: [--db sqlite|postgres://…] [--store LABEL] [--request-timeout 60s]
//           [--receiver-threads 1] [--db-pid POSTMASTER_PID] [--keep]
//           [--batch N] (N events per POST …/events/batch; 0 = single events)
//           [--fanout N] (endpoints, 0–10) [--disabled-endpoints]
//
// How each figure is measured is written in BENCHMARKS.md.
#include <sys/stat.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <filesystem>
#include <functional>
#include <iostream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "http_client.hpp"
#include "loadgen_args.hpp"
#include "noisy_tenant.hpp"
#include "payload.hpp"
#include "receiver.hpp"
#include "self_signed.hpp"
#include "server_process.hpp"
#include "soak.hpp"

namespace {

using bench::Args;
constexpr int kEndpoints = bench::kReceiverPorts;

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

std::string event_id_of(const std::string& body) {
  auto at = body.find("\"id\":\"");
  if (at == std::string::npos) return {};
  at += 6;
  return body.substr(at, body.find('"', at) - at);
}

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
    if (args_.tls) {
      const bench::SelfSigned cert = bench::make_self_signed_localhost();
      std::ofstream(workdir_ + "/ca.pem") << cert.certificate_pem;
      if (!receiver_.use_tls(cert.certificate_pem, cert.key_pem, &error)) {
        info("receiver: " + error);
        return 1;
      }
    }
    if (!receiver_.start(&error)) {
      info("receiver: " + error);
      return 1;
    }
    int rc = 1;
    if (args_.scenario == "drain") rc = drain();
    else if (args_.scenario == "ingest") rc = ingest_scenario();
    else if (args_.scenario == "latency") rc = latency();
    else if (args_.scenario == "soak") rc = soak();
    else if (args_.scenario == "e2e") rc = end_to_end();
    else if (args_.scenario == "tenants") rc = tenants();
    else info("unknown --scenario " + args_.scenario);
    int exit_code = server_.stop();
    if (exit_code != 0 && exit_code != -1) info("server exited with " + std::to_string(exit_code));
    for (auto& node : extra_nodes_) node->stop();
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
    if (args_.tls) o.extra_args.insert(o.extra_args.end(), {"--ca-file", workdir_ + "/ca.pem"});
    o.extra_args.insert(o.extra_args.end(), extra.begin(), extra.end());
    std::string error;
    if (!server_.start(o, &error)) {
      info(error);
      return false;
    }
    return true;
  }

  // Starts `count` more serve processes on the same database, sharing node 0's master key and
  // admin token: the scale-out drain. Returns false (and says why) if one does not start.
  bool start_extra_nodes(int count) {
    for (int i = 1; i <= count; ++i) {
      bench::ServerOptions o;
      o.binary = args_.axon;
      o.db = args_.db;
      o.workdir = workdir_ + "/node" + std::to_string(i);
      std::filesystem::create_directories(o.workdir);
      std::filesystem::copy_file(workdir_ + "/axon.key", o.workdir + "/axon.key");
      o.admin_token = admin_;
      o.extra_args = {"--log-level", "warn", "--request-timeout", args_.request_timeout};
      auto node = std::make_unique<bench::ServerProcess>();
      std::string error;
      if (!node->start(o, &error)) {
        info("node " + std::to_string(i) + ": " + error);
        return false;
      }
      extra_nodes_.push_back(std::move(node));
    }
    return true;
  }

  double servers_cpu_seconds() const {
    double sum = server_.cpu_seconds();
    for (const auto& node : extra_nodes_) sum += node->cpu_seconds();
    return sum;
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
    for (int i = 0; i < args_.fanout; ++i) {
      std::string body = std::string("{\"url\":\"") + (args_.tls ? "https" : "http") +
                         "://127.0.0.1:" +
                         std::to_string(receiver_.ports()[static_cast<std::size_t>(i)]) + "/hook\"";
      if (!args_.endpoint_options.empty()) body += "," + args_.endpoint_options;
      if (args_.disabled_endpoints) body += ",\"disabled\":true";
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
        const long per_request = std::max(1L, args_.batch);
        std::string path = "/v1/tenants/" + tenant_ + (args_.batch > 0 ? "/events/batch" : "/events");
        while (!stop.load(std::memory_order_relaxed)) {
          long seq = next.fetch_add(per_request);
          if (total >= 0 && seq >= total) break;
          if (deadline_ns && now_ns() >= deadline_ns) break;
          std::string body = request_body(seq, total >= 0 ? std::min(per_request, total - seq)
                                                          : per_request);
          auto r = c.request("POST", path, body, key_);
          for (int tries = 0; r.status == 429 && tries < 100; ++tries) {  // back off, resend
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
            r = c.request("POST", path, body, key_);
          }
          if (r.status == 202 || r.status == 200) {
            const std::int64_t at = now_ns();
            auto ids = args_.batch > 0 ? event_ids_of(r.body)
                                       : std::vector<std::string>{event_id_of(r.body)};
            accepted.fetch_add(static_cast<long>(ids.size()));
            if (accepts) {
              for (auto& id : ids) mine.emplace_back(std::move(id), at);
            }
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

  // One request's body: a single event, or a batch of `count` events from `seq` on.
  std::string request_body(long seq, long count) const {
    if (args_.batch <= 0) return event_body(static_cast<std::uint64_t>(seq));
    std::string body = "{\"events\":[";
    for (long i = 0; i < count; ++i) {
      if (i) body += ',';
      body += event_body(static_cast<std::uint64_t>(seq + i));
    }
    return body + "]}";
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
    std::string label = args_.tls ? "drain_https" : "drain";
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
    if (args_.nodes > 1) {
      if (args_.db == "sqlite") {
        info("--nodes needs a shared database (--db postgres://…)");
        return 2;
      }
      if (!start_extra_nodes(args_.nodes - 1)) return 1;
      label += "_nodes" + std::to_string(args_.nodes);
    }
    long held = delivered_to(counted);
    info("ingested " + std::to_string(ing.accepted) + " in " + std::to_string(ing.seconds) +
         " s; " + std::to_string(held) + " attempts held by the paused receiver; draining");

    double cpu0 = servers_cpu_seconds(), db_cpu0 = db_cpu();
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
    double cpu1 = servers_cpu_seconds(), db_cpu1 = db_cpu();
    const bench::ReceiverStats tls = receiver_.stats();  // handshakes over the whole run
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
      double cpu0 = server_.cpu_seconds(), db_cpu0 = db_cpu();
      auto deadline = now_ns() + static_cast<std::int64_t>(args_.seconds * 1e9);
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
        info("deliveries did not catch up within 300 s");
      }
    }
    return 0;
  }

  // End to end: ingest through the API while the receiver answers at once; deliveries/s from
  // the first request to the last arrival (the queue never needs to fill first).
  int end_to_end() {
    if (!start_server({}) || !setup()) return 1;
    double cpu0 = server_.cpu_seconds();
    std::int64_t t0 = now_ns();
    IngestStats ing = ingest(args_.events, 0, args_.ingest_clients);
    if (ing.accepted == 0) return 1;
    long expected = ing.accepted * args_.fanout;
    bool complete = wait_for([&] { return receiver_.stats().total >= expected; },
                             120 + static_cast<double>(expected) / 1000.0);
    double cpu1 = server_.cpu_seconds();
    std::int64_t last = t0;
    for (const auto& a : receiver_.take_arrivals()) last = std::max(last, a.ns);
    double secs = seconds_between(t0, last);
    std::printf(
        "RESULT scenario=e2e store=%s batch=%ld events=%ld deliveries=%ld complete=%d "
        "seconds=%.3f rate=%.0f ingest_s=%.3f ingest_rate=%.0f errors=%ld cpu_s=%.2f rss_mb=%.1f\n",
        args_.store.c_str(), args_.batch, ing.accepted, expected, complete ? 1 : 0, secs,
        static_cast<double>(receiver_.stats().total) / secs, ing.seconds,
        static_cast<double>(ing.accepted) / ing.seconds, ing.errors, cpu1 - cpu0,
        static_cast<double>(server_.peak_rss_kb()) / 1024.0);
    std::fflush(stdout);
    return complete ? 0 : 1;
  }

  // Scenario 3: paced, open-loop sending; latency = receiver arrival − 202 arrival. With
  // --fanout 0 nothing is delivered and only the API's 202 round trip is measured.
  int latency() {
    if (!start_server({}) || !setup()) return 1;
    for (const auto& r : split(args_.rates)) {
      double rate = std::stod(r);
      receiver_.reset();
      int threads = std::clamp(static_cast<int>(rate / 100), 1, 16);
      std::vector<std::pair<std::string, std::int64_t>> accepts;
      std::vector<std::int64_t> api_times;
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
          std::vector<std::int64_t> api_mine;  // request -> 202, ns
          std::string path = "/v1/tenants/" + tenant_ + "/events";
          for (long j = 0; j < per_thread; ++j) {
            double at = static_cast<double>(j * threads + k) / rate;
            std::this_thread::sleep_until(start + std::chrono::duration_cast<std::chrono::nanoseconds>(
                                                      std::chrono::duration<double>(at)));
            std::int64_t sent_at = now_ns();
            auto resp = c.request("POST", path,
                                  event_body(static_cast<std::uint64_t>(j * threads + k)), key_);
            std::int64_t answered_at = now_ns();
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
      double sent_s = seconds_between(start_ns, now_ns());
      long expected = static_cast<long>(accepts.size()) * args_.fanout;
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
      std::sort(api_times.begin(), api_times.end());
      auto pct_of = [](const std::vector<std::int64_t>& v, double q) {
        if (v.empty()) return 0.0;
        std::size_t i = std::min(v.size() - 1, static_cast<std::size_t>(q * static_cast<double>(v.size())));
        return static_cast<double>(v[i]) / 1e6;
      };
      auto pct = [&](double q) { return pct_of(lat, q); };
      std::printf(
          "RESULT scenario=latency store=%s events_per_s=%.0f deliveries_per_s=%.0f "
          "achieved_events_per_s=%.0f samples=%zu complete=%d errors=%ld p50_ms=%.2f "
          "p99_ms=%.2f p999_ms=%.2f max_ms=%.2f api_p50_ms=%.2f api_p99_ms=%.2f\n",
          args_.store.c_str(), rate, rate * args_.fanout,
          static_cast<double>(accepts.size()) / sent_s, lat.size(), complete ? 1 : 0,
          errors.load(), pct(0.5), pct(0.99), pct(0.999), lat.empty() ? 0.0 : static_cast<double>(lat.back()) / 1e6,
          pct_of(api_times, 0.5), pct_of(api_times, 0.99));
      std::fflush(stdout);
      if (lat.empty() && args_.fanout > 0) return 1;
    }
    return 0;
  }

  // Scenario 7: a steady load for a long time with a short retention (bench/soak.hpp).
  int soak() {
    if (!start_server({"--retention", args_.retention}) || !setup()) return 1;
    bench::SoakPlan plan;
    plan.port = server_.port();
    plan.server_pid = server_.pid();
    plan.events_path = "/v1/tenants/" + tenant_ + "/events";
    plan.api_key = key_;
    plan.event_body = event_body;
    plan.events_per_s = std::stod(split(args_.rates).front());
    plan.seconds = args_.seconds;
    plan.sample_every_s = args_.sample_every;
    plan.store_label = args_.store;
    plan.retention = args_.retention;
    return bench::run_soak(plan, receiver_);
  }

  Args args_;
  bench::Receiver receiver_;
  bench::ServerProcess server_;
  std::string workdir_;
  std::vector<std::unique_ptr<bench::ServerProcess>> extra_nodes_;
  std::string admin_ = "axadm_bench_" + std::to_string(now_ns());
  std::string tenant_, key_;
};

}  // namespace

int main(int argc, char** argv) {
  auto args = bench::parse_loadgen_args(argc, argv);
  if (!args) return 2;
  return LoadGen(std::move(*args)).run();
}
