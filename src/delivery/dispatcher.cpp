#include "delivery/dispatcher.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "core/log.hpp"
#include "delivery/attempt_outcome.hpp"
#include "delivery/attempt_report.hpp"
#include "delivery/auto_disable.hpp"
#include "delivery/claim_pacer.hpp"
#include "delivery/fair_scheduler.hpp"
#include "delivery/http_sender.hpp"
#include "delivery/lease_keeper.hpp"
#include "delivery/operational_emitter.hpp"
#include "delivery/outcome_recorder.hpp"
#include "delivery/pacing.hpp"
#include "delivery/secret_cache.hpp"
#include "delivery/store_lane.hpp"
#include "delivery/webhook_request.hpp"

namespace axon {
namespace {

constexpr int kStopFlushTries = 5;

}  // namespace

// The dispatcher thread's turn wires the parts together; each part keeps one rule:
// ClaimPacer (when and how much to claim), FairScheduler (which job starts next),
// SecretCache (opening secrets), HttpSender (the network), OutcomeRecorder (group commit of
// outcomes), LeaseKeeper (hand-backs and expiring leases), StoreLane (every store call, off
// the network loop).
struct Dispatcher::Impl {
  Store& store;
  const Clock& clock;
  Random& random;
  const DispatcherOptions options;
  DispatcherStats stats;
  HttpSender sender;
  // Every store call of the running dispatcher goes through a lane (a thread of its own), so
  // the network loop below never waits for the database. Claims and hand-backs go through
  // `claims_lane`; outcome batches (with their operational events) and the auto-disable check
  // through `outcomes_lane`, so a claim never waits behind a group commit and the senders
  // are fed while outcomes are written. Nothing relies on an order between the two lanes:
  // - FIFO: the store offers a FIFO endpoint's next delivery only once its predecessor's
  //   final outcome is committed (until then the predecessor is the pending head, leased or
  //   waiting for its retry), so a claim that runs beside an outcome batch sees the
  //   successor either not yet, or after that commit; the scheduler runs one at a time.
  // - Capacity: outcomes count against ClaimPacer until their continuation has run here.
  // - Pacing: work an outcome makes due while a claim is out applies after it (ClaimPacer).
  // - Shutdown: both lanes drain before the last outcomes are recorded and leases released.
  // Hand-backs stay behind claims on one lane: a claim posted after a hand-back sees it.
  StoreLane claims_lane{[this] { sender.wakeup(); }};
  std::unique_ptr<StoreLane> own_outcomes_lane =
      options.concurrent_outcomes ? std::make_unique<StoreLane>([this] { sender.wakeup(); })
                                  : nullptr;
  StoreLane& outcomes_lane = own_outcomes_lane ? *own_outcomes_lane : claims_lane;
  // Operational events of outcomes: collected in on_result, emitted first thing in record().
  OperationalEmitter operational{store, clock, options.operational_failing_after,
                                 [this] { announce(); }};

  std::mutex lifecycle_mu;  // start/stop
  std::thread thread;
  std::atomic<bool> stop_requested{false};
  std::atomic<Millis> grace_ms{0};
  std::atomic<std::uint64_t> announcements{0};  // every announcement of new work

  // New work may be due (Dispatcher::notify, an operational event): the next turn claims.
  void announce() {
    announcements.fetch_add(1);
    sender.wakeup();
  }

  // --- dispatcher-thread state (touched only by the thread) ---
  std::uint64_t announcements_seen = 0;  // announcements counted by the last turn
  FairScheduler scheduler{clock, SchedulerOptions{.max_in_flight = options.max_in_flight,
                                                  .max_per_destination = options.max_per_address,
                                                  .max_per_service = options.max_per_host}};
  ClaimPacer pacer{ClaimPacerOptions{.max_in_flight = options.max_in_flight,
                                     .claim_batch = options.claim_batch,
                                     .poll_interval = options.poll_interval}};
  OutcomeRecorder outcomes{options.flush_delay, options.claim_batch};
  LeaseKeeper leases{LeaseKeeper::lease_for(options.lease_ms, options.request_timeout),
                     options.request_timeout};
  SecretCache secret_cache;
  Periodic auto_disable_check{options.auto_disable_check_interval};  // wall time
  struct InFlight {
    AttemptContext context;
    Slot slot;
    std::string url;
  };
  std::unordered_map<std::uint64_t, InFlight> in_flight;
  std::uint64_t next_tag = 1;

  Impl(Store& s, const SecretBox& sb, const Clock& c, Random& r, DispatcherOptions o)
      : store(s),
        clock(c),
        random(r),
        options(std::move(o)),
        sender(c,
               HttpSenderOptions{
                   .request_timeout = options.request_timeout,
                   .connect_timeout = options.connect_timeout,
                   .allow_private = options.allow_private_targets,
                   // No libcurl cap per host:port (0): the scheduler caps per tenant, and
                   // a process-wide cap would let one tenant's hung connections queue
                   // another tenant's transfers inside libcurl until they time out.
                   .max_host_connections = 0,
                   .max_cached_connections = std::max(64, options.max_in_flight),
                   .egress = options.egress,
               }),
        secret_cache(sb) {}

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
    run_completions();
    const Millis now = clock.now_ms();
    const std::uint64_t announced = announcements.load();
    pacer.on_turn(announced != announcements_seen);
    announcements_seen = announced;
    claim(now);
    if (leases.check_due(clock.steady_ms())) {
      scheduler.collect_expiring(now, leases.needed_until(now), leases.pending());
    }
    start_ready(now);
    send_releases(now);
    for (auto& result : sender.poll(sleep_budget())) on_result(result);
    flush();
    housekeeping();
  }

