#include "delivery/dispatcher.hpp"

#include <spdlog/spdlog.h>

#include "core/log.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "core/url_policy.hpp"
#include "delivery/attempt_outcome.hpp"
#include "delivery/http_sender.hpp"
#include "delivery/operational_emitter.hpp"
#include "delivery/store_lane.hpp"
#include "delivery/token_bucket.hpp"
#include "delivery/webhook_request.hpp"

namespace axon {
namespace {

using Steady = std::chrono::steady_clock;

std::string_view delivery_outcome_name(DeliveryStatus status) {
  switch (status) {
    case DeliveryStatus::succeeded: return "succeeded";
    case DeliveryStatus::dead: return "dead";
    case DeliveryStatus::pending: break;
  }
  return "retried";
}

Millis ms_until(Steady::time_point t, Steady::time_point now) {
  if (t <= now) return 0;
  return std::chrono::ceil<std::chrono::milliseconds>(t - now).count();
}

// Connections are per scheme://host:port, so that is what max_per_host counts.
std::string host_key(const std::string& url) {
  auto parsed = parse_endpoint_url(url);
  if (!parsed) return url;
  return parsed->scheme + "://" + parsed->host + ":" + std::to_string(parsed->port);
}

// How long a leased job may sit in the local queue before its lease is handed back: an
// attempt started later could outlive the lease.
constexpr Millis kLeaseMargin = 5'000;
constexpr Millis kLeaseCheckInterval = 1'000;
constexpr Millis kMinIdleSleep = 10;
constexpr Millis kNotifyCoalesce = 2;  // next_due_at said "now" but nothing was claimable
constexpr Millis kMaxStoreBackoff = 5'000;
constexpr int kStopFlushTries = 5;
// A delivery whose secret this node cannot open waits this long before anyone claims it again.
constexpr Millis kUnsignableRetryDelay = 30'000;

}  // namespace

struct Dispatcher::Impl {
  // What the dispatcher thread knows about one endpoint with work queued or in flight.
  struct EndpointState {
    std::deque<DeliveryJob> queue;  // leased, waiting for max_in_flight / rate_limit / host cap
    int in_flight = 0;
    int max_in_flight = 0;  // 0 = unlimited; fifo endpoints get 1
    bool fifo = false;
    std::string url;
    std::string host;
    TokenBucket bucket;
    double avg_ms = 200;  // moving average attempt duration, to estimate queue drain time
    Steady::time_point last_used{};    // last attempt started
    Steady::time_point last_result{};  // last attempt finished
    int handbacks = 0;                 // consecutive hand-backs of surplus (backoff)
  };

  Store& store;
  const SecretBox& secrets;
  const Clock& clock;
  Random& random;
  const DispatcherOptions options;
  const Millis lease_ms;
  DispatcherStats stats;
  HttpSender sender;
  // Every store call of the running dispatcher goes through the lane (its own thread), so
  // the network loop below never waits for the database.
  StoreLane lane{[this] { sender.wakeup(); }};
  // Operational events of outcomes: collected in on_result, emitted first thing in record().
  OperationalEmitter operational{store, clock, options.operational_failing_after,
                                 [this] { notified.store(true); sender.wakeup(); }};

  std::mutex lifecycle_mu;  // start/stop
  std::thread thread;
  std::atomic<bool> stop_requested{false};
  std::atomic<Millis> grace_ms{0};
  std::atomic<bool> notified{false};
  bool notify_pending = false;  // dispatcher thread: a notify() not yet applied to next_claim_at

  // --- dispatcher-thread state (touched only by the thread) ---
  std::unordered_map<std::string, EndpointState> endpoints;
  std::unordered_set<std::string> waiting;  // endpoints with a non-empty queue
  std::unordered_map<std::string, int> host_in_flight;
  struct InFlight {
    AttemptContext context;
    std::string host;  // counted against this host (the endpoint's URL may change meanwhile)
  };
  std::unordered_map<std::uint64_t, InFlight> in_flight;
  std::uint64_t next_tag = 1;
  std::size_t queued = 0;
  std::vector<AttemptRecord> outcomes;  // recorded by the next flush
  std::size_t recording = 0;  // outcomes of the batch on the lane (0 = none), not yet committed
  int claim_outstanding = 0;            // limit of the claim on the lane (0 = none)
  Steady::time_point oldest_outcome{};
  Steady::time_point next_flush_try{};
  Millis flush_backoff = 0;
  Millis claim_backoff = 0;
  Millis next_claim_at = 0;  // wall clock; 0 = now
  Millis last_claim_at = 0;
  std::optional<Steady::time_point> rate_wakeup;
  std::vector<std::pair<Millis, std::vector<std::string>>> releases;  // (due_at, ids)
  Steady::time_point next_lease_check{};
  Steady::time_point next_gc{};
  Millis next_auto_disable_at = 0;
  std::unordered_map<std::string, std::string> secret_cache;  // sealed -> opened

