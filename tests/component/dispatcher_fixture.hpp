// Shared setup for the dispatcher component tests: a real SqliteStore in a temp dir, one
// tenant, endpoints pointing at a TestReceiver on 127.0.0.1, events ingested through the
// Store, and a Dispatcher with a short retry schedule. DispatcherFixture runs on the system
// clock; DispatcherFixtureOn<FakeClock> on a fake one that the test moves (the dispatcher's
// waits for due times then cost no real time).
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.hpp"
#include "core/envelope.hpp"
#include "core/ids.hpp"
#include "core/random.hpp"
#include "core/secret_box.hpp"
#include "core/signature.hpp"
#include "delivery/dispatcher.hpp"
#include "store/store.hpp"
#include "support/sqlite_store.hpp"
#include "support/temp_dir.hpp"
#include "support/test_receiver.hpp"

namespace axon::test {

using namespace std::chrono_literals;

template <class TestClock>
class DispatcherFixtureOn : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = open_migrated_sqlite_store(dir_.file("axon.db"));
    auto box = SecretBox::create(std::string(32, 'k'));
    ASSERT_TRUE(box);
    box_ = std::make_unique<SecretBox>(std::move(*box));
    Tenant tenant{ids_.next(id_prefix::tenant), "acme", clock_.now_ms()};
    auto created = store_->create_tenant(tenant);
    ASSERT_TRUE(created) << created.error().message;
    tenant_id_ = created->id;
  }

  // No grace: attempts still in flight are aborted at once (the tests assert before this).
  void TearDown() override {
    if (dispatcher_) dispatcher_->stop(0);
    dispatcher_.reset();
  }

  DispatcherOptions default_options() const {
    DispatcherOptions o;
    o.owner = "test-dispatcher";
    o.retry_policy = RetryPolicy({50, 100, 200});
    o.request_timeout = 5'000;
    o.connect_timeout = 2'000;
    o.allow_private_targets = true;
    o.poll_interval = 200;
    return o;
  }

  // The dispatcher works on `store` (a wrapper of store_ in some tests), or on store_ itself.
  Dispatcher& start_dispatcher(DispatcherOptions options, Store* store = nullptr) {
    dispatcher_ = std::make_unique<Dispatcher>(store ? *store : *store_, *box_, clock_, random_,
                                               std::move(options));
    dispatcher_->start();
    return *dispatcher_;
  }
  Dispatcher& start_dispatcher() { return start_dispatcher(default_options()); }

  // An endpoint with a fresh secret (kept in `secret_`) at `url`.
  Endpoint add_endpoint(const std::string& url,
                        const std::function<void(Endpoint&)>& tweak = nullptr) {
    Endpoint ep;
    ep.id = ids_.next(id_prefix::endpoint);
    ep.tenant_id = tenant_id_;
    ep.url = url;
    secret_ = generate_endpoint_secret(random_);
    ep.secret_sealed = box_->seal(secret_, random_);
    ep.created_at = ep.updated_at = clock_.now_ms();
    if (tweak) tweak(ep);
    auto created = store_->create_endpoint(ep, Store::kNoEndpointLimit);
    EXPECT_TRUE(created) << created.error().message;
    return created ? *created : ep;
  }

  // Ingests one event; returns the ids of the deliveries it fanned out to.
  std::vector<std::string> publish(const std::string& type = "order.updated",
                                   const std::string& data = R"({"n":1})") {
    NewEvent ev;
    ev.id = ids_.next(id_prefix::event);
    ev.tenant_id = tenant_id_;
    ev.type = type;
    ev.created_at = clock_.now_ms();
    ev.payload = build_envelope(ev.id, ev.type, ev.tenant_id, ev.created_at, data);
    std::vector<std::string> deliveries;
    auto r = store_->ingest_event(ev, clock_.now_ms(), [&] {
      deliveries.push_back(ids_.next(id_prefix::delivery));
      return deliveries.back();
    });
    EXPECT_TRUE(r) << r.error().message;
    last_payload_ = ev.payload;
    last_event_id_ = ev.id;
    return deliveries;
  }

  Delivery get(const std::string& delivery_id) {
    auto d = store_->get_delivery(tenant_id_, delivery_id);
    EXPECT_TRUE(d) << d.error().message;
    return d ? *d : Delivery{};
  }

  // Polls the store until `done(delivery)` or the deadline; returns the last state seen.
  Delivery wait_for(const std::string& delivery_id,
                    const std::function<bool(const Delivery&)>& done,
                    std::chrono::milliseconds timeout = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    Delivery d = get(delivery_id);
    while (!done(d) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(10ms);
      d = get(delivery_id);
    }
    return d;
  }
  Delivery wait_for_status(const std::string& delivery_id, DeliveryStatus status,
                           std::chrono::milliseconds timeout = 10s) {
    return wait_for(
        delivery_id, [&](const Delivery& d) { return d.status == status; }, timeout);
  }
  Delivery wait_for_attempts(const std::string& delivery_id, int attempts,
                             std::chrono::milliseconds timeout = 10s) {
    return wait_for(
        delivery_id, [&](const Delivery& d) { return d.attempts >= attempts; }, timeout);
  }

  TempDir dir_{"axon-dispatcher-"};
  TestClock clock_;
  SecureRandom random_;
  IdGenerator ids_{clock_, random_};
  std::unique_ptr<Store> store_;
  std::unique_ptr<SecretBox> box_;
  std::unique_ptr<Dispatcher> dispatcher_;
  std::string tenant_id_;
  std::string secret_;
  std::string last_payload_;
  std::string last_event_id_;
};

using DispatcherFixture = DispatcherFixtureOn<SystemClock>;

}  // namespace axon::test
