// Shutdown and store trouble: stop(grace) records what finished and hands back the rest;
// a store outage loses no outcome and does not stop the dispatcher.
#include <atomic>

#include "dispatcher_fixture.hpp"

namespace axon::test {
namespace {

// Forwards to a real store; complete_attempts / claim_due can be made to fail as if the
// database were unreachable.
class FlakyStore final : public Store {
 public:
  explicit FlakyStore(Store& inner) : s_(inner) {}
  std::atomic<int> fail_completes{0};
  std::atomic<int> fail_claims{0};
  std::atomic<int> complete_calls{0};

  Result<void> complete_attempts(std::string_view owner, std::span<const AttemptRecord> records,
                                 Millis now) override {
    ++complete_calls;
    if (fail_completes.load() > 0) {
      --fail_completes;
      return fail(Errc::unavailable, "database is down (test)");
    }
    return s_.complete_attempts(owner, records, now);
  }
  Result<std::vector<DeliveryJob>> claim_due(std::string_view owner, Millis now, Millis lease_ms,
                                             int limit) override {
    if (fail_claims.load() > 0) {
      --fail_claims;
      return fail(Errc::unavailable, "database is down (test)");
    }
    return s_.claim_due(owner, now, lease_ms, limit);
  }

  Result<void> migrate() override { return s_.migrate(); }
  Result<void> ping() override { return s_.ping(); }
  Result<std::optional<std::string>> get_setting(std::string_view k) override {
    return s_.get_setting(k);
  }
  Result<std::string> put_setting_if_absent(std::string_view k, std::string_view v) override {
    return s_.put_setting_if_absent(k, v);
  }
  Result<void> put_setting(std::string_view k, std::string_view v) override {
    return s_.put_setting(k, v);
  }
  Result<Tenant> create_tenant(const Tenant& t) override { return s_.create_tenant(t); }
  Result<Tenant> get_tenant(std::string_view id) override { return s_.get_tenant(id); }
  Result<Page<Tenant>> list_tenants(const PageRequest& p) override { return s_.list_tenants(p); }
  Result<void> delete_tenant(std::string_view id) override { return s_.delete_tenant(id); }
  Result<ApiKey> create_api_key(const ApiKey& k) override { return s_.create_api_key(k); }
  Result<ApiKey> find_api_key_by_hash(std::string_view h) override {
    return s_.find_api_key_by_hash(h);
  }
  Result<Page<ApiKey>> list_api_keys(std::string_view t, const PageRequest& p) override {
    return s_.list_api_keys(t, p);
  }
  Result<void> revoke_api_key(std::string_view t, std::string_view k, Millis now) override {
    return s_.revoke_api_key(t, k, now);
  }
  Result<Endpoint> create_endpoint(const Endpoint& e) override { return s_.create_endpoint(e); }
  Result<Endpoint> get_endpoint(std::string_view t, std::string_view id) override {
    return s_.get_endpoint(t, id);
  }
  Result<Page<Endpoint>> list_endpoints(std::string_view t, const PageRequest& p) override {
    return s_.list_endpoints(t, p);
  }
  Result<Endpoint> update_endpoint(std::string_view t, std::string_view id,
                                   const EndpointPatch& patch, Millis now) override {
    return s_.update_endpoint(t, id, patch, now);
  }
  Result<void> delete_endpoint(std::string_view t, std::string_view id) override {
    return s_.delete_endpoint(t, id);
  }
  Result<Endpoint> rotate_endpoint_secret(std::string_view t, std::string_view id,
                                          std::string_view sealed, Millis expires,
                                          Millis now) override {
    return s_.rotate_endpoint_secret(t, id, sealed, expires, now);
  }
  Result<std::optional<std::string>> reseal_endpoint_secrets(
      std::string_view after, int limit, const SecretResealer& reseal) override {
    return s_.reseal_endpoint_secrets(after, limit, reseal);
  }
  Result<IngestResult> ingest_event(const NewEvent& e, Millis now,
                                    const std::function<std::string()>& ids) override {
    return s_.ingest_event(e, now, ids);
  }
  Result<std::vector<IngestResult>> ingest_events(std::span<const NewEvent> events, Millis now,
                                                  const std::function<std::string()>& ids) override {
    return s_.ingest_events(events, now, ids);
  }
  Result<Event> get_event(std::string_view t, std::string_view id) override {
    return s_.get_event(t, id);
  }
  Result<Page<Event>> list_events(std::string_view t, const EventFilter& f,
                                  const PageRequest& p) override {
    return s_.list_events(t, f, p);
  }
  Result<Delivery> get_delivery(std::string_view t, std::string_view id) override {
    return s_.get_delivery(t, id);
  }
  Result<Page<Delivery>> list_deliveries(std::string_view t, const DeliveryFilter& f,
                                         const PageRequest& p) override {
    return s_.list_deliveries(t, f, p);
  }
  Result<Delivery> replay_delivery(std::string_view t, std::string_view id, Millis now) override {
    return s_.replay_delivery(t, id, now);
  }
  Result<int> replay_dead_since(std::string_view t, std::string_view e, Millis since, Millis now,
                                int limit) override {
    return s_.replay_dead_since(t, e, since, now, limit);
  }
  Result<void> release_leases(std::string_view owner) override { return s_.release_leases(owner); }
  Result<void> release_deliveries(std::string_view owner, std::span<const std::string> ids,
                                  Millis due_at) override {
    return s_.release_deliveries(owner, ids, due_at);
  }
  Result<std::optional<Millis>> next_due_at() override { return s_.next_due_at(); }
  Result<std::vector<Endpoint>> disable_failing_endpoints(Millis now, Millis period) override {
    return s_.disable_failing_endpoints(now, period);
  }
  Result<Counts> delivery_counts(Millis now) override { return s_.delivery_counts(now); }