  // Outcomes first, so the pacing learns of recorded work before a claim's result settles
  // it (a courtesy: correctness does not depend on the order, see the lanes above).
  void run_completions() {
    if (own_outcomes_lane) own_outcomes_lane->run_completions();
    claims_lane.run_completions();
  }

  DispatcherLoad load() const {
    return DispatcherLoad{.in_flight = in_flight.size(),
                          .queued = scheduler.queued(),
                          .unrecorded = outcomes.unrecorded()};
  }

  void claim(Millis now) {
    const auto limit = pacer.claim_now(now, load());
    if (!limit) return;
    claims_lane.post([this, now, limit = *limit]() -> StoreLane::Continuation {
      const std::uint64_t announced = announcements.load();
      auto jobs = store.claim_due(options.owner, now, leases.lease_ms(), limit);
      std::optional<Millis> next_due;
      // Everything due was claimed: ask when the next delivery becomes due, unless new work
      // was announced meanwhile (the pacer then claims again within kNotifyCoalesce, and that
      // claim asks). Under a steady stream of events this saves a query per claim.
      if (jobs && static_cast<int>(jobs->size()) < limit && announcements.load() == announced) {
        if (auto at = store.next_due_at(); at && *at) next_due = **at;
      }
      return [this, now, limit, jobs = std::move(jobs), next_due]() mutable {
        on_claimed(now, limit, jobs, next_due);
      };
    });
  }

  void on_claimed(Millis now, int limit, Result<std::vector<DeliveryJob>>& jobs,
                  std::optional<Millis> next_due) {
    if (!jobs) {
      const Millis delay = pacer.on_claim_failed(now);
      spdlog::warn("dispatcher: claim failed ({}), retrying in {} ms", jobs.error().message, delay);
      return;
    }
    const auto count = static_cast<int>(jobs->size());
    for (auto& job : *jobs) scheduler.enqueue(std::move(job));
    pacer.on_claimed(now, limit, count, next_due);
  }

  // Starts every job the scheduler allows now and collects the surplus it hands back.
  void start_ready(Millis now) {
    while (auto ready = scheduler.next_ready()) {
      start(std::move(ready->job), std::move(ready->slot), now);
    }
    pacer.on_surplus(now, scheduler.collect_handbacks(now, leases.pending()));
    leases.recall(scheduler.take_recalls(now));
  }

  // Hand-backs, then recalls, in one lane task: a recall finds its hand-back done, and a
  // claim posted after it finds the recalled work due.
  void send_releases(Millis now) {
    const auto earliest = leases.earliest_due();
    if (!earliest && !leases.has_recalls()) return;
    if (earliest) pacer.due_by(*earliest);  // handed-back work is claimable again then
    if (leases.has_recalls()) pacer.due_by(now);
    claims_lane.post([this, now, batch = leases.take(),
                      recalls = leases.take_recalls()]() -> StoreLane::Continuation {
      release_handbacks(store, options.owner, batch);
      recall_handbacks(store, recalls, now);
      return {};
    });
  }

  // ---------------------------------------------------------------- one attempt

  void start(DeliveryJob job, Slot slot, Millis now) {
    std::vector<std::string> keys = secret_cache.open(job.secrets_sealed);
    std::vector<std::string> client_key;  // the mTLS key, opened like the secrets
    if (job.tls_client_key_sealed) client_key = secret_cache.open({*job.tls_client_key_sealed});
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
    scheduler.finished(slot, 0, /*answered=*/false);  // no attempt: the slot is free again
    stats.unsignable.fetch_add(1);
    if (options.metrics) options.metrics->delivery_unsignable();
    log_event(spdlog::level::err,
              "delivery handed back: the endpoint's signing secret or "
              "client key cannot be opened with this node's master key",
              {{"tenant_id", job.tenant_id},
               {"endpoint_id", job.endpoint_id},
               {"delivery_id", job.delivery_id}});
    leases.hand_back_unsignable(now, std::move(job.delivery_id));
  }

