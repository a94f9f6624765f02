#include "delivery/dispatcher.hpp"

#include <spdlog/spdlog.h>

#include "core/log.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "delivery/attempt_outcome.hpp"
#include "delivery/attempt_report.hpp"
#include "delivery/fair_scheduler.hpp"
#include "delivery/http_sender.hpp"
#include "delivery/operational_emitter.hpp"
#include "delivery/store_lane.hpp"
#include "delivery/webhook_request.hpp"

namespace axon {
namespace {


// How long a leased job may sit in the local queue before its lease is handed back: an
// attempt started later could outlive the lease.
constexpr Millis kLeaseMargin = 5'000;
constexpr Millis kLeaseCheckInterval = 1'000;
constexpr Millis kMinIdleSleep = 10;
constexpr Millis kNotifyCoalesce = 2;  // next_due_at said "now" but nothing was claimable
constexpr Millis kMaxStoreBackoff = 5'000;
// How long claims wait after most of a claim was handed back as surplus. Short: a claim also
// brings other tenants' new work, which must not wait long for a hung tenant.
constexpr Millis kSurplusClaimPause = 200;
constexpr int kStopFlushTries = 5;
// A delivery whose secret this node cannot open waits this long before anyone claims it again.
constexpr Millis kUnsignableRetryDelay = 30'000;

}  // namespace

struct Dispatcher::Impl {
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
  FairScheduler scheduler{clock, SchedulerOptions{.max_in_flight = options.max_in_flight,
                                                   .max_per_destination = options.max_per_address,
                                                   .max_per_service = options.max_per_host}};
  struct InFlight {
    AttemptContext context;
    Slot slot;
    std::string url;
  };
  std::unordered_map<std::uint64_t, InFlight> in_flight;
  std::uint64_t next_tag = 1;
  std::vector<AttemptRecord> outcomes;  // recorded by the next flush
  std::size_t recording = 0;  // outcomes of the batch on the lane (0 = none), not yet committed
  int claim_outstanding = 0;            // limit of the claim on the lane (0 = none)
  Millis oldest_outcome = 0;  // steady
  Millis next_flush_try = 0;  // steady
  Millis flush_backoff = 0;
  Millis claim_backoff = 0;
  Millis claim_paused_until = 0;  // wall clock: claims wait after a claim mostly handed back
  std::size_t last_claimed = 0;   // deliveries the last claim leased
  Millis next_claim_at = 0;  // wall clock; 0 = now
  Millis last_claim_at = 0;
  std::vector<Handback> releases;
  Millis next_lease_check = 0;  // steady
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
                      // No libcurl cap per host:port (0): the scheduler caps per tenant, and
                      // a process-wide cap would let one tenant's hung connections queue
                      // another tenant's transfers inside libcurl until they time out.
                      .max_host_connections = 0,
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
    // A burst of notify() calls (one per ingested event) shares one claim. A notification
    // that arrives while a claim is on the lane applies after it (the claim may have missed
    // the new work).
    if (notified.exchange(false)) notify_pending = true;
    if (notify_pending && claim_outstanding == 0) {
      notify_pending = false;
      next_claim_at = std::min(next_claim_at, last_claim_at + kNotifyCoalesce);
    }
    claim(now);
    if (clock.steady_ms() >= next_lease_check) {
      const Millis needed = now + std::min(options.request_timeout + kLeaseMargin, lease_ms / 2);
      scheduler.collect_expiring(now, needed, releases);
      next_lease_check = clock.steady_ms() + kLeaseCheckInterval;
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
           static_cast<int>(in_flight.size() + scheduler.queued() + outcomes.size() + recording);
  }

  // Claim only when a worthwhile batch fits, so a busy dispatcher does not run one
  // transaction per finished attempt.
  bool may_claim() const {
    const int capacity = free_capacity();
    if (capacity <= 0) return false;
    const int low_water = std::max(1, std::min(options.claim_batch, options.max_in_flight) / 4);
    return capacity >= low_water || (in_flight.empty() && scheduler.queued() == 0);
  }

