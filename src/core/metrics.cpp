#include "core/metrics.hpp"

#include <algorithm>
#include <cstdio>
#include <vector>

namespace axon {
namespace {

void header(std::string& out, std::string_view name, std::string_view type,
            std::string_view help) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void sample(std::string& out, std::string_view name, std::string_view labels, std::int64_t v) {
  out.append(name);
  if (!labels.empty()) out.append("{").append(labels).append("}");
  out.append(" ").append(std::to_string(v)).append("\n");
}

std::string seconds(Millis ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", static_cast<double>(ms) / 1000.0);
  return buf;
}

std::size_t error_index(std::string_view error_class) {
  for (std::size_t i = 0; i < Metrics::kErrorClasses.size(); ++i) {
    if (Metrics::kErrorClasses[i] == error_class) return i;
  }
  return Metrics::kErrorClasses.size() - 1;  // "other"
}

}  // namespace

std::string prometheus_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

void Metrics::attempt(Outcome outcome, std::string_view error_class, Millis duration_ms,
                      std::string_view endpoint_id, Millis now_ms) {
  outcomes_[static_cast<std::size_t>(outcome)].fetch_add(1, std::memory_order_relaxed);
  std::size_t bucket = 0;
  while (bucket < kLatencyBucketsMs.size() && duration_ms > kLatencyBucketsMs[bucket]) ++bucket;
  latency_buckets_[bucket].fetch_add(1, std::memory_order_relaxed);
  latency_sum_ms_.fetch_add(std::max<Millis>(0, duration_ms), std::memory_order_relaxed);
  if (outcome == Outcome::succeeded && error_class.empty()) return;
  errors_[error_index(error_class)].fetch_add(1, std::memory_order_relaxed);
  std::lock_guard lock(failures_mu_);
  rotate_locked(now_ms);
  ++failures_[std::string(endpoint_id)].current;
}

std::int64_t Metrics::attempts() const {
  std::int64_t total = 0;
  for (const auto& n : outcomes_) total += n.load();
  return total;
}

// Caller holds failures_mu_. Moves to a new generation when the window has passed; an
// endpoint with no failure in two windows is forgotten.
void Metrics::rotate_locked(Millis now_ms) const {
  if (window_start_ == 0) window_start_ = now_ms;
  if (now_ms - window_start_ < kWindowMs) return;
  const bool skipped_one = now_ms - window_start_ >= 2 * kWindowMs;
  for (auto it = failures_.begin(); it != failures_.end();) {
    it->second.previous = skipped_one ? 0 : it->second.current;
    it->second.current = 0;
    it = it->second.previous == 0 ? failures_.erase(it) : std::next(it);
  }
  window_start_ = now_ms;
}

void Metrics::render(std::string& out, Millis now_ms) const {
  header(out, "axon_events_ingested_total", "counter", "Events accepted by the API (202).");
  sample(out, "axon_events_ingested_total", "", events_ingested_.load());

  header(out, "axon_deliveries_total", "counter",
         "Delivery attempts by outcome: succeeded, retried (a retry is scheduled) or dead "
         "(the delivery became a dead letter).");
  static constexpr std::array<std::string_view, 3> kOutcomes = {"succeeded", "retried", "dead"};
  for (std::size_t i = 0; i < kOutcomes.size(); ++i) {
    sample(out, "axon_deliveries_total", "outcome=\"" + std::string(kOutcomes[i]) + "\"",
           outcomes_[i].load());
  }

  header(out, "axon_attempts_total", "counter", "Delivery attempts made by this process.");
  sample(out, "axon_attempts_total", "", attempts());

  header(out, "axon_attempt_errors_total", "counter", "Failed delivery attempts by error class.");
  for (std::size_t i = 0; i < kErrorClasses.size(); ++i) {
    sample(out, "axon_attempt_errors_total", "class=\"" + std::string(kErrorClasses[i]) + "\"",
           errors_[i].load());
  }

  header(out, "axon_attempt_duration_seconds", "histogram",
         "Duration of delivery attempts (request sent to response read or failure).");
  std::int64_t cumulative = 0;
  for (std::size_t i = 0; i < latency_buckets_.size(); ++i) {
    cumulative += latency_buckets_[i].load();
    const std::string le = i < kLatencyBucketsMs.size() ? seconds(kLatencyBucketsMs[i]) : "+Inf";
    sample(out, "axon_attempt_duration_seconds_bucket", "le=\"" + le + "\"", cumulative);
  }
  out.append("axon_attempt_duration_seconds_sum ")
      .append(seconds(latency_sum_ms_.load()))
      .append("\n");
  sample(out, "axon_attempt_duration_seconds_count", "", cumulative);

  header(out, "axon_deliveries_in_flight", "gauge", "Delivery attempts currently in flight.");
  sample(out, "axon_deliveries_in_flight", "", in_flight_.load());

  header(out, "axon_endpoints_disabled_total", "counter",
         "Endpoints disabled by the dispatcher (410 Gone or failing too long).");
  sample(out, "axon_endpoints_disabled_total", "", endpoints_disabled_.load());

  header(out, "axon_deliveries_unsignable_total", "counter",
         "Deliveries handed back unattempted: this node's master key cannot open the "
         "endpoint's secret.");
  sample(out, "axon_deliveries_unsignable_total", "", deliveries_unsignable_.load());

  std::vector<std::pair<std::string, std::int64_t>> recent;
  {
    std::lock_guard lock(failures_mu_);
    rotate_locked(now_ms);
    for (const auto& [id, r] : failures_) recent.emplace_back(id, r.current + r.previous);
  }
  std::sort(recent.begin(), recent.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  header(out, "axon_endpoint_recent_failures", "gauge",
         "Failed attempts per endpoint in the last 5-10 minutes; the top 20 endpoints by "
         "failures, the rest summed as endpoint=\"other\".");
  std::int64_t other = 0;
  for (std::size_t i = 0; i < recent.size(); ++i) {
    if (i < kTopEndpoints && recent[i].first != "other") {
      sample(out, "axon_endpoint_recent_failures",
             "endpoint=\"" + prometheus_label_value(recent[i].first) + "\"", recent[i].second);
    } else {
      other += recent[i].second;
    }
  }
  sample(out, "axon_endpoint_recent_failures", "endpoint=\"other\"", other);
}

}  // namespace axon
