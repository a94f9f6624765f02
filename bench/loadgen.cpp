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
//   bench_loadgen --axon PATH --scenario outbox --db postgres://… --clients 4 --seconds 10
//                 (axon.emit_event from producers with no node running; deliveries queue up)
//   common: [--db sqlite|postgres://…] [--store LABEL] [--request-timeout 60s]
//           [--receiver-threads 1] [--db-pid POSTMASTER_PID] [--keep]
//           [--batch N] (N events per POST …/events/batch; 0 = single events)
//           [--fanout N] (endpoints, 0–10) [--disabled-endpoints]
#include "loadgen.hpp"

#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "loadgen_support.hpp"
#include "noisy_tenant.hpp"
#include "self_signed.hpp"
#include "soak.hpp"

namespace bench {

LoadGen::LoadGen(Args args)
    : args_(std::move(args)),
      receiver_(std::vector<std::uint16_t>(kEndpoints, 0), args_.receiver_threads, true) {}

int LoadGen::run() {
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
    const SelfSigned cert = make_self_signed_localhost();
    std::ofstream(workdir_ + "/ca.pem") << cert.certificate_pem;
    if (!receiver_.use_tls(cert.certificate_pem, cert.key_pem, &error)) {
      say("receiver: " + error);
      return 1;
    }
  }
  if (!receiver_.start(&error)) {
    say("receiver: " + error);
    return 1;
  }
  int rc = 1;
  if (args_.scenario == "drain") rc = drain();
  else if (args_.scenario == "ingest") rc = ingest_scenario();
  else if (args_.scenario == "latency") rc = latency();
  else if (args_.scenario == "soak") rc = soak();
  else if (args_.scenario == "e2e") rc = end_to_end();
  else if (args_.scenario == "tenants") rc = tenants();
  else if (args_.scenario == "outbox") rc = outbox();
  else say("unknown --scenario " + args_.scenario);
  int exit_code = server_.stop();
  if (exit_code != 0 && exit_code != -1) say("server exited with " + std::to_string(exit_code));
  for (auto& node : extra_nodes_) node->stop();
  receiver_.stop();
  if (!args_.keep) std::filesystem::remove_all(workdir_);
  else say("kept " + workdir_);
  return rc;
}

bool LoadGen::start_server(std::vector<std::string> extra) {
  ServerOptions o;
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
    say(error);
    return false;
  }
  return true;
}

bool LoadGen::start_extra_nodes(int count) {
  for (int i = 1; i <= count; ++i) {
    ServerOptions o;
    o.binary = args_.axon;
    o.db = args_.db;
    o.workdir = workdir_ + "/node" + std::to_string(i);
    std::filesystem::create_directories(o.workdir);
    std::filesystem::copy_file(workdir_ + "/axon.key", o.workdir + "/axon.key");
    o.admin_token = admin_;
    o.extra_args = {"--log-level", "warn", "--request-timeout", args_.request_timeout};
    auto node = std::make_unique<ServerProcess>();
    std::string error;
    if (!node->start(o, &error)) {
      say("node " + std::to_string(i) + ": " + error);
      return false;
    }
    extra_nodes_.push_back(std::move(node));
  }
  return true;
}

double LoadGen::servers_cpu_seconds() const {
  double sum = server_.cpu_seconds();
  for (const auto& node : extra_nodes_) sum += node->cpu_seconds();
  return sum;
}

bool LoadGen::supports_option(const std::string& option) const {
  std::string cmd = "'" + args_.axon + "' serve --help 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return false;
  std::string text;
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) text.append(buf, n);
  pclose(p);
  return text.find(option) != std::string::npos;
}

bool LoadGen::setup() {
  HttpClient c(server_.port());
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

bool LoadGen::fail_setup(const std::string& what, const HttpResponse& r) {
  say(what + " failed: status " + std::to_string(r.status) + " " + r.body);
  say("server log tail:\n" + server_.log_tail());
  return false;
}

double LoadGen::db_cpu() const {
  return args_.db_pid > 0 ? process_tree_cpu_seconds(static_cast<pid_t>(args_.db_pid)) : 0;
}

std::optional<double> LoadGen::writer_busy_seconds() const {
  HttpClient c(server_.port());
  return scrape_metric(c, "axon_store_writer_busy_seconds_total");
}

long LoadGen::delivered_to(int ports) const {
  auto s = receiver_.stats();
  long sum = 0;
  for (int i = 0; i < ports; ++i) sum += s.per_port[static_cast<std::size_t>(i)];
  return sum;
}

bool LoadGen::pending_empty(HttpClient& c) {
  auto r = c.request("GET", "/v1/tenants/" + tenant_ + "/deliveries?status=pending&limit=1", "",
                     key_);
  if (r.status != 200) return false;
  return nlohmann::json::parse(r.body, nullptr, false).value("data", nlohmann::json::array()).empty();
}

int LoadGen::tenants() {
  if (!start_server({})) return 1;
  NoisyTenantRun run;
  run.server_port = server_.port();
  run.admin_token = admin_;
  run.store = args_.store;
  run.noisy_endpoints = args_.noisy_endpoints;
  run.peak_rss_kb = [this] { return server_.peak_rss_kb(); };
  return run_noisy_tenant(run, receiver_);
}

int LoadGen::soak() {
  if (!start_server({"--retention", args_.retention}) || !setup()) return 1;
  SoakPlan plan;
  plan.port = server_.port();
  plan.server_pid = server_.pid();
  plan.events_path = "/v1/tenants/" + tenant_ + "/events";
  plan.api_key = key_;
  plan.event_body = event_body;
  plan.events_per_s = std::stod(split_list(args_.rates).front());
  plan.seconds = args_.seconds;
  plan.sample_every_s = args_.sample_every;
  plan.store_label = args_.store;
  plan.retention = args_.retention;
  return run_soak(plan, receiver_);
}

}  // namespace bench

int main(int argc, char** argv) {
  auto args = bench::parse_loadgen_args(argc, argv);
  if (!args) return 2;
  return bench::LoadGen(std::move(*args)).run();
}