  void on_result(const HttpResult& result) {
    auto node = in_flight.extract(result.tag);
    if (node.empty()) return;
    stats.in_flight.store(static_cast<std::int64_t>(in_flight.size()));
    const AttemptContext& context = node.mapped().context;
    scheduler.finished(node.mapped().slot, result.duration_ms, result.status_code > 0);
    scheduler.learn_address(node.mapped().url, result.remote_address);
    const Millis now = clock.now_ms();
    const Decision decision = options.retry_policy.decide(to_attempt_result(result),
                                                          context.attempt_in_series, now, random);
    AttemptRecord record = make_attempt_record(context, result, decision);
    operational.collect(context, record);
    report_attempt(stats, options.metrics, clock.now_ms(), context, record, result);
    // The endpoint answered 410 and is being disabled: its queued jobs go back unattempted
    // (they wait in the store until it is enabled again).
    if (record.disable_endpoint)
      leases.hand_back(now, scheduler.drop_endpoint(context.endpoint_id));
    outcomes.add(std::move(record), clock.steady_ms());
  }

  // ---------------------------------------------------------------- recording

  void flush() {
    auto batch = outcomes.take_batch(clock.steady_ms(), in_flight.empty());
    if (!batch) return;
    outcomes_lane.post([this, batch = std::move(*batch)]() mutable -> StoreLane::Continuation {
      auto r = record(batch);
      return [this, r = std::move(r), batch = std::move(batch)]() mutable {
        on_recorded(r, std::move(batch));
      };
    });
  }

  // Store side of a flush (outcomes lane, or the dispatcher thread once the lanes are idle).
  Result<void> record(std::vector<AttemptRecord>& batch) {
    if (auto emitted = operational.emit_pending(); !emitted) return emitted;  // before outcomes
    return commit_attempts(batch, [this](std::span<const AttemptRecord> records) {
      return store.complete_attempts(options.owner, records, clock.now_ms());
    });
  }

  void on_recorded(const Result<void>& r, std::vector<AttemptRecord> batch) {
    if (!r) {
      const std::size_t count = batch.size();
      const Millis delay = outcomes.on_failed(std::move(batch), clock.steady_ms());
      spdlog::warn("dispatcher: recording {} attempts failed ({}), retrying in {} ms", count,
                   r.error().message, delay);
      return;
    }
    outcomes.on_recorded();
    for (const auto& rec : batch) {
      if (rec.new_status == DeliveryStatus::pending) {
        pacer.due_by(rec.next_attempt_at);
      } else if (scheduler.is_fifo(rec.endpoint_id)) {
        // The head of a FIFO endpoint left `pending`: its successor is claimable right now.
        pacer.due_by(clock.now_ms());
      }
    }
  }

  // How long poll() may sleep: until the next claim, token, flush or housekeeping.
  Millis sleep_budget() const {
    if (announcements.load() != announcements_seen) return 0;  // work announced since the turn
    const Millis now = clock.now_ms();
    const Millis steady_now = clock.steady_ms();
    Millis budget = options.poll_interval;
    if (auto wait = pacer.wait_ms(now, load())) budget = std::min(budget, *wait);
    if (auto at = scheduler.next_rate_wakeup()) budget = std::min(budget, *at - steady_now);
    if (auto at = outcomes.wake_at()) budget = std::min(budget, *at - steady_now);
    budget = std::min(budget, auto_disable_check.next_at() - now);
    return std::max<Millis>(budget, 0);
  }

  void housekeeping() {
    const Millis now = clock.now_ms();
    if (auto_disable_check.due(now)) {
      outcomes_lane.post([this, now]() -> StoreLane::Continuation {
        disable_failing_endpoints(store, operational, options.metrics, now,
                                  options.auto_disable_after);
        return {};
      });
    }
    scheduler.forget_idle();
  }

  // ---------------------------------------------------------------- shutdown

  void shutdown() {
    // Let the lanes finish what they were given (a claim's jobs land in the local queues and
    // go back with release_leases below; a failed batch returns to `outcomes`). Tasks post
    // no tasks, so once both have drained both stay idle.
    claims_lane.wait_idle();
    outcomes_lane.wait_idle();
    run_completions();
    // Jobs that never started go back via release_leases below.
    scheduler.drop_all_queued();
    leases.take();  // … and so do the hand-backs not yet sent

    const Millis deadline = clock.steady_ms() + grace_ms.load();
    while (!in_flight.empty()) {
      const Millis left = deadline - clock.steady_ms();
      if (left <= 0) break;
      for (auto& result : sender.poll(std::min<Millis>(left, 100))) on_result(result);
    }
    const auto aborted = sender.abort_all();
    if (!aborted.empty()) {
      spdlog::info("dispatcher: stopped {} attempts in flight; their deliveries are handed back",
                   aborted.size());
    }
    for (const auto& [tag, attempt] : in_flight) scheduler.finished(attempt.slot, 0, false);
    in_flight.clear();
    stats.in_flight.store(0);

    // The lanes are idle now: record the last outcomes directly, before the leases go back.
    auto& left_over = outcomes.buffered();
    for (int i = 0; i < kStopFlushTries && !left_over.empty(); ++i) {
      if (i > 0) std::this_thread::sleep_for(std::chrono::milliseconds(100 << i));
      if (record(left_over)) left_over.clear();
    }
    if (!left_over.empty()) {
      spdlog::error(
          "dispatcher: {} attempt outcomes could not be recorded before exit; those "
          "deliveries will be attempted again",
          left_over.size());
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

void Dispatcher::notify() { impl_->announce(); }

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