  Impl(Store& s, const SecretBox& sb, const Clock& c, Random& r, DispatcherOptions o)
      : store(s),
        secrets(sb),
        clock(c),
        random(r),
        options(std::move(o)),
        lease_ms(options.lease_ms > 0 ? options.lease_ms : options.request_timeout + 10'000),
        sender(c, HttpSenderOptions{
                      .request_timeout = options.request_timeout,
                      .connect_timeout = options.connect_timeout,
                      .allow_private = options.allow_private_targets,
                      .max_host_connections = std::max(1, options.max_per_host),
                      .max_cached_connections = std::max(64, options.max_in_flight),
                      .egress = options.egress,
                  }) {}

  // ---------------------------------------------------------------- main loop

  void run() {
    spdlog::debug("dispatcher {} started", options.owner);
    while (!stop_requested.load()) {
      try {
        turn();
      } catch (const std::exception& e) {  // never let one bad turn kill deliveries
        spdlog::error("dispatcher: unexpected error: {}", e.what());
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
    shutdown();
    spdlog::debug("dispatcher {} stopped", options.owner);
  }

  void turn() {
    lane.run_completions();
    const Millis now = clock.now_ms();
    const auto steady_now = Steady::now();
    // A burst of notify() calls (one per ingested event) shares one claim. A notification
    // that arrives while a claim is on the lane applies after it (the claim may have missed
    // the new work).
    if (notified.exchange(false)) notify_pending = true;
    if (notify_pending && claim_outstanding == 0) {
      notify_pending = false;
      next_claim_at = std::min(next_claim_at, last_claim_at + kNotifyCoalesce);
    }
    claim(now);
    if (steady_now >= next_lease_check) {
      hand_back_expiring_leases(now);
      next_lease_check = steady_now + std::chrono::milliseconds(kLeaseCheckInterval);
    }
    start_ready(now);
    send_releases();
    for (auto& result : sender.poll(sleep_budget())) on_result(result);
    flush();
    housekeeping();
  }

  // Outcomes not yet recorded and an outstanding claim count against capacity: during a
  // store outage claiming pauses instead of piling up work that cannot be recorded.
  int free_capacity() const {
    return options.max_in_flight - claim_outstanding -
           static_cast<int>(in_flight.size() + queued + outcomes.size() + recording);
  }

  // Claim only when a worthwhile batch fits, so a busy dispatcher does not run one
  // transaction per finished attempt.
  bool may_claim() const {
    const int capacity = free_capacity();
    if (capacity <= 0) return false;
    const int low_water = std::max(1, std::min(options.claim_batch, options.max_in_flight) / 4);
    return capacity >= low_water || (in_flight.empty() && queued == 0);
  }

  void claim(Millis now) {
    if (claim_outstanding > 0 || now < next_claim_at || !may_claim()) return;
    const int limit = std::min(options.claim_batch, free_capacity());
    last_claim_at = now;
    claim_outstanding = limit;
    lane.post([this, now, limit]() -> StoreLane::Continuation {
      auto jobs = store.claim_due(options.owner, now, lease_ms, limit);
      std::optional<Result<std::optional<Millis>>> next_due;
      // Everything due was claimed: ask when the next delivery becomes due.
      if (jobs && static_cast<int>(jobs->size()) < limit) next_due = store.next_due_at();
      return [this, now, limit, jobs = std::move(jobs), next_due = std::move(next_due)]() mutable {
        claim_outstanding = 0;
        on_claimed(now, limit, jobs, next_due);
      };
    });
  }

  void on_claimed(Millis now, int limit, Result<std::vector<DeliveryJob>>& jobs,
                  const std::optional<Result<std::optional<Millis>>>& next_due) {
    if (!jobs) {
      claim_backoff = std::min(kMaxStoreBackoff, std::max<Millis>(100, claim_backoff * 2));
      spdlog::warn("dispatcher: claim failed ({}), retrying in {} ms", jobs.error().message,
                   claim_backoff);
      next_claim_at = now + claim_backoff;
      return;
    }
    claim_backoff = 0;
    const auto count = static_cast<int>(jobs->size());
    for (auto& job : *jobs) enqueue(std::move(job));
    if (count >= limit) {
      next_claim_at = now;  // probably more due
      return;
    }
    // Everything due is ours: sleep until the next delivery becomes due.
    next_claim_at = now + options.poll_interval;
    if (next_due && *next_due && **next_due) {
      next_claim_at = std::clamp(***next_due, now + kMinIdleSleep, now + options.poll_interval);
    }
  }

  void enqueue(DeliveryJob job) {
    auto [it, inserted] = endpoints.try_emplace(job.endpoint_id);
    EndpointState& ep = it->second;
    ep.max_in_flight = job.ordering == Ordering::fifo ? 1 : std::max(0, job.max_in_flight);
    ep.fifo = job.ordering == Ordering::fifo;
    ep.bucket.set_rate(job.rate_limit, Steady::now());
    if (ep.url != job.url) {
      ep.url = job.url;
      ep.host = host_key(job.url);
    }
    waiting.insert(job.endpoint_id);
    ep.queue.push_back(std::move(job));
    ++queued;
  }

  // Starts every queued job its endpoint, host and bucket allow; hands back the surplus.
  void start_ready(Millis now) {
    const auto steady_now = Steady::now();
    rate_wakeup.reset();
    for (auto it = waiting.begin(); it != waiting.end();) {
      EndpointState& ep = endpoints[*it];
      int& host_count = host_in_flight[ep.host];
      while (!ep.queue.empty()) {
        if (ep.max_in_flight > 0 && ep.in_flight >= ep.max_in_flight) break;
        if (host_count >= options.max_per_host) break;
        if (!ep.bucket.try_take(steady_now)) {
          const auto at = ep.bucket.time_for(1.0, steady_now);
          if (!rate_wakeup || at < *rate_wakeup) rate_wakeup = at;
          break;
        }
        DeliveryJob job = std::move(ep.queue.front());
        ep.queue.pop_front();
        --queued;
        ++ep.in_flight;
        ++host_count;
        ep.last_used = steady_now;
        start(std::move(job), ep.host, now);
      }
      hand_back_surplus(ep, now, steady_now);
      it = ep.queue.empty() ? waiting.erase(it) : std::next(it);
    }
  }

  // An endpoint keeps about a second of work locally; the rest goes back to the store, due
  // when the kept work should have drained, instead of holding leases and process capacity
  // that other endpoints could use. Without endpoint limits the per-host connection cap is
  // its concurrency, and an endpoint that stopped answering (no result for a while) counts
  // as slow as that silence, so a hung endpoint keeps only 2 × the cap queued. Repeated
  // hand-backs back off, so a hung endpoint's surplus is not claimed again every few ms.
  void hand_back_surplus(EndpointState& ep, Millis now, Steady::time_point steady_now) {
    if (ep.queue.empty()) {
      ep.handbacks = 0;
      return;
    }
    std::size_t keep = ep.queue.size();
    double drain_ms = 0;
    if (ep.bucket.limited()) {
      const double rate = ep.bucket.rate();
      keep = std::min(keep, 1 + static_cast<std::size_t>(rate));
      drain_ms = std::max(drain_ms, static_cast<double>(keep) / rate * 1000.0);
    }
    const int concurrency = ep.max_in_flight > 0 ? ep.max_in_flight : options.max_per_host;
    double per_attempt_ms = ep.avg_ms;
    if (ep.in_flight > 0) {
      const auto silent = std::chrono::duration<double, std::milli>(
          steady_now - std::max(ep.last_used, ep.last_result));
      per_attempt_ms = std::max(per_attempt_ms, silent.count());
    }
    const auto second_of_work = static_cast<std::size_t>(
        static_cast<double>(concurrency) * 1000.0 / std::max(1.0, per_attempt_ms));
    keep = std::min(keep, std::max(static_cast<std::size_t>(2 * concurrency + 2), second_of_work));
    drain_ms = std::max(drain_ms, per_attempt_ms * static_cast<double>(keep) / concurrency);
    if (ep.queue.size() <= keep) return;
    std::vector<std::string> ids;
    while (ep.queue.size() > keep) {
      ids.push_back(std::move(ep.queue.back().delivery_id));
      ep.queue.pop_back();
      --queued;
    }
    std::reverse(ids.begin(), ids.end());
    const double backoff = static_cast<double>(1 << std::min(ep.handbacks, 6));
    ++ep.handbacks;
    const Millis due_in = std::clamp<Millis>(std::llround(drain_ms * backoff), 50, 60'000);
    releases.emplace_back(now + due_in, std::move(ids));
  }

  // Jobs whose lease would run out before an attempt started now could finish go back.
  void hand_back_expiring_leases(Millis now) {
    const Millis needed = now + std::min(options.request_timeout + kLeaseMargin, lease_ms / 2);
    std::vector<std::string> ids;
    for (const auto& id : waiting) {
      auto& ep = endpoints[id];
      while (!ep.queue.empty() && ep.queue.front().lease_expires_at < needed) {
        ids.push_back(std::move(ep.queue.front().delivery_id));
        ep.queue.pop_front();
        --queued;
      }
    }
    std::erase_if(waiting, [&](const std::string& id) { return endpoints[id].queue.empty(); });
    if (!ids.empty()) releases.emplace_back(now, std::move(ids));
  }

  void send_releases() {
    if (releases.empty()) return;
    for (const auto& release : releases) next_claim_at = std::min(next_claim_at, release.first);
    lane.post([this, batch = std::move(releases)]() -> StoreLane::Continuation {
      for (const auto& [due_at, ids] : batch) {
        if (auto r = store.release_deliveries(options.owner, ids, due_at); !r) {
          // They stay leased to us until the lease expires; then anyone may claim them.
          spdlog::warn("dispatcher: could not hand back {} deliveries: {}", ids.size(),
                       r.error().message);
        }
      }
      return {};
    });
    releases.clear();
  }

  // ---------------------------------------------------------------- one attempt

  void start(DeliveryJob job, const std::string& host, Millis now) {
    std::vector<std::string> keys = open_secrets(job.secrets_sealed);
    std::vector<std::string> client_key;  // the mTLS key, opened like the secrets
    if (job.tls_client_key_sealed) client_key = open_secrets({*job.tls_client_key_sealed});
    if (keys.empty() || (job.tls_client_key_sealed && client_key.empty())) {
      hand_back_unsignable(std::move(job), host, now);
      return;
    }
    const std::uint64_t tag = next_tag++;
    in_flight.emplace(tag, InFlight{attempt_context(job), host});
    stats.in_flight.store(static_cast<std::int64_t>(in_flight.size()));
    HttpRequest request;
    request.headers = webhook_headers(job, keys, now / 1000, options.user_agent);
    request.url = std::move(job.url);
    request.body = std::move(job.payload);
    if (!client_key.empty()) {
      request.client_certificate_pem = job.tls_client_certificate.value_or("");
      request.client_key_pem = std::move(client_key.front());
    }
    sender.submit(std::move(request), tag);
  }

  // This node's master key cannot open the endpoint's secret: the receiver is not at fault,
  // so no attempt is recorded; the delivery goes back for a node that can sign it.
  void hand_back_unsignable(DeliveryJob job, const std::string& host, Millis now) {
    --endpoints[job.endpoint_id].in_flight;
    --host_in_flight[host];
    stats.unsignable.fetch_add(1);
    if (options.metrics) options.metrics->delivery_unsignable();
    log_event(spdlog::level::err, "delivery handed back: the endpoint's signing secret or "
                                  "client key cannot be opened with this node's master key",
              {{"tenant_id", job.tenant_id},
               {"endpoint_id", job.endpoint_id},
               {"delivery_id", job.delivery_id}});
    releases.emplace_back(now + kUnsignableRetryDelay,
                          std::vector<std::string>{std::move(job.delivery_id)});
  }

  std::vector<std::string> open_secrets(const std::vector<std::string>& sealed) {
    std::vector<std::string> keys;
    keys.reserve(sealed.size());
    for (const auto& s : sealed) {
      if (auto cached = secret_cache.find(s); cached != secret_cache.end()) {
        keys.push_back(cached->second);
        continue;
      }
      auto opened = secrets.open(s);
      if (!opened) continue;
      if (secret_cache.size() > 10'000) secret_cache.clear();
      secret_cache.emplace(s, *opened);
      keys.push_back(std::move(*opened));
    }
    return keys;
  }

  void on_result(const HttpResult& result) {
    auto node = in_flight.extract(result.tag);
    if (node.empty()) return;
    stats.in_flight.store(static_cast<std::int64_t>(in_flight.size()));
    const AttemptContext& context = node.mapped().context;
    --host_in_flight[node.mapped().host];
    if (auto ep = endpoints.find(context.endpoint_id); ep != endpoints.end()) {
      --ep->second.in_flight;
      ep->second.avg_ms = 0.8 * ep->second.avg_ms + 0.2 * result.duration_ms;
      ep->second.last_result = Steady::now();
    }
    const Millis now = clock.now_ms();
    const Decision decision = options.retry_policy.decide(to_attempt_result(result),
                                                          context.attempt_in_series, now, random);
    AttemptRecord record = make_attempt_record(context, result, decision);
    operational.collect(context, record);
    count_and_log(context, record, result);
    if (record.disable_endpoint) hold_endpoint(context.endpoint_id, now);
    if (outcomes.empty()) oldest_outcome = Steady::now();
    outcomes.push_back(std::move(record));
  }

  void count_and_log(const AttemptContext& context, const AttemptRecord& record,
                     const HttpResult& result) {
    stats.attempts.fetch_add(1);
    switch (record.new_status) {
      case DeliveryStatus::succeeded:
        stats.succeeded.fetch_add(1);
        break;
      case DeliveryStatus::pending:
        stats.retried.fetch_add(1);
        break;
      case DeliveryStatus::dead:
        stats.dead.fetch_add(1);
        break;
    }
    if (options.metrics) {
      const auto outcome = record.new_status == DeliveryStatus::succeeded ? Metrics::Outcome::succeeded
                           : record.new_status == DeliveryStatus::dead    ? Metrics::Outcome::dead
                                                                          : Metrics::Outcome::retried;
      options.metrics->attempt(outcome, record.attempt.error, result.duration_ms,
                               record.endpoint_id, clock.now_ms());
      if (record.disable_endpoint) options.metrics->endpoint_disabled();
    }
    log_event(record.new_status == DeliveryStatus::succeeded ? spdlog::level::debug
                                                              : spdlog::level::info,
              "attempt made",
              {{"tenant_id", context.tenant_id},
               {"endpoint_id", record.endpoint_id},
               {"delivery_id", record.delivery_id},
               {"attempt", record.attempt.n},
               {"status_code", result.status_code},
               {"error", record.attempt.error},
               {"duration_ms", result.duration_ms},
               {"outcome", delivery_outcome_name(record.new_status)}});
    if (record.new_status == DeliveryStatus::dead) {
      log_event(spdlog::level::warn, "delivery dead",
                {{"tenant_id", context.tenant_id},
                 {"endpoint_id", record.endpoint_id},
                 {"delivery_id", record.delivery_id},
                 {"attempt", record.attempt.n},
                 {"error", record.attempt.error},
                 {"reason", record.disable_reason.empty() ? result.error_message
                                                          : record.disable_reason}});
    }
    if (record.disable_endpoint) {
      log_event(spdlog::level::warn, "endpoint disabled",
                {{"tenant_id", context.tenant_id},
                 {"endpoint_id", record.endpoint_id},
                 {"reason", record.disable_reason}});
    }
  }

  // The endpoint answered 410 and is being disabled: its queued jobs go back unattempted
  // (they wait in the store until it is enabled again).
  void hold_endpoint(const std::string& endpoint_id, Millis now) {
    auto it = endpoints.find(endpoint_id);
    if (it == endpoints.end() || it->second.queue.empty()) return;
    std::vector<std::string> ids;
    for (auto& job : it->second.queue) ids.push_back(std::move(job.delivery_id));
    queued -= it->second.queue.size();
    it->second.queue.clear();  // start_ready drops it from `waiting`
    releases.emplace_back(now, std::move(ids));
  }

  // ---------------------------------------------------------------- recording

  // Group commit: one complete_attempts per batch, on the lane, at most one batch at a time
  // (outcomes that finish meanwhile form the next, bigger batch). On a store outage the
  // records stay buffered (they count against capacity, so claiming pauses) and the flush is
  // retried with backoff; nothing is dropped.
  void flush() {
    if (outcomes.empty() || recording > 0) return;
    const auto now = Steady::now();
    if (now < next_flush_try) return;
    const bool due =
        in_flight.empty() ||
        outcomes.size() >= static_cast<std::size_t>(std::max(1, options.claim_batch)) ||
        now - oldest_outcome >= std::chrono::milliseconds(options.flush_delay);
    if (!due) return;
    recording = outcomes.size();
    lane.post([this, batch = std::move(outcomes)]() mutable -> StoreLane::Continuation {
      auto r = record(batch);
      return [this, r = std::move(r), batch = std::move(batch)]() mutable {
        recording = 0;
        on_recorded(r, std::move(batch));
      };
    });
    outcomes.clear();
  }

  // Store side of a flush (lane thread, or the dispatcher thread once the lane is idle).
  Result<void> record(std::vector<AttemptRecord>& batch) {
    if (auto emitted = operational.emit_pending(); !emitted) return emitted;  // before outcomes
    auto r = store.complete_attempts(options.owner, batch, clock.now_ms());
    if (!r && !is_store_outage(r.error().code)) r = record_one_by_one(batch);
    return r;
  }

  void on_recorded(const Result<void>& r, std::vector<AttemptRecord> batch) {
    if (!r) {
      flush_backoff = std::min(kMaxStoreBackoff, std::max<Millis>(100, flush_backoff * 2));
      next_flush_try = Steady::now() + std::chrono::milliseconds(flush_backoff);
      spdlog::warn("dispatcher: recording {} attempts failed ({}), retrying in {} ms",
                   batch.size(), r.error().message, flush_backoff);
      // Keep them, oldest first, ahead of outcomes that finished meanwhile.
      if (outcomes.empty()) oldest_outcome = Steady::now();
      batch.insert(batch.end(), std::make_move_iterator(outcomes.begin()),
                   std::make_move_iterator(outcomes.end()));
      outcomes = std::move(batch);
      return;
    }
    flush_backoff = 0;
    for (const auto& rec : batch) {
      if (rec.new_status == DeliveryStatus::pending) {
        next_claim_at = std::min(next_claim_at, rec.next_attempt_at);
      } else if (auto ep = endpoints.find(rec.endpoint_id); ep != endpoints.end() && ep->second.fifo) {
        // The head of a FIFO endpoint left `pending`: its successor is claimable right now.
        next_claim_at = std::min(next_claim_at, clock.now_ms());
      }
    }
  }

  // A batch the store refuses for a reason other than an outage: record what it accepts,
  // drop (and log) only the records it refuses one by one, so one bad record cannot block
  // every outcome. A dropped record's delivery is retried when its lease expires. On an
  // outage, `batch` keeps the records not yet recorded.
  Result<void> record_one_by_one(std::vector<AttemptRecord>& batch) {
    for (std::size_t i = 0; i < batch.size(); ++i) {
      auto r = store.complete_attempts(options.owner, std::span(&batch[i], 1), clock.now_ms());
      if (r) continue;
      if (is_store_outage(r.error().code)) {
        batch.erase(batch.begin(), batch.begin() + static_cast<long>(i));
        return r;
      }
      spdlog::error("dispatcher: dropping the outcome of attempt {} of delivery {}: {}",
                    batch[i].attempt.n, batch[i].delivery_id, r.error().message);
    }
    batch.clear();
    return {};
  }

  // How long poll() may sleep: until the next claim, token, flush or housekeeping.
  Millis sleep_budget() const {
    const Millis now = clock.now_ms();
    const auto steady_now = Steady::now();
    Millis budget = options.poll_interval;
    if (notified.load()) return 0;
    if (claim_outstanding == 0 && may_claim()) {
      budget = std::min(budget, std::max<Millis>(0, next_claim_at - now));
    }
    if (rate_wakeup) budget = std::min(budget, ms_until(*rate_wakeup, steady_now));
    if (!outcomes.empty() && recording == 0) {
      auto at =
          std::max(next_flush_try, oldest_outcome + std::chrono::milliseconds(options.flush_delay));
      budget = std::min(budget, ms_until(at, steady_now));
    }
    budget = std::min(budget, std::max<Millis>(0, next_auto_disable_at - now));
    return std::max<Millis>(budget, 0);
  }

  void housekeeping() {
    const Millis now = clock.now_ms();
    if (now >= next_auto_disable_at) {
      next_auto_disable_at = now + options.auto_disable_check_interval;
      lane.post([this, now]() -> StoreLane::Continuation {
        auto disabled = store.disable_failing_endpoints(now, options.auto_disable_after);
        if (!disabled) {
          spdlog::warn("dispatcher: auto-disable check failed: {}", disabled.error().message);
          return {};
        }
        for (const auto& ep : *disabled) {
          operational.endpoint_auto_disabled(ep);
          if (options.metrics) options.metrics->endpoint_disabled();
          log_event(spdlog::level::warn, "endpoint disabled",
                    {{"tenant_id", ep.tenant_id}, {"endpoint_id", ep.id},
                     {"reason", ep.disabled_reason}});
        }
        return {};
      });
    }
    // Forget idle endpoints (their bucket would be full again anyway).
    const auto steady_now = Steady::now();
    if (steady_now >= next_gc) {
      next_gc = steady_now + std::chrono::seconds(60);
      std::erase_if(endpoints, [&](const auto& kv) {
        const EndpointState& ep = kv.second;
        return ep.queue.empty() && ep.in_flight == 0 &&
               steady_now - ep.last_used > std::chrono::seconds(10);
      });
      std::erase_if(host_in_flight, [](const auto& kv) { return kv.second == 0; });
    }
  }

  // ---------------------------------------------------------------- shutdown

  void shutdown() {
    // Let the lane finish what it was given (a claim's jobs land in the local queues and go
    // back with release_leases below; a failed batch returns to `outcomes`).
    lane.wait_idle();
    lane.run_completions();
    // Jobs that never started go back via release_leases below.
    for (auto& [id, ep] : endpoints) ep.queue.clear();
    waiting.clear();
    queued = 0;
    releases.clear();

    const auto deadline = Steady::now() + std::chrono::milliseconds(grace_ms.load());
    while (!in_flight.empty()) {
      const auto now = Steady::now();
      if (now >= deadline) break;
      for (auto& result : sender.poll(std::min<Millis>(ms_until(deadline, now), 100))) {
        on_result(result);
      }
    }
    const auto aborted = sender.abort_all();
    if (!aborted.empty()) {
      spdlog::info("dispatcher: stopped {} attempts in flight; their deliveries are handed back",
                   aborted.size());
    }
    in_flight.clear();
    endpoints.clear();  // a restart starts from a clean slate
    host_in_flight.clear();
    stats.in_flight.store(0);

    // The lane is idle now: record the last outcomes directly.
    for (int i = 0; i < kStopFlushTries && !outcomes.empty(); ++i) {
      if (i > 0) std::this_thread::sleep_for(std::chrono::milliseconds(100 << i));
      if (record(outcomes)) outcomes.clear();
    }
    if (!outcomes.empty()) {
      spdlog::error(
          "dispatcher: {} attempt outcomes could not be recorded before exit; those "
          "deliveries will be attempted again",
          outcomes.size());
    }
    if (auto r = store.release_leases(options.owner); !r) {
      spdlog::warn("dispatcher: could not hand back leases ({}); they expire on their own",
                   r.error().message);
    }
  }
};

Dispatcher::Dispatcher(Store& store, const SecretBox& secrets, const Clock& clock, Random& random,
                       DispatcherOptions options)
    : impl_(std::make_unique<Impl>(store, secrets, clock, random, std::move(options))) {}

Dispatcher::~Dispatcher() { stop(); }

void Dispatcher::start() {
  std::lock_guard lock(impl_->lifecycle_mu);
  if (impl_->thread.joinable()) return;
  impl_->stop_requested.store(false);
  impl_->thread = std::thread([impl = impl_.get()] { impl->run(); });
}

void Dispatcher::notify() {
  impl_->notified.store(true);
  impl_->sender.wakeup();
}

void Dispatcher::stop(Millis grace) {
  std::lock_guard lock(impl_->lifecycle_mu);
  if (!impl_->thread.joinable()) return;
  impl_->grace_ms.store(grace);
  impl_->stop_requested.store(true);
  impl_->sender.wakeup();
  impl_->thread.join();
}

const DispatcherStats& Dispatcher::stats() const { return impl_->stats; }

}  // namespace axon
