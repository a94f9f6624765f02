#include "noisy_tenant.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <thread>
#include <unordered_map>
#include <vector>

#include "http_client.hpp"
#include "loadgen_support.hpp"
#include "wall_clock.hpp"

namespace bench {
namespace {

struct Tenant {
  std::string id;
  std::string key;
};

bool create_tenant(HttpClient& c, const std::string& admin, const std::string& name, Tenant& t) {
  auto r = c.request("POST", "/v1/tenants", R"({"name":")" + name + R"("})", admin);
  if (r.status != 201) return say("create tenant: " + r.body), false;
  t.id = nlohmann::json::parse(r.body)["id"];
  r = c.request("POST", "/v1/tenants/" + t.id + "/api-keys", "", admin);
  if (r.status != 201) return say("create api key: " + r.body), false;
  t.key = nlohmann::json::parse(r.body)["key"];
  return true;
}

bool add_endpoint(HttpClient& c, const Tenant& t, const std::string& url) {
  auto r = c.request("POST", "/v1/tenants/" + t.id + "/endpoints", R"({"url":")" + url + R"("})", t.key);
  if (r.status != 201) return say("create endpoint: " + std::to_string(r.status) + " " + r.body), false;
  return true;
}

// The event id of an accepted event, or "" when it was not accepted.
std::string send_event(HttpClient& c, const Tenant& t, const std::string& body) {
  auto r = c.request("POST", "/v1/tenants/" + t.id + "/events", body, t.key);
  if (r.status != 202) return say("event: " + std::to_string(r.status) + " " + r.body.substr(0, 200)), "";
  return nlohmann::json::parse(r.body)["id"];
}

}  // namespace

int run_noisy_tenant(const NoisyTenantRun& run, Receiver& receiver) {
  HttpClient c(run.server_port);
  Tenant noisy, healthy;
  if (!create_tenant(c, run.admin_token, "noisy", noisy) ||
      !create_tenant(c, run.admin_token, "healthy", healthy)) {
    return 1;
  }
  const auto& ports = receiver.ports();
  for (int i = 0; i < run.noisy_endpoints; ++i) {
    const auto port = ports[static_cast<std::size_t>(i) % ports.size()];
    if (!add_endpoint(c, noisy, "http://127.0.0.1:" + std::to_string(port) + "/hang/" + std::to_string(i))) {
      return 1;
    }
  }
  if (!add_endpoint(c, healthy, "http://127.0.0.1:" + std::to_string(ports[0]) + "/ok/healthy")) return 1;

  const std::string big(static_cast<std::size_t>(run.noisy_event_kb) * 1024, 'x');
  for (int i = 0; i < 2; ++i) {
    if (send_event(c, noisy, R"({"type":"noise.big","data":{"pad":")" + big + R"("}})").empty()) return 1;
  }
  say("tenants: noisy tenant sent 2 events to " + std::to_string(run.noisy_endpoints) +
      " hung endpoints; letting its attempts pile up");
  std::this_thread::sleep_for(std::chrono::seconds(2));

  std::unordered_map<std::string, std::int64_t> accepted_at;
  for (int i = 0; i < run.healthy_events; ++i) {
    auto id = send_event(c, healthy, R"({"type":"order.updated","data":{"i":)" + std::to_string(i) + "}}");
    if (id.empty()) return 1;
    accepted_at.emplace(id, wall_ns());
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::vector<std::int64_t> latency_ns;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (latency_ns.size() < accepted_at.size() && std::chrono::steady_clock::now() < deadline) {
    for (const auto& a : receiver.take_arrivals()) {
      auto it = accepted_at.find(a.event_id.data());
      if (it != accepted_at.end()) latency_ns.push_back(a.ns - it->second);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::sort(latency_ns.begin(), latency_ns.end());
  auto pct = [&](double q) { return percentile_ms(latency_ns, q); };
  const bool complete = latency_ns.size() == accepted_at.size();
  std::printf(
      "RESULT scenario=tenants store=%s noisy_endpoints=%d noisy_event_kb=%d healthy_events=%zu "
      "complete=%d p50_ms=%.1f p99_ms=%.1f max_ms=%.1f rss_mb=%.1f\n",
      run.store.c_str(), run.noisy_endpoints, run.noisy_event_kb, accepted_at.size(), complete ? 1 : 0,
      pct(0.5), pct(0.99), latency_ns.empty() ? 0.0 : static_cast<double>(latency_ns.back()) / 1e6,
      static_cast<double>(run.peak_rss_kb()) / 1024.0);
  std::fflush(stdout);
  return complete ? 0 : 1;
}

}  // namespace bench
