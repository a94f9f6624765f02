// Store conformance: endpoints (round trip, caps, pages, patches, disabling, deleting).
#include <atomic>
#include <thread>

#include "store/store_conformance.hpp"

namespace axon::test {

// ================================ endpoints ================================

TEST_P(StoreConformance, EndpointRoundTripsEveryField) {
  auto tenant = add_tenant();
  Endpoint e = endpoint_for(tenant);
  e.description = "orders → warehouse";
  e.event_types = std::vector<std::string>{"order.created", "invoice.*"};
  e.headers = {{"X-Team", "blue"}, {"Authorization", "Bearer abc"}};
  e.max_in_flight = 4;
  e.rate_limit = 2.5;
  e.ordering = Ordering::fifo;
  e.created_at = T0 + 1;
  e.updated_at = T0 + 2;
  add_endpoint(e);

  auto got = must(store().get_endpoint(tenant.id, e.id));
  EXPECT_EQ(got.tenant_id, tenant.id);
  EXPECT_EQ(got.url, e.url);
  EXPECT_EQ(got.description, e.description);
  EXPECT_EQ(got.event_types, e.event_types);
  EXPECT_EQ(got.headers, e.headers);
  EXPECT_FALSE(got.disabled);
  EXPECT_EQ(got.max_in_flight, 4);
  EXPECT_DOUBLE_EQ(got.rate_limit, 2.5);
  EXPECT_EQ(got.ordering, Ordering::fifo);
  EXPECT_EQ(got.secret_sealed, e.secret_sealed);
  EXPECT_FALSE(got.previous_secret_sealed.has_value());
  EXPECT_FALSE(got.previous_secret_expires_at.has_value());
  EXPECT_FALSE(got.failing_since.has_value());
  EXPECT_EQ(got.created_at, T0 + 1);
  EXPECT_EQ(got.updated_at, T0 + 2);

  // No subscriptions (all types) is distinct from an empty list.
  auto all = add_endpoint(tenant);
  EXPECT_FALSE(must(store().get_endpoint(tenant.id, all.id)).event_types.has_value());

  EXPECT_EQ(error_of(store().create_endpoint(e, Store::kNoEndpointLimit)), Errc::conflict);
  Endpoint orphan = endpoint_for(tenant);
  orphan.tenant_id = "ten_missing";
  EXPECT_EQ(error_of(store().create_endpoint(orphan, Store::kNoEndpointLimit)), Errc::not_found);
}

TEST_P(StoreConformance, EndpointsPerTenantAreCapped) {
  auto tenant = add_tenant();
  auto other = add_tenant("other");
  std::vector<std::string> created;
  for (int i = 0; i < 3; ++i) {
    created.push_back(must(store().create_endpoint(endpoint_for(tenant), 3)).id);
  }
  auto refused = store().create_endpoint(endpoint_for(tenant), 3);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::limit_exceeded);
  EXPECT_NE(refused.error().message.find("3"), std::string::npos) << refused.error().message;
  EXPECT_EQ(must(store().list_endpoints(tenant.id, PageRequest{100, std::nullopt})).items.size(),
            3u);
  // The cap is per tenant, and a deleted endpoint frees its place.
  must(store().create_endpoint(endpoint_for(other), 3));
  must(store().delete_endpoint(tenant.id, created.front()));
  must(store().create_endpoint(endpoint_for(tenant), 3));
  // An unknown tenant is still "not found", not "over the limit".
  Endpoint orphan = endpoint_for(tenant);
  orphan.tenant_id = "ten_missing";
  EXPECT_EQ(error_of(store().create_endpoint(orphan, 0)), Errc::not_found);
}