  void claim(Millis now) {
    if (claim_outstanding > 0 || now < std::max(next_claim_at, claim_paused_until) ||
        !may_claim()) {
      return;
    }
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
    last_claimed = jobs->size();
    for (auto& job : *jobs) scheduler.enqueue(std::move(job));
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

  // Starts every job the scheduler allows now and collects the surplus it hands back.
  void start_ready(Millis now) {
    while (auto ready = scheduler.next_ready()) {
      start(std::move(ready->job), std::move(ready->slot), now);
    }
    const std::size_t before = releases.size();
    scheduler.collect_handbacks(now, releases);
    std::size_t surplus = 0;
    for (std::size_t i = before; i < releases.size(); ++i) surplus += releases[i].delivery_ids.size();
    // Most of what was claimed cannot start (its destinations are full or hung): claiming
    // again at once would only lease more of it and hand it back, over and over.
    if (surplus > 0 && 2 * surplus >= last_claimed) claim_paused_until = now + kSurplusClaimPause;
  }

  void send_releases() {
    if (releases.empty()) return;
    for (const auto& release : releases) next_claim_at = std::min(next_claim_at, release.due_at);
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

  void start(DeliveryJob job, Slot slot, Millis now) {
    std::vector<std::string> keys = open_secrets(job.secrets_sealed);
    std::vector<std::string> client_key;  // the mTLS key, opened like the secrets
    if (job.tls_client_key_sealed) client_key = open_secrets({*job.tls_client_key_sealed});
    if (keys.empty() || (job.tls_client_key_sealed && client_key.empty())) {
      hand_back_unsignable(std::move(job), slot, now);
      return;
    }
    const std::uint64_t tag = next_tag++;
    in_flight.emplace(tag, InFlight{attempt_context(job), std::move(slot), job.url});
    stats.in_flight.store(static_cast<std::int64_t>(in_flight.size()));
    HttpRequest request;
    request.headers = webhook_headers(job, keys, now / 1000, options.user_agent);
    request.url = std::move(job.url);
    request.body = std::move(job.payload);  // shared, not copied
    if (!client_key.empty()) {
      request.client_certificate_pem = job.tls_client_certificate.value_or("");
      request.client_key_pem = std::move(client_key.front());
    }
    sender.submit(std::move(request), tag);
  }

  // This node's master key cannot open the endpoint's secret: the receiver is not at fault,
  // so no attempt is recorded; the delivery goes back for a node that can sign it.
  void hand_back_unsignable(DeliveryJob job, const Slot& slot, Millis now) {
    scheduler.finished(slot, 0);  // no attempt was made: the slot is free again
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
    scheduler.finished(node.mapped().slot, result.duration_ms);
    scheduler.learn_address(node.mapped().url, result.remote_address);
    const Millis now = clock.now_ms();
    const Decision decision = options.retry_policy.decide(to_attempt_result(result),
                                                          context.attempt_in_series, now, random);
    AttemptRecord record = make_attempt_record(context, result, decision);
    operational.collect(context, record);
    report_attempt(stats, options.metrics, clock.now_ms(), context, record, result);
    if (record.disable_endpoint) hold_endpoint(context.endpoint_id, now);
    if (outcomes.empty()) oldest_outcome = clock.steady_ms();
    outcomes.push_back(std::move(record));
  }

  // The endpoint answered 410 and is being disabled: its queued jobs go back unattempted
  // (they wait in the store until it is enabled again).
  void hold_endpoint(const std::string& endpoint_id, Millis now) {
    auto ids = scheduler.drop_endpoint(endpoint_id);
    if (!ids.empty()) releases.push_back(Handback{now, std::move(ids)});
  }

  // ---------------------------------------------------------------- recording

  // Group commit: one complete_attempts per batch, on the lane, at most one batch at a time
  // (outcomes that finish meanwhile form the next, bigger batch). On a store outage the
  // records stay buffered (they count against capacity, so claiming pauses) and the flush is
  // retried with backoff; nothing is dropped.
  void flush() {
    if (outcomes.empty() || recording > 0) return;
    const Millis now = clock.steady_ms();
    if (now < next_flush_try) return;
    const bool due =
        in_flight.empty() ||
        outcomes.size() >= static_cast<std::size_t>(std::max(1, options.claim_batch)) ||
        now - oldest_outcome >= options.flush_delay;
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
      next_flush_try = clock.steady_ms() + flush_backoff;
      spdlog::warn("dispatcher: recording {} attempts failed ({}), retrying in {} ms",
                   batch.size(), r.error().message, flush_backoff);
      // Keep them, oldest first, ahead of outcomes that finished meanwhile.
      if (outcomes.empty()) oldest_outcome = clock.steady_ms();
      batch.insert(batch.end(), std::make_move_iterator(outcomes.begin()),
                   std::make_move_iterator(outcomes.end()));
      outcomes = std::move(batch);
      return;
    }
    flush_backoff = 0;
    for (const auto& rec : batch) {
      if (rec.new_status == DeliveryStatus::pending) {
        next_claim_at = std::min(next_claim_at, rec.next_attempt_at);
      } else if (scheduler.is_fifo(rec.endpoint_id)) {
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
    const Millis steady_now = clock.steady_ms();
    Millis budget = options.poll_interval;
    if (notified.load()) return 0;
    if (claim_outstanding == 0 && may_claim()) {
      budget = std::min(budget, std::max<Millis>(0, next_claim_at - now));
    }
    if (auto at = scheduler.next_rate_wakeup()) {
      budget = std::min(budget, std::max<Millis>(0, *at - steady_now));
    }
    if (!outcomes.empty() && recording == 0) {
      const Millis at = std::max(next_flush_try, oldest_outcome + options.flush_delay);
      budget = std::min(budget, std::max<Millis>(0, at - steady_now));
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
    scheduler.forget_idle();
  }

  // ---------------------------------------------------------------- shutdown

  void shutdown() {
    // Let the lane finish what it was given (a claim's jobs land in the local queues and go
    // back with release_leases below; a failed batch returns to `outcomes`).
    lane.wait_idle();
    lane.run_completions();
    // Jobs that never started go back via release_leases below.
    scheduler.drop_all_queued();
    releases.clear();

    // Real time: the grace is for the network, which a fake clock does not move.
    using Steady = std::chrono::steady_clock;
    const auto deadline = Steady::now() + std::chrono::milliseconds(grace_ms.load());
    while (!in_flight.empty()) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Steady::now());
      if (left.count() <= 0) break;
      for (auto& result : sender.poll(std::min<Millis>(left.count(), 100))) {
        on_result(result);
      }
    }
    const auto aborted = sender.abort_all();
    if (!aborted.empty()) {
      spdlog::info("dispatcher: stopped {} attempts in flight; their deliveries are handed back",
                   aborted.size());
    }
    for (const auto& [tag, attempt] : in_flight) scheduler.finished(attempt.slot, 0);
    in_flight.clear();
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
