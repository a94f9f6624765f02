// Store conformance: tenants, API keys and tenant isolation (see store_conformance.hpp).
#include "store/store_conformance.hpp"

namespace axon::test {

// ================================ tenants ================================

TEST_P(StoreConformance, TenantCreateGet) {
  auto tenant = add_tenant("Acme Inc.", T0 + 5);
  auto got = must(store().get_tenant(tenant.id));
  EXPECT_EQ(got.id, tenant.id);
  EXPECT_EQ(got.name, "Acme Inc.");
  EXPECT_EQ(got.created_at, T0 + 5);
  EXPECT_EQ(error_of(store().create_tenant(tenant)), Errc::conflict);
  EXPECT_EQ(error_of(store().get_tenant("ten_missing")), Errc::not_found);
}

TEST_P(StoreConformance, TenantListPaginatesNewestFirst) {
  std::vector<std::string> created;
  for (int i = 0; i < 7; ++i) created.push_back(add_tenant("t" + std::to_string(i)).id);
  std::vector<std::string> newest_first(created.rbegin(), created.rend());

  auto p1 = must(store().list_tenants({3, std::nullopt}));
  EXPECT_EQ(ids_of(p1.items),
            std::vector<std::string>(newest_first.begin(), newest_first.begin() + 3));
  ASSERT_TRUE(p1.next.has_value());
  EXPECT_EQ(*p1.next, newest_first[2]);
  auto p2 = must(store().list_tenants({3, p1.next}));
  EXPECT_EQ(ids_of(p2.items),
            std::vector<std::string>(newest_first.begin() + 3, newest_first.begin() + 6));
  ASSERT_TRUE(p2.next.has_value());
  auto p3 = must(store().list_tenants({3, p2.next}));
  EXPECT_EQ(ids_of(p3.items), std::vector<std::string>{newest_first[6]});
  EXPECT_FALSE(p3.next.has_value());

  // Exactly a full last page: no next.
  auto exact = must(store().list_tenants({7, std::nullopt}));
  EXPECT_EQ(exact.items.size(), 7u);
  EXPECT_FALSE(exact.next.has_value());
  // Defensive limits: <= 0 means the default page (50).
  EXPECT_EQ(must(store().list_tenants({0, std::nullopt})).items.size(), 7u);
  EXPECT_EQ(must(store().list_tenants({-5, std::nullopt})).items.size(), 7u);
}

TEST_P(StoreConformance, DeleteTenantDeletesEverythingItOwns) {
  auto doomed = add_tenant("doomed");
  auto kept = add_tenant("kept");
  must(store().create_api_key(ApiKey{next_id("key_"), doomed.id, "hash-doomed", T0, {}}));
  must(store().create_api_key(ApiKey{next_id("key_"), kept.id, "hash-kept", T0, {}}));
  auto doomed_ep = add_endpoint(doomed);
  auto kept_ep = add_endpoint(kept);
  auto doomed_ev = ingest(doomed, "order.created", T0, "key-1").event;
  auto kept_ev = ingest(kept, "order.created", T0, "key-1").event;
  // One doomed delivery with an attempt on record, one in flight.
  auto jobs = claim(T0);
  ASSERT_EQ(jobs.size(), 2u);
  auto doomed_job = jobs[0].tenant_id == doomed.id ? jobs[0] : jobs[1];
  complete({outcome(doomed_job, DeliveryStatus::pending, T0, T0 + kMinute)}, T0);

  must(store().delete_tenant(doomed.id));

  EXPECT_EQ(error_of(store().get_tenant(doomed.id)), Errc::not_found);
  EXPECT_EQ(error_of(store().find_api_key_by_hash("hash-doomed")), Errc::not_found);
  EXPECT_EQ(error_of(store().get_endpoint(doomed.id, doomed_ep.id)), Errc::not_found);
  EXPECT_EQ(error_of(store().get_event(doomed.id, doomed_ev.id)), Errc::not_found);
  EXPECT_EQ(error_of(store().get_delivery(doomed.id, doomed_job.delivery_id)), Errc::not_found);
  EXPECT_TRUE(deliveries(doomed).empty());
  EXPECT_TRUE(claim(T0 + kLease - 1).empty());  // the kept one is leased, the doomed one gone
  auto later = claim(T0 + kDay);
  ASSERT_EQ(later.size(), 1u);
  EXPECT_EQ(later[0].tenant_id, kept.id);
  auto counts = must(store().delivery_counts(T0 + kDay));
  EXPECT_EQ(counts.pending_due + counts.pending_scheduled, 1);
  EXPECT_EQ(error_of(store().delete_tenant(doomed.id)), Errc::not_found);

  EXPECT_EQ(must(store().get_tenant(kept.id)).name, "kept");
  EXPECT_EQ(must(store().find_api_key_by_hash("hash-kept")).tenant_id, kept.id);
  EXPECT_EQ(must(store().get_endpoint(kept.id, kept_ep.id)).id, kept_ep.id);
  EXPECT_EQ(must(store().get_event(kept.id, kept_ev.id)).id, kept_ev.id);
  EXPECT_EQ(deliveries(kept).size(), 1u);
}

// ================================ API keys ================================

TEST_P(StoreConformance, ApiKeys) {
  auto tenant = add_tenant();
  auto other = add_tenant("other");
  ApiKey k1{next_id("key_"), tenant.id, "hash-1", T0, std::nullopt};
  ApiKey k2{next_id("key_"), tenant.id, "hash-2", T0 + 1, std::nullopt};
  ApiKey k3{next_id("key_"), other.id, "hash-3", T0 + 2, std::nullopt};
  must(store().create_api_key(k1));
  must(store().create_api_key(k2));
  must(store().create_api_key(k3));

  auto found = must(store().find_api_key_by_hash("hash-2"));
  EXPECT_EQ(found.id, k2.id);
  EXPECT_EQ(found.tenant_id, tenant.id);
  EXPECT_EQ(found.created_at, T0 + 1);
  EXPECT_FALSE(found.revoked_at.has_value());
  EXPECT_EQ(error_of(store().find_api_key_by_hash("hash-unknown")), Errc::not_found);

  auto listed = must(store().list_api_keys(tenant.id, {50, std::nullopt}));
  EXPECT_EQ(ids_of(listed.items), (std::vector<std::string>{k2.id, k1.id}));
  auto page = must(store().list_api_keys(tenant.id, {1, std::nullopt}));
  EXPECT_EQ(ids_of(page.items), std::vector<std::string>{k2.id});
  EXPECT_EQ(page.next, k2.id);

  // Duplicate hash, unknown tenant.
  EXPECT_EQ(error_of(store().create_api_key(ApiKey{next_id("key_"), tenant.id, "hash-1", T0, {}})),
            Errc::conflict);
  EXPECT_EQ(
      error_of(store().create_api_key(ApiKey{next_id("key_"), "ten_missing", "hash-9", T0, {}})),
      Errc::not_found);

  // Revoke: only by the owner; the first revocation time stays.
  EXPECT_EQ(error_of(store().revoke_api_key(other.id, k1.id, T0 + 10)), Errc::not_found);
  must(store().revoke_api_key(tenant.id, k1.id, T0 + 10));
  must(store().revoke_api_key(tenant.id, k1.id, T0 + 20));
  EXPECT_EQ(must(store().find_api_key_by_hash("hash-1")).revoked_at, T0 + 10);
  EXPECT_FALSE(must(store().find_api_key_by_hash("hash-2")).revoked_at.has_value());
  EXPECT_EQ(error_of(store().revoke_api_key(tenant.id, "key_missing", T0)), Errc::not_found);
}

// ============================ tenant isolation ============================

TEST_P(StoreConformance, AnotherTenantsIdsAreNotFound) {
  auto mine = add_tenant("mine");
  auto intruder = add_tenant("intruder");
  auto e = add_endpoint(mine);
  auto ev = ingest(mine, "a.b", T0).event;
  auto job = make_dead(T0);

  EXPECT_EQ(error_of(store().get_endpoint(intruder.id, e.id)), Errc::not_found);
  EXPECT_EQ(error_of(store().update_endpoint(intruder.id, e.id, EndpointPatch{}, T0)),
            Errc::not_found);
  EXPECT_EQ(error_of(store().rotate_endpoint_secret(intruder.id, e.id, "x", T0, T0)),
            Errc::not_found);
  EXPECT_EQ(error_of(store().delete_endpoint(intruder.id, e.id)), Errc::not_found);
  EXPECT_EQ(error_of(store().get_event(intruder.id, ev.id)), Errc::not_found);
  EXPECT_EQ(error_of(store().get_delivery(intruder.id, job.delivery_id)), Errc::not_found);
  EXPECT_EQ(error_of(store().replay_delivery(intruder.id, job.delivery_id, T0)), Errc::not_found);
  EXPECT_EQ(error_of(store().replay_dead_since(intruder.id, e.id, 0, T0, 10)), Errc::not_found);
  EXPECT_TRUE(must(store().list_endpoints(intruder.id, {})).items.empty());
  EXPECT_TRUE(must(store().list_events(intruder.id, {}, {})).items.empty());
  EXPECT_TRUE(deliveries(intruder).empty());
  EXPECT_TRUE(deliveries(intruder, {{}, e.id, ev.id}).empty());

  // Nothing was changed by the attempts.
  EXPECT_EQ(must(store().get_endpoint(mine.id, e.id)).url, e.url);
  EXPECT_EQ(delivery(mine, job.delivery_id).status, DeliveryStatus::dead);
}

}  // namespace axon::test