TEST_P(StoreConformance, EndpointCapHoldsUnderConcurrentCreates) {
  auto tenant = add_tenant();
  constexpr int kLimit = 5, kThreads = 8, kPerThread = 3;
  std::vector<std::vector<Endpoint>> batches(kThreads);
  for (auto& batch : batches) {
    for (int i = 0; i < kPerThread; ++i) batch.push_back(endpoint_for(tenant));
  }
  std::atomic<int> accepted{0}, refused{0}, other_errors{0};
  std::vector<std::thread> threads;
  for (const auto& batch : batches) {
    threads.emplace_back([&, &batch = batch] {
      for (const auto& endpoint : batch) {
        auto result = store().create_endpoint(endpoint, kLimit);
        if (result) {
          ++accepted;
        } else if (result.error().code == Errc::limit_exceeded) {
          ++refused;
        } else {
          ++other_errors;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(accepted.load(), kLimit);
  EXPECT_EQ(refused.load(), kThreads * kPerThread - kLimit);
  EXPECT_EQ(other_errors.load(), 0);
  EXPECT_EQ(must(store().list_endpoints(tenant.id, PageRequest{100, std::nullopt})).items.size(),
            static_cast<std::size_t>(kLimit));
}

TEST_P(StoreConformance, EndpointListPaginates) {
  auto tenant = add_tenant();
  auto other = add_tenant("other");
  std::vector<std::string> created;
  for (int i = 0; i < 5; ++i) created.push_back(add_endpoint(tenant).id);
  add_endpoint(other);
  auto p1 = must(store().list_endpoints(tenant.id, {2, std::nullopt}));
  auto p2 = must(store().list_endpoints(tenant.id, {2, p1.next}));
  auto p3 = must(store().list_endpoints(tenant.id, {2, p2.next}));
  EXPECT_EQ(ids_of(p1.items), (std::vector<std::string>{created[4], created[3]}));
  EXPECT_EQ(ids_of(p2.items), (std::vector<std::string>{created[2], created[1]}));
  EXPECT_EQ(ids_of(p3.items), (std::vector<std::string>{created[0]}));
  EXPECT_FALSE(p3.next.has_value());
}

TEST_P(StoreConformance, EndpointPatchChangesOnlyGivenFields) {
  auto tenant = add_tenant();
  Endpoint e = endpoint_for(tenant);
  e.description = "before";
  e.event_types = std::vector<std::string>{"a.b"};
  e.headers = {{"X-A", "1"}};
  add_endpoint(e);

  EndpointPatch patch;
  patch.url = "https://elsewhere.example/x";
  patch.max_in_flight = 8;
  auto updated = must(store().update_endpoint(tenant.id, e.id, patch, T0 + kMinute));
  EXPECT_EQ(updated.url, "https://elsewhere.example/x");
  EXPECT_EQ(updated.max_in_flight, 8);
  EXPECT_EQ(updated.description, "before");
  EXPECT_EQ(updated.event_types, e.event_types);
  EXPECT_EQ(updated.headers, e.headers);
  EXPECT_EQ(updated.updated_at, T0 + kMinute);
  auto got = must(store().get_endpoint(tenant.id, e.id));
  EXPECT_EQ(got.url, updated.url);
  EXPECT_EQ(got.updated_at, T0 + kMinute);

  EndpointPatch more;
  more.description = "after";
  more.event_types = std::optional<std::vector<std::string>>{};  // all types
  more.headers = HeaderList{};
  more.rate_limit = 10;
  more.ordering = Ordering::fifo;
  got = must(store().update_endpoint(tenant.id, e.id, more, T0 + 2 * kMinute));
  EXPECT_EQ(got.description, "after");
  EXPECT_FALSE(got.event_types.has_value());
  EXPECT_TRUE(got.headers.empty());
  EXPECT_DOUBLE_EQ(got.rate_limit, 10);
  EXPECT_EQ(got.ordering, Ordering::fifo);
  EXPECT_EQ(got.url, "https://elsewhere.example/x");
  EXPECT_EQ(must(store().get_endpoint(tenant.id, e.id)).description, "after");

  EXPECT_EQ(error_of(store().update_endpoint(tenant.id, "ep_missing", more, T0)), Errc::not_found);
}

TEST_P(StoreConformance, EndpointDisableAndReenable) {
  auto tenant = add_tenant();
  auto e = add_endpoint(tenant);
  // Build a failure streak so that re-enabling can be seen to clear it.
  ingest(tenant, "a.b", T0);
  auto job = claim(T0).at(0);
  complete({outcome(job, DeliveryStatus::pending, T0, T0 + kMinute)}, T0);
  ASSERT_EQ(must(store().get_endpoint(tenant.id, e.id)).failing_since, T0);

  EndpointPatch off;
  off.disabled = true;
  off.disabled_reason = "maintenance";
  auto got = must(store().update_endpoint(tenant.id, e.id, off, T0 + 1));
  EXPECT_TRUE(got.disabled);
  EXPECT_EQ(got.disabled_reason, "maintenance");
  EXPECT_TRUE(claim(T0 + kHour).empty());

  EndpointPatch on;
  on.disabled = false;
  got = must(store().update_endpoint(tenant.id, e.id, on, T0 + 2));
  EXPECT_FALSE(got.disabled);
  EXPECT_EQ(got.disabled_reason, "");
  EXPECT_FALSE(got.failing_since.has_value());
  got = must(store().get_endpoint(tenant.id, e.id));
  EXPECT_FALSE(got.disabled);
  EXPECT_FALSE(got.failing_since.has_value());
  // Its waiting delivery is claimable again, unattempted since.
  auto again = claim(T0 + kHour);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].delivery_id, job.delivery_id);
  EXPECT_EQ(again[0].attempt, 2);
}

TEST_P(StoreConformance, EndpointDeleteKillsItsPendingDeliveries) {
  auto tenant = add_tenant();
  auto doomed = add_endpoint(tenant);
  auto kept = add_endpoint(tenant);
  auto ev = ingest(tenant, "a.b", T0).event;
  ASSERT_EQ(ev.deliveries, 2);

  must(store().delete_endpoint(tenant.id, doomed.id));
  EXPECT_EQ(error_of(store().get_endpoint(tenant.id, doomed.id)), Errc::not_found);
  EXPECT_EQ(error_of(store().delete_endpoint(tenant.id, doomed.id)), Errc::not_found);

  auto dead = deliveries(tenant, {DeliveryStatus::dead, doomed.id, std::nullopt});
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].event_id, ev.id);
  auto jobs = claim(T0);
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].endpoint_id, kept.id);
  // The event still exists and new events no longer fan out to it.
  EXPECT_EQ(must(store().get_event(tenant.id, ev.id)).deliveries, 2);
  EXPECT_EQ(ingest(tenant, "a.b", T0 + 1).event.deliveries, 1);
}

}  // namespace axon::test