 private:
  Store& s_;
};

class DispatcherLifecycle : public DispatcherFixture {};

TEST_F(DispatcherLifecycle, StopRecordsFinishedAttemptsAndHandsBackTheRest) {
  // The first two requests answer at once; the others hang until the receiver stops.
  TestReceiver rx([](const ReceivedRequest& r) {
    return r.seq < 2 ? ScriptedResponse::ok() : ScriptedResponse::hang(60s);
  });
  add_endpoint(rx.url(), [](Endpoint& e) { e.max_in_flight = 4; });
  std::vector<std::string> ids;
  for (int i = 0; i < 4; ++i) ids.push_back(publish().at(0));
  start_dispatcher();
  ASSERT_TRUE(rx.wait_for_requests(4, 10s));
  // Wait until the two quick ones are recorded; the two slow ones are then in flight.
  int succeeded = 0;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (succeeded < 2 && std::chrono::steady_clock::now() < deadline) {
    succeeded = 0;
    for (const auto& id : ids) succeeded += get(id).status == DeliveryStatus::succeeded;
    if (succeeded < 2) std::this_thread::sleep_for(10ms);
  }
  ASSERT_EQ(succeeded, 2);

  const auto stop_started = std::chrono::steady_clock::now();
  dispatcher_->stop(300);
  EXPECT_LT(std::chrono::steady_clock::now() - stop_started, 5s);
  EXPECT_EQ(dispatcher_->stats().in_flight.load(), 0);

  std::vector<std::string> unfinished;
  for (const auto& id : ids) {
    Delivery d = get(id);
    if (d.status == DeliveryStatus::succeeded) {
      EXPECT_EQ(d.attempts, 1);
      continue;
    }
    EXPECT_EQ(d.status, DeliveryStatus::pending);
    EXPECT_EQ(d.attempts, 0);  // an aborted attempt is not an attempt
    EXPECT_FALSE(d.lease_owner) << id;
    unfinished.push_back(id);
  }
  ASSERT_EQ(unfinished.size(), 2u);
  // Claimable again, right away, by anyone.
  auto claimed = store_->claim_due("someone-else", clock_.now_ms(), 60'000, 10);
  ASSERT_TRUE(claimed);
  std::vector<std::string> claimed_ids;
  for (const auto& job : *claimed) claimed_ids.push_back(job.delivery_id);
  std::sort(claimed_ids.begin(), claimed_ids.end());
  std::sort(unfinished.begin(), unfinished.end());
  EXPECT_EQ(claimed_ids, unfinished);
}

TEST_F(DispatcherLifecycle, StopWhileIdleIsPromptAndRestartable) {
  TestReceiver rx;
  add_endpoint(rx.url());
  auto options = default_options();
  options.poll_interval = 60'000;
  start_dispatcher(options);
  const auto t0 = std::chrono::steady_clock::now();
  dispatcher_->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  auto ids = publish();
  dispatcher_->start();
  dispatcher_->notify();
  EXPECT_EQ(wait_for_status(ids[0], DeliveryStatus::succeeded).status, DeliveryStatus::succeeded);
}

TEST_F(DispatcherLifecycle, StoreOutageLosesNoOutcome) {
  TestReceiver rx;
  add_endpoint(rx.url());
  FlakyStore flaky(*store_);
  flaky.fail_claims = 2;
  flaky.fail_completes = 3;
  auto ids = publish();
  dispatcher_ = std::make_unique<Dispatcher>(flaky, *box_, clock_, random_, default_options());
  dispatcher_->start();
  Delivery d = wait_for_status(ids[0], DeliveryStatus::succeeded);
  ASSERT_EQ(d.status, DeliveryStatus::succeeded);
  EXPECT_EQ(d.attempts, 1);  // recorded once, after the outage, not re-sent
  EXPECT_EQ(rx.request_count(), 1u);
  EXPECT_GE(flaky.complete_calls.load(), 4);
  dispatcher_->stop();  // before `flaky` goes away
}

}  // namespace
}  // namespace axon::test
