// The Store conformance suite (see store_conformance.hpp). Every Store operation, with
// explicit times: T0 is an arbitrary "now"; leases, retries and windows move it by hand.
#include "store/store_conformance.hpp"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

namespace axon::test {
namespace {

constexpr Millis kSecond = 1000;
constexpr Millis kMinute = 60 * kSecond;
constexpr Millis kHour = 60 * kMinute;
constexpr Millis kDay = 24 * kHour;

template <class Items>
std::vector<std::string> ids_of(const Items& items) {
  std::vector<std::string> ids;
  for (const auto& item : items) ids.push_back(item.id);
  return ids;
}

std::vector<std::string> delivery_ids(const std::vector<DeliveryJob>& jobs) {
  std::vector<std::string> ids;
  for (const auto& job : jobs) ids.push_back(job.delivery_id);
  return ids;
}

std::vector<std::string> endpoint_ids(const std::vector<Delivery>& ds) {
  std::vector<std::string> ids;
  for (const auto& d : ds) ids.push_back(d.endpoint_id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

}  // namespace

// --- fixture helpers ---

void StoreConformance::SetUp() {
  store_ = GetParam().make();
  ASSERT_NE(store_, nullptr) << "store factory " << GetParam().name << " returned null";
}

void StoreConformance::TearDown() { store_.reset(); }

std::string StoreConformance::next_id(std::string_view prefix) {
  char digits[32];
  std::snprintf(digits, sizeof digits, "%026llu", static_cast<unsigned long long>(++id_counter_));
  return std::string(prefix) + digits;
}

Tenant StoreConformance::add_tenant(std::string name, Millis at) {
  return must(store().create_tenant(Tenant{next_id("ten_"), std::move(name), at}));
}

Endpoint StoreConformance::endpoint_for(const Tenant& tenant) {
  Endpoint e;
  e.id = next_id("ep_");
  e.tenant_id = tenant.id;
  e.url = "https://receiver.example/hook/" + e.id;
  e.secret_sealed = "sealed-secret-" + e.id;
  e.created_at = T0;
  e.updated_at = T0;
  return e;
}

Endpoint StoreConformance::add_endpoint(const Tenant& tenant,
                                        std::optional<std::vector<std::string>> event_types) {
  Endpoint e = endpoint_for(tenant);
  e.event_types = std::move(event_types);
  return add_endpoint(e);
}

Endpoint StoreConformance::add_endpoint(const Endpoint& endpoint) {
  return must(store().create_endpoint(endpoint, Store::kNoEndpointLimit), "create_endpoint");
}

NewEvent StoreConformance::new_event(const Tenant& tenant, const std::string& type, Millis now,
                                     std::optional<std::string> key) {
  NewEvent ev;
  ev.id = next_id("evt_");
  ev.tenant_id = tenant.id;
  ev.type = type;
  ev.payload = R"({"id":")" + ev.id + R"(","type":")" + type + R"(","data":{"n":1}})";
  ev.idempotency_key = std::move(key);
  ev.created_at = now;
  return ev;
}

IngestResult StoreConformance::ingest(const Tenant& tenant, const std::string& type, Millis now,
                                      std::optional<std::string> key) {
  NewEvent ev = new_event(tenant, type, now, std::move(key));
  return must(store().ingest_event(ev, now, [this] { return next_id("dlv_"); }), "ingest_event");
}

std::vector<Delivery> StoreConformance::deliveries(const Tenant& tenant, DeliveryFilter filter) {
  return must(store().list_deliveries(tenant.id, filter, PageRequest{1000, std::nullopt})).items;
}

Delivery StoreConformance::delivery(const Tenant& tenant, const std::string& id) {
  return must(store().get_delivery(tenant.id, id), "get_delivery");
}

std::vector<DeliveryJob> StoreConformance::claim(Millis now, int limit, const std::string& owner) {
  return must(store().claim_due(owner, now, kLease, limit), "claim_due");
}

AttemptRecord StoreConformance::outcome(const DeliveryJob& job, DeliveryStatus status,
                                        Millis started, Millis next_attempt_at) {
  AttemptRecord r;
  r.delivery_id = job.delivery_id;
  r.endpoint_id = job.endpoint_id;
  r.attempt.n = job.attempt;
  r.attempt.started_at = started;
  r.attempt.duration_ms = 12;
  bool ok = status == DeliveryStatus::succeeded;
  r.attempt.status_code = ok ? 200 : 500;
  r.attempt.error = ok ? "" : "http";
  r.attempt.error_message = ok ? "" : "HTTP 500";
  r.attempt.response_excerpt = ok ? "thanks" : "oops";
  r.new_status = status;
  r.next_attempt_at = next_attempt_at;
  return r;
}

void StoreConformance::complete(const std::vector<AttemptRecord>& records, Millis now,
                                const std::string& owner) {
  must(store().complete_attempts(owner, records, now), "complete_attempts");
}

DeliveryJob StoreConformance::make_dead(Millis now, int failures) {
  DeliveryJob job;
  for (int i = 1; i <= failures; ++i) {
    auto jobs = claim(now);
    if (jobs.size() != 1) throw std::runtime_error("make_dead: expected exactly one due delivery");
    job = jobs[0];
    bool last = i == failures;
    complete({outcome(job, last ? DeliveryStatus::dead : DeliveryStatus::pending, now, now)}, now);
  }
  return job;
}

// ============================ schema, settings ============================

TEST_P(StoreConformance, MigrateIsIdempotent) {
  ASSERT_TRUE(store().migrate().has_value());
  ASSERT_TRUE(store().migrate().has_value());
  EXPECT_TRUE(store().ping().has_value());
  auto tenant = add_tenant();
  ASSERT_TRUE(store().migrate().has_value());
  EXPECT_EQ(must(store().get_tenant(tenant.id)).name, "acme");
}

TEST_P(StoreConformance, Settings) {
  EXPECT_EQ(must(store().get_setting("admin_token_hash")), std::nullopt);
  EXPECT_EQ(must(store().put_setting_if_absent("admin_token_hash", "first")), "first");
  EXPECT_EQ(must(store().put_setting_if_absent("admin_token_hash", "second")), "first");
  EXPECT_EQ(must(store().get_setting("admin_token_hash")), "first");
  must(store().put_setting("admin_token_hash", "third"));
  EXPECT_EQ(must(store().get_setting("admin_token_hash")), "third");
  must(store().put_setting("other", ""));
  EXPECT_EQ(must(store().get_setting("other")), "");
}

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

TEST_P(StoreConformance, RotateSecretKeepsPreviousUntilExpiry) {
  auto tenant = add_tenant();
  auto e = add_endpoint(tenant);
  auto rotated =
      must(store().rotate_endpoint_secret(tenant.id, e.id, "sealed-new", T0 + kDay, T0 + 5));
  EXPECT_EQ(rotated.secret_sealed, "sealed-new");
  EXPECT_EQ(rotated.previous_secret_sealed, e.secret_sealed);
  EXPECT_EQ(rotated.previous_secret_expires_at, T0 + kDay);
  EXPECT_EQ(rotated.updated_at, T0 + 5);
  auto got = must(store().get_endpoint(tenant.id, e.id));
  EXPECT_EQ(got.secret_sealed, "sealed-new");
  EXPECT_EQ(got.previous_secret_sealed, e.secret_sealed);

  ingest(tenant, "a.b", T0);
  auto jobs = claim(T0 + kHour);
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].secrets_sealed, (std::vector<std::string>{"sealed-new", e.secret_sealed}));
  // After the rotation window, only the new secret signs.
  complete({outcome(jobs[0], DeliveryStatus::pending, T0 + kHour, T0 + kDay)}, T0 + kHour);
  jobs = claim(T0 + kDay);
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].secrets_sealed, std::vector<std::string>{"sealed-new"});

  // A second rotation replaces the previous secret.
  got = must(store().rotate_endpoint_secret(tenant.id, e.id, "sealed-newer", T0 + 3 * kDay,
                                            T0 + 2 * kDay));
  EXPECT_EQ(got.secret_sealed, "sealed-newer");
  EXPECT_EQ(got.previous_secret_sealed, "sealed-new");
  EXPECT_EQ(error_of(store().rotate_endpoint_secret(tenant.id, "ep_missing", "x", T0, T0)),
            Errc::not_found);
}

TEST_P(StoreConformance, ResealRewritesEverySecretInBatches) {
  auto a = add_tenant("a");
  auto b = add_tenant("b");
  std::vector<Endpoint> endpoints;
  for (int i = 0; i < 3; ++i) endpoints.push_back(add_endpoint(i == 1 ? b : a));
  must(store().rotate_endpoint_secret(a.id, endpoints[0].id, "sealed-rotated", T0 + kDay, T0));
  auto reseal = [](std::string_view sealed) -> Result<std::string> {
    return "re:" + std::string(sealed);
  };
  // Batches of two walk every endpoint of every tenant in id order, then report the end.
  const Store::MasterKeyCheckUpdate check{"rotating", "new"};
  auto first = must(store().reseal_endpoint_secrets("", 2, reseal, check));
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(*first, endpoints[1].id);
  auto second = must(store().reseal_endpoint_secrets(*first, 2, reseal, check));
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(*second, endpoints[2].id);
  EXPECT_FALSE(must(store().reseal_endpoint_secrets(*second, 2, reseal, check)).has_value());

  auto e0 = must(store().get_endpoint(a.id, endpoints[0].id));
  EXPECT_EQ(e0.secret_sealed, "re:sealed-rotated");
  EXPECT_EQ(e0.previous_secret_sealed, "re:" + endpoints[0].secret_sealed);
  EXPECT_EQ(e0.previous_secret_expires_at, T0 + kDay);
  auto e1 = must(store().get_endpoint(b.id, endpoints[1].id));
  EXPECT_EQ(e1.secret_sealed, "re:" + endpoints[1].secret_sealed);
  EXPECT_FALSE(e1.previous_secret_sealed.has_value());
  // The dispatcher sees the re-sealed values.
  ingest(a, "a.b", T0);
  auto jobs = claim(T0 + kHour);
  ASSERT_EQ(jobs.size(), 2u);
  for (const auto& job : jobs) {
    for (const auto& sealed : job.secrets_sealed) EXPECT_TRUE(sealed.starts_with("re:"));
  }

  // A failing reseal rolls its whole batch back.
  int calls = 0;
  auto failing = [&calls](std::string_view sealed) -> Result<std::string> {
    if (++calls == 3) return fail(Errc::invalid_request, "cannot open");  // 2nd endpoint
    return "x:" + std::string(sealed);
  };
  EXPECT_EQ(error_of(store().reseal_endpoint_secrets("", 10, failing, {"x-rotating", "x-new"})),
            Errc::invalid_request);
  EXPECT_EQ(must(store().get_endpoint(a.id, endpoints[0].id)).secret_sealed, "re:sealed-rotated");
  EXPECT_EQ(must(store().get_setting(kMasterKeyCheckSetting)), "new");  // rolled back too
}

TEST_P(StoreConformance, ResealRecordsTheKeyCheckWithEachBatch) {
  auto a = add_tenant("a");
  std::vector<Endpoint> endpoints;
  for (int i = 0; i < 3; ++i) endpoints.push_back(add_endpoint(a));
  auto same = [](std::string_view sealed) -> Result<std::string> { return std::string(sealed); };
  const Store::MasterKeyCheckUpdate check{"rotating", "done"};
  // A full batch leaves endpoints behind it: the record says a rotation is under way.
  auto first = must(store().reseal_endpoint_secrets("", 2, same, check));
  EXPECT_EQ(must(store().get_setting(kMasterKeyCheckSetting)), "rotating");
  // The batch that re-seals the last endpoints records the final value in its transaction.
  auto last = must(store().reseal_endpoint_secrets(*first, 2, same, check));
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(*last, endpoints[2].id);
  EXPECT_EQ(must(store().get_setting(kMasterKeyCheckSetting)), "done");
  // An empty store (or an empty batch after the last) records the final value as well.
  EXPECT_FALSE(must(store().reseal_endpoint_secrets(*last, 2, same, {"r2", "d2"})).has_value());
  EXPECT_EQ(must(store().get_setting(kMasterKeyCheckSetting)), "d2");
}

TEST_P(StoreConformance, SampleSealedSecretReturnsAnEndpointSecretOrNothing) {
  EXPECT_FALSE(must(store().sample_sealed_secret()).has_value());
  auto a = add_tenant("a");
  auto b = add_tenant("b");
  auto e1 = add_endpoint(a);
  auto e2 = add_endpoint(b);
  auto sample = must(store().sample_sealed_secret());
  ASSERT_TRUE(sample.has_value());
  EXPECT_TRUE(*sample == e1.secret_sealed || *sample == e2.secret_sealed) << *sample;
}

TEST_P(StoreConformance, EndpointClientCertificateRoundTripsPatchesAndReachesTheDispatcher) {
  auto tenant = add_tenant();
  Endpoint e = endpoint_for(tenant);
  e.tls_client_certificate = "-----BEGIN CERTIFICATE-----\nchain\n-----END CERTIFICATE-----\n";
  e.tls_client_key_sealed = "sealed-key";
  add_endpoint(e);
  auto got = must(store().get_endpoint(tenant.id, e.id));
  EXPECT_EQ(got.tls_client_certificate, e.tls_client_certificate);
  EXPECT_EQ(got.tls_client_key_sealed, "sealed-key");
  auto plain = add_endpoint(tenant);
  EXPECT_FALSE(must(store().get_endpoint(tenant.id, plain.id)).tls_client_certificate);
  EXPECT_FALSE(must(store().get_endpoint(tenant.id, plain.id)).tls_client_key_sealed);

  // A patch without them keeps them; the dispatcher gets both with every job.
  EndpointPatch unrelated;
  unrelated.description = "renamed";
  must(store().update_endpoint(tenant.id, e.id, unrelated, T0 + 1));
  ingest(tenant, "a.b", T0);
  auto jobs = claim(T0 + 2);
  ASSERT_EQ(jobs.size(), 2u);
  for (const auto& job : jobs) {
    if (job.endpoint_id == e.id) {
      EXPECT_EQ(job.tls_client_certificate, e.tls_client_certificate);
      EXPECT_EQ(job.tls_client_key_sealed, "sealed-key");
    } else {
      EXPECT_FALSE(job.tls_client_certificate);
      EXPECT_FALSE(job.tls_client_key_sealed);
    }
  }

  // Replaced as a pair, then removed as a pair.
  EndpointPatch replace;
  replace.tls_client_certificate = std::optional<std::string>("new-chain");
  replace.tls_client_key_sealed = std::optional<std::string>("new-sealed-key");
  auto replaced = must(store().update_endpoint(tenant.id, e.id, replace, T0 + 3));
  EXPECT_EQ(replaced.tls_client_certificate, "new-chain");
  EXPECT_EQ(must(store().get_endpoint(tenant.id, e.id)).tls_client_key_sealed, "new-sealed-key");
  EndpointPatch remove;
  remove.tls_client_certificate = std::optional<std::string>();
  remove.tls_client_key_sealed = std::optional<std::string>();
  must(store().update_endpoint(tenant.id, e.id, remove, T0 + 4));
  auto removed = must(store().get_endpoint(tenant.id, e.id));
  EXPECT_FALSE(removed.tls_client_certificate);
  EXPECT_FALSE(removed.tls_client_key_sealed);
  EXPECT_EQ(removed.description, "renamed");
}

TEST_P(StoreConformance, ResealRewritesClientCertificateKeysToo) {
  auto tenant = add_tenant();
  Endpoint with_key = endpoint_for(tenant);
  with_key.tls_client_certificate = "chain";
  with_key.tls_client_key_sealed = "sealed-key";
  add_endpoint(with_key);
  auto without_key = add_endpoint(tenant);
  auto reseal = [](std::string_view sealed) -> Result<std::string> {
    return "re:" + std::string(sealed);
  };
  auto last = must(store().reseal_endpoint_secrets("", 10, reseal, {"rotating", "done"}));
  ASSERT_TRUE(last.has_value());
  auto got = must(store().get_endpoint(tenant.id, with_key.id));
  EXPECT_EQ(got.tls_client_key_sealed, "re:sealed-key");
  EXPECT_EQ(got.tls_client_certificate, "chain") << "the certificate is public: not sealed";
  EXPECT_EQ(got.secret_sealed, "re:" + with_key.secret_sealed);
  EXPECT_FALSE(must(store().get_endpoint(tenant.id, without_key.id)).tls_client_key_sealed);
}

// Custom headers at rest (store/sealed_headers.hpp): rows written before sealing still read,
// new ones are sealed, the old ones are sealed on request, and every reader (API reads,
// claims) gets the values back as written.
TEST_P(StoreConformance, HeaderListsAreSealedAtRestAndReadBackAsWritten) {
  auto tenant = add_tenant();
  Endpoint legacy = endpoint_for(tenant);
  legacy.headers = {{"Authorization", "Bearer legacy-credential"}};
  add_endpoint(legacy);  // written plain, as before sealing existed

  SeededRandom random(7);
  auto box = must(SecretBox::create(std::string(32, 'h')));
  const HeaderSealer sealer(box, random);
  store().seal_headers_with(sealer);
  EXPECT_EQ(must(store().get_endpoint(tenant.id, legacy.id)).headers, legacy.headers);

  Endpoint fresh = endpoint_for(tenant);
  fresh.headers = {{"Authorization", "Bearer fresh-credential"}, {"X-Team", "blue"}};
  add_endpoint(fresh);
  EXPECT_EQ(must(store().get_endpoint(tenant.id, fresh.id)).headers, fresh.headers);

  // The one plain row left is sealed, once.
  EXPECT_EQ(must(store().seal_plain_headers(100)), 1);
  EXPECT_EQ(must(store().seal_plain_headers(100)), 0);

  // What is stored: one sealed value per header list, holding no credential.
  std::vector<std::string> at_rest;
  auto record = [&](std::string_view sealed) -> Result<std::string> {
    at_rest.emplace_back(sealed);
    return std::string(sealed);
  };
  must(store().reseal_endpoint_secrets("", 10, record, {"rotating", "done"}));
  int header_lists = 0;
  for (const auto& value : at_rest) {
    EXPECT_EQ(value.find("credential"), std::string::npos) << value;
    if (value.starts_with("v1:")) {
      ++header_lists;
      EXPECT_TRUE(box.open(value).has_value());
    }
  }
  EXPECT_EQ(header_lists, 2);

  // Readers get the values back: a page, a PATCH, the dispatcher's claim.
  auto listed = must(store().list_endpoints(tenant.id, PageRequest{10, std::nullopt})).items;
  ASSERT_EQ(listed.size(), 2u);
  for (const auto& e : listed) {
    EXPECT_EQ(e.headers, e.id == legacy.id ? legacy.headers : fresh.headers);
  }
  EndpointPatch patch;
  patch.headers = HeaderList{{"Authorization", "Bearer patched-credential"}};
  EXPECT_EQ(must(store().update_endpoint(tenant.id, legacy.id, patch, T0 + 1)).headers,
            *patch.headers);
  EXPECT_EQ(must(store().get_endpoint(tenant.id, legacy.id)).headers, *patch.headers);
  ingest(tenant, "a.b", T0);
  auto jobs = claim(T0 + kHour);
  ASSERT_EQ(jobs.size(), 2u);
  for (const auto& job : jobs) {
    EXPECT_EQ(job.headers, job.endpoint_id == legacy.id ? *patch.headers : fresh.headers);
  }

  // Master-key rotation re-seals header lists with the secrets.
  auto new_box = must(SecretBox::create(std::string(32, 'n')));
  auto reseal = [&](std::string_view sealed) -> Result<std::string> {
    auto plain = box.open(sealed);
    if (!plain) return std::string(sealed);  // the fixture's fake secrets are not sealed
    return new_box.seal(*plain, random);
  };
  must(store().reseal_endpoint_secrets("", 10, reseal, {"rotating", "done"}));
  const HeaderSealer new_sealer(new_box, random);
  store().seal_headers_with(new_sealer);
  EXPECT_EQ(must(store().get_endpoint(tenant.id, fresh.id)).headers, fresh.headers);
}

// ================================ ingest ================================

TEST_P(StoreConformance, IngestFansOutToEnabledMatchingEndpoints) {
  auto tenant = add_tenant();
  auto exact = add_endpoint(tenant, std::vector<std::string>{"order.created"});
  auto wildcard = add_endpoint(tenant, std::vector<std::string>{"order.*"});
  auto all = add_endpoint(tenant);
  auto star = add_endpoint(tenant, std::vector<std::string>{"*"});
  auto users = add_endpoint(tenant, std::vector<std::string>{"user.*", "invoice.paid"});
  Endpoint off = endpoint_for(tenant);
  off.disabled = true;
  add_endpoint(off);
  auto other = add_tenant("other");
  add_endpoint(other);

  auto order = ingest(tenant, "order.created", T0);
  EXPECT_FALSE(order.replayed);
  EXPECT_EQ(order.event.deliveries, 4);
  auto ds = deliveries(tenant, {std::nullopt, std::nullopt, order.event.id});
  EXPECT_EQ(endpoint_ids(ds), sorted({exact.id, wildcard.id, all.id, star.id}));
  for (const auto& d : ds) {
    EXPECT_EQ(d.status, DeliveryStatus::pending);
    EXPECT_EQ(d.event_type, "order.created");
    EXPECT_EQ(d.tenant_id, tenant.id);
    EXPECT_EQ(d.next_attempt_at, T0);
    EXPECT_EQ(d.attempts, 0);
    EXPECT_EQ(d.created_at, T0);
  }

  auto paid = ingest(tenant, "invoice.paid", T0);
  EXPECT_EQ(endpoint_ids(deliveries(tenant, {std::nullopt, std::nullopt, paid.event.id})),
            sorted({all.id, star.id, users.id}));
  // "order.*" does not match "order" itself.
  auto bare = ingest(tenant, "order", T0);
  EXPECT_EQ(bare.event.deliveries, 2);

  auto lonely_tenant = add_tenant("lonely");
  auto lonely = ingest(lonely_tenant, "order.created", T0);
  EXPECT_EQ(lonely.event.deliveries, 0);
  EXPECT_EQ(must(store().get_event(lonely_tenant.id, lonely.event.id)).deliveries, 0);
  EXPECT_TRUE(deliveries(lonely_tenant).empty());
}

TEST_P(StoreConformance, IngestStoresTheEventExactly) {
  auto tenant = add_tenant();
  add_endpoint(tenant);
  NewEvent ev;
  ev.id = next_id("evt_");
  ev.tenant_id = tenant.id;
  ev.type = "order.created";
  ev.payload =
      std::string(R"({"data":{"text":"ünïcödé \u0000 \"quoted\""}})") + std::string(70000, 'x');
  ev.idempotency_key = "k-1";
  ev.created_at = T0 + 7;
  auto stored = must(store().ingest_event(ev, T0 + 7, [this] { return next_id("dlv_"); }));
  EXPECT_EQ(stored.event.id, ev.id);
  auto got = must(store().get_event(tenant.id, ev.id));
  EXPECT_EQ(got.tenant_id, tenant.id);
  EXPECT_EQ(got.type, ev.type);
  EXPECT_EQ(got.payload, ev.payload);
  EXPECT_EQ(got.idempotency_key, "k-1");
  EXPECT_EQ(got.deliveries, 1);
  EXPECT_EQ(got.created_at, T0 + 7);
  auto job = claim(T0 + 7).at(0);
  EXPECT_EQ(*job.payload, ev.payload);

  // The same event id again (without a key) is a conflict.
  NewEvent again = ev;
  again.idempotency_key.reset();
  EXPECT_EQ(error_of(store().ingest_event(again, T0 + 8, [this] { return next_id("dlv_"); })),
            Errc::conflict);
  EXPECT_EQ(deliveries(tenant).size(), 1u);  // nothing half-written by the failed ingest
  NewEvent orphan = ev;
  orphan.id = next_id("evt_");
  orphan.tenant_id = "ten_missing";
  orphan.idempotency_key.reset();
  EXPECT_EQ(error_of(store().ingest_event(orphan, T0, [this] { return next_id("dlv_"); })),
            Errc::not_found);
}

TEST_P(StoreConformance, IdempotencyKeyWithin24HoursReturnsTheFirstEvent) {
  auto tenant = add_tenant();
  add_endpoint(tenant);
  auto first = ingest(tenant, "order.created", T0, "key-A");
  EXPECT_FALSE(first.replayed);

  auto repeat = ingest(tenant, "order.created", T0 + 24 * kHour - 1, "key-A");
  EXPECT_TRUE(repeat.replayed);
  EXPECT_EQ(repeat.event.id, first.event.id);
  EXPECT_EQ(repeat.event.created_at, T0);
  EXPECT_EQ(repeat.event.deliveries, 1);
  EXPECT_EQ(deliveries(tenant).size(), 1u);
  EXPECT_EQ(must(store().list_events(tenant.id, {}, {50, std::nullopt})).items.size(), 1u);

  // Another key, no key, and the same key in another tenant: all new.
  EXPECT_FALSE(ingest(tenant, "order.created", T0 + 1, "key-B").replayed);
  EXPECT_FALSE(ingest(tenant, "order.created", T0 + 1).replayed);
  EXPECT_FALSE(ingest(tenant, "order.created", T0 + 1).replayed);
  auto other = add_tenant("other");
  auto theirs = ingest(other, "order.created", T0 + 1, "key-A");
  EXPECT_FALSE(theirs.replayed);
  EXPECT_NE(theirs.event.id, first.event.id);

  // After the window the key is free again; the newer event then owns it.
  auto later = ingest(tenant, "order.created", T0 + 24 * kHour + 1, "key-A");
  EXPECT_FALSE(later.replayed);
  EXPECT_NE(later.event.id, first.event.id);
  EXPECT_EQ(later.event.deliveries, 1);
  auto again = ingest(tenant, "order.created", T0 + 30 * kHour, "key-A");
  EXPECT_TRUE(again.replayed);
  EXPECT_EQ(again.event.id, later.event.id);
  // The first event is still there, key and all.
  EXPECT_EQ(must(store().get_event(tenant.id, first.event.id)).idempotency_key, "key-A");
}

// ================================ events ================================

TEST_P(StoreConformance, EventListPaginatesNewestFirst) {
  auto tenant = add_tenant();
  auto other = add_tenant("other");
  std::vector<std::string> created;
  for (int i = 0; i < 7; ++i) created.push_back(ingest(tenant, "a.b", T0 + i).event.id);
  ingest(other, "a.b", T0);

  std::vector<std::string> seen;
  std::optional<std::string> after;
  int pages = 0;
  do {
    auto page = must(store().list_events(tenant.id, {}, {3, after}));
    for (const auto& e : page.items) seen.push_back(e.id);
    after = page.next;
    ++pages;
    if (after) {
      EXPECT_EQ(*after, page.items.back().id);
      EXPECT_EQ(page.items.size(), 3u);
    }
  } while (after && pages < 10);
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, std::vector<std::string>(created.rbegin(), created.rend()));
  EXPECT_EQ(error_of(store().get_event(other.id, created[0])), Errc::not_found);
}

TEST_P(StoreConformance, EventFilters) {
  auto tenant = add_tenant();
  auto a1 = ingest(tenant, "order.created", T0).event;
  auto b1 = ingest(tenant, "order.paid", T0 + kMinute).event;
  auto a2 = ingest(tenant, "order.created", T0 + 2 * kMinute).event;
  auto b2 = ingest(tenant, "order.paid", T0 + 3 * kMinute).event;

  auto by_type = must(store().list_events(tenant.id, {"order.created", {}, {}}, {}));
  EXPECT_EQ(ids_of(by_type.items), (std::vector<std::string>{a2.id, a1.id}));
  auto since = must(store().list_events(tenant.id, {{}, T0 + kMinute, {}}, {}));
  EXPECT_EQ(ids_of(since.items), (std::vector<std::string>{b2.id, a2.id, b1.id}));
  auto until = must(store().list_events(tenant.id, {{}, {}, T0 + 2 * kMinute}, {}));
  EXPECT_EQ(ids_of(until.items), (std::vector<std::string>{b1.id, a1.id}));
  auto window =
      must(store().list_events(tenant.id, {"order.paid", T0 + kMinute, T0 + 3 * kMinute}, {}));
  EXPECT_EQ(ids_of(window.items), std::vector<std::string>{b1.id});
  auto paged = must(store().list_events(tenant.id, {"order.paid", {}, {}}, {1, std::nullopt}));
  EXPECT_EQ(ids_of(paged.items), std::vector<std::string>{b2.id});
  auto rest = must(store().list_events(tenant.id, {"order.paid", {}, {}}, {1, paged.next}));
  EXPECT_EQ(ids_of(rest.items), std::vector<std::string>{b1.id});
  EXPECT_FALSE(rest.next.has_value());
}

// ================================ deliveries ================================

TEST_P(StoreConformance, DeliveryFiltersAndLastAttempt) {
  auto tenant = add_tenant();
  auto e1 = add_endpoint(tenant);
  auto e2 = add_endpoint(tenant);
  auto ev1 = ingest(tenant, "a.b", T0).event;
  auto ev2 = ingest(tenant, "a.b", T0 + 1).event;
  auto jobs = claim(T0 + 1);
  ASSERT_EQ(jobs.size(), 4u);
  // ev1 -> e1 succeeds, ev1 -> e2 dies, the others fail once and wait.
  std::vector<AttemptRecord> records;
  std::string ok_id, dead_id;
  for (const auto& job : jobs) {
    if (job.event_id == ev1.id && job.endpoint_id == e1.id) {
      records.push_back(outcome(job, DeliveryStatus::succeeded, T0 + 2));
      ok_id = job.delivery_id;
    } else if (job.event_id == ev1.id) {
      records.push_back(outcome(job, DeliveryStatus::dead, T0 + 2));
      dead_id = job.delivery_id;
    } else {
      records.push_back(outcome(job, DeliveryStatus::pending, T0 + 2, T0 + kMinute));
    }
  }
  complete(records, T0 + 3);

  auto all = deliveries(tenant);
  ASSERT_EQ(all.size(), 4u);
  EXPECT_TRUE(std::is_sorted(all.begin(), all.end(),
                             [](const auto& a, const auto& b) { return a.id > b.id; }));
  for (const auto& d : all) {
    ASSERT_TRUE(d.last_attempt.has_value()) << d.id;
    EXPECT_EQ(d.last_attempt->n, 1);
    EXPECT_TRUE(d.attempt_log.empty()) << "lists carry the last attempt only";
  }
  auto ok = deliveries(tenant, {DeliveryStatus::succeeded, {}, {}});
  EXPECT_EQ(ids_of(ok), std::vector<std::string>{ok_id});
  EXPECT_EQ(ok[0].last_attempt->status_code, 200);
  EXPECT_EQ(ids_of(deliveries(tenant, {DeliveryStatus::dead, {}, {}})),
            std::vector<std::string>{dead_id});
  EXPECT_EQ(deliveries(tenant, {DeliveryStatus::pending, {}, {}}).size(), 2u);
  EXPECT_EQ(deliveries(tenant, {{}, e1.id, {}}).size(), 2u);
  EXPECT_EQ(deliveries(tenant, {{}, {}, ev2.id}).size(), 2u);
  EXPECT_EQ(ids_of(deliveries(tenant, {DeliveryStatus::dead, e2.id, ev1.id})),
            std::vector<std::string>{dead_id});
  EXPECT_TRUE(deliveries(tenant, {DeliveryStatus::dead, e1.id, {}}).empty());

  // A fresh delivery has no last attempt.
  auto ev3 = ingest(tenant, "a.b", T0 + 4).event;
  auto fresh = deliveries(tenant, {{}, {}, ev3.id});
  ASSERT_EQ(fresh.size(), 2u);
  EXPECT_FALSE(fresh[0].last_attempt.has_value());

  // Pagination over deliveries.
  auto p1 = must(store().list_deliveries(tenant.id, {}, {4, std::nullopt}));
  EXPECT_EQ(p1.items.size(), 4u);
  ASSERT_TRUE(p1.next.has_value());
  auto p2 = must(store().list_deliveries(tenant.id, {}, {4, p1.next}));
  EXPECT_EQ(p2.items.size(), 2u);
  EXPECT_FALSE(p2.next.has_value());
}

// ================================ claiming ================================

TEST_P(StoreConformance, ClaimLeasesDueDeliveriesWithEverythingToSendThem) {
  auto tenant = add_tenant();
  Endpoint e = endpoint_for(tenant);
  e.headers = {{"X-Team", "blue"}};
  e.max_in_flight = 3;
  e.rate_limit = 1.5;
  add_endpoint(e);
  auto ev = ingest(tenant, "order.created", T0).event;

  EXPECT_TRUE(claim(T0 - 1).empty()) << "not due before next_attempt_at";
  auto jobs = must(store().claim_due("worker-a", T0, kLease, 10));
  ASSERT_EQ(jobs.size(), 1u);
  const auto& job = jobs[0];
  EXPECT_EQ(job.tenant_id, tenant.id);
  EXPECT_EQ(job.event_id, ev.id);
  EXPECT_EQ(job.event_type, "order.created");
  EXPECT_EQ(job.endpoint_id, e.id);
  EXPECT_EQ(job.url, e.url);
  EXPECT_EQ(job.headers, e.headers);
  EXPECT_EQ(job.secrets_sealed, std::vector<std::string>{e.secret_sealed});
  EXPECT_EQ(*job.payload, ev.payload);
  EXPECT_EQ(job.attempt, 1);
  EXPECT_EQ(job.attempt_in_series, 1);
  EXPECT_EQ(job.max_in_flight, 3);
  EXPECT_DOUBLE_EQ(job.rate_limit, 1.5);
  EXPECT_EQ(job.ordering, Ordering::parallel);
  EXPECT_EQ(job.lease_expires_at, T0 + kLease);

  auto d = delivery(tenant, job.delivery_id);
  EXPECT_EQ(d.lease_owner, "worker-a");
  EXPECT_EQ(d.lease_expires_at, T0 + kLease);
  EXPECT_EQ(d.status, DeliveryStatus::pending);

  // Leased: nobody else gets it until the lease expires.
  EXPECT_TRUE(must(store().claim_due("worker-b", T0 + kLease - 1, kLease, 10)).empty());
  auto reclaimed = must(store().claim_due("worker-b", T0 + kLease, kLease, 10));
  ASSERT_EQ(reclaimed.size(), 1u);
  EXPECT_EQ(reclaimed[0].delivery_id, job.delivery_id);
  EXPECT_EQ(reclaimed[0].attempt, 1) << "an expired lease is not an attempt";
  EXPECT_EQ(reclaimed[0].lease_expires_at, T0 + 2 * kLease);
  EXPECT_EQ(delivery(tenant, job.delivery_id).lease_owner, "worker-b");
  EXPECT_TRUE(claim(T0 + kLease, 0).empty());
}

TEST_P(StoreConformance, ClaimTakesOldestDueFirstUpToTheLimit) {
  auto tenant = add_tenant();
  add_endpoint(tenant);
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    auto ev = ingest(tenant, "a.b", T0 + i).event;
    ids.push_back(deliveries(tenant, {{}, {}, ev.id}).at(0).id);
  }
  // Push the oldest one into the future: it is no longer first in line.
  auto first = claim(T0 + 4, 1);
  ASSERT_EQ(delivery_ids(first), std::vector<std::string>{ids[0]});
  complete({outcome(first[0], DeliveryStatus::pending, T0 + 4, T0 + kHour)}, T0 + 4);

  auto two = claim(T0 + 10, 2);
  EXPECT_EQ(delivery_ids(two), (std::vector<std::string>{ids[1], ids[2]}));
  auto rest = claim(T0 + 10, 10);
  EXPECT_EQ(delivery_ids(rest), (std::vector<std::string>{ids[3], ids[4]}));
  std::vector<AttemptRecord> done;
  for (const auto& j : two) done.push_back(outcome(j, DeliveryStatus::succeeded, T0 + 10));
  for (const auto& j : rest) done.push_back(outcome(j, DeliveryStatus::succeeded, T0 + 10));
  complete(done, T0 + 11);
  EXPECT_TRUE(claim(T0 + kHour - 1).empty());
  EXPECT_EQ(delivery_ids(claim(T0 + kHour)), std::vector<std::string>{ids[0]});
}

TEST_P(StoreConformance, ClaimSkipsDisabledEndpoints) {
  auto tenant = add_tenant();
  auto on = add_endpoint(tenant);
  auto off = add_endpoint(tenant);
  ingest(tenant, "a.b", T0);
  EndpointPatch disable;
  disable.disabled = true;
  must(store().update_endpoint(tenant.id, off.id, disable, T0));

  auto jobs = claim(T0);
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].endpoint_id, on.id);
  EXPECT_TRUE(claim(T0 + 1).empty());
  auto later = claim(T0 + kDay);  // the lease ran out: only the enabled endpoint's again
  ASSERT_EQ(later.size(), 1u);
  EXPECT_EQ(later[0].endpoint_id, on.id);
  EXPECT_EQ(deliveries(tenant, {DeliveryStatus::pending, off.id, {}}).size(), 1u);
}

TEST_P(StoreConformance, ConcurrentClaimersNeverShareADelivery) {
  auto tenant = add_tenant();
  add_endpoint(tenant);
  add_endpoint(tenant);
  constexpr int kEvents = 100;
  for (int i = 0; i < kEvents; ++i) ingest(tenant, "a.b", T0);

  std::mutex mu;
  std::vector<std::string> claimed;
  std::vector<std::string> errors;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::string owner = "worker-" + std::to_string(t);
      for (int round = 0; round < 1000; ++round) {
        auto jobs = store().claim_due(owner, T0, kLease, 7);
        std::lock_guard lock(mu);
        if (!jobs) {
          errors.push_back(jobs.error().message);
          return;
        }
        if (jobs->empty()) return;
        for (const auto& job : *jobs) claimed.push_back(job.delivery_id);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_TRUE(errors.empty()) << errors.front();
  std::set<std::string> unique(claimed.begin(), claimed.end());
  EXPECT_EQ(unique.size(), claimed.size()) << "a delivery was leased twice";
  EXPECT_EQ(claimed.size(), static_cast<std::size_t>(2 * kEvents));
}

// ---- claims shared among tenants ----

static std::map<std::string, int> jobs_per_tenant(const std::vector<DeliveryJob>& jobs) {
  std::map<std::string, int> n;
  for (const auto& job : jobs) ++n[job.tenant_id];
  return n;
}

TEST_P(StoreConformance, ClaimSharesTheBatchAmongTenantsWithDueWork) {
  auto noisy = add_tenant("noisy");
  auto quiet = add_tenant("quiet");
  add_endpoint(noisy);
  add_endpoint(quiet);
  std::vector<std::string> noisy_ids;
  for (int i = 0; i < 8; ++i) {
    auto ev = ingest(noisy, "a.b", T0 + i).event;  // older than all of quiet's
    noisy_ids.push_back(deliveries(noisy, {{}, {}, ev.id}).at(0).id);
  }
  for (int i = 0; i < 2; ++i) ingest(quiet, "a.b", T0 + 100 + i);

  auto first = claim(T0 + 200, 4);
  EXPECT_EQ(jobs_per_tenant(first), (std::map<std::string, int>{{noisy.id, 2}, {quiet.id, 2}}));
  std::vector<std::string> noisy_taken;
  for (const auto& job : first) {
    if (job.tenant_id == noisy.id) noisy_taken.push_back(job.delivery_id);
  }
  EXPECT_EQ(noisy_taken, (std::vector<std::string>{noisy_ids[0], noisy_ids[1]})) << "oldest first";
  auto rest = claim(T0 + 200, 100);
  EXPECT_EQ(jobs_per_tenant(rest), (std::map<std::string, int>{{noisy.id, 6}}));
}

TEST_P(StoreConformance, ClaimGivesWhatATenantCannotUseToTenantsWithMore) {
  auto a = add_tenant("a");
  auto b = add_tenant("b");
  auto c = add_tenant("c");
  for (const auto& t : {a, b, c}) add_endpoint(t);
  for (int i = 0; i < 10; ++i) ingest(a, "a.b", T0 + i);
  ingest(b, "a.b", T0 + 20);
  for (int i = 0; i < 4; ++i) ingest(c, "a.b", T0 + 30 + i);
  // Parts of 3; b uses 1, and the 2 left go one each to a and c.
  auto jobs = claim(T0 + 60, 9);
  EXPECT_EQ(jobs_per_tenant(jobs), (std::map<std::string, int>{{a.id, 4}, {b.id, 1}, {c.id, 4}}));
}

TEST_P(StoreConformance, ClaimTurnsMoveOnFromOneClaimToTheNext) {
  auto a = add_tenant("a");
  auto b = add_tenant("b");
  add_endpoint(a);
  add_endpoint(b);
  for (int i = 0; i < 3; ++i) {
    ingest(a, "a.b", T0 + i);
    ingest(b, "a.b", T0 + 10 + i);
  }
  std::vector<std::string> order;
  for (int i = 0; i < 6; ++i) {
    auto one = claim(T0 + 20, 1);
    ASSERT_EQ(one.size(), 1u);
    order.push_back(one[0].tenant_id);
  }
  for (std::size_t i = 1; i < order.size(); ++i) EXPECT_NE(order[i], order[i - 1]) << i;
  EXPECT_TRUE(claim(T0 + 20, 1).empty());
}

TEST_P(StoreConformance, ClaimOfOneEventSharesOneBody) {
  auto tenant = add_tenant();
  add_endpoint(tenant);
  add_endpoint(tenant);
  add_endpoint(tenant);
  auto ev = ingest(tenant, "a.b", T0).event;
  auto jobs = claim(T0);
  ASSERT_EQ(jobs.size(), 3u);
  EXPECT_EQ(*jobs[0].payload, ev.payload);
  EXPECT_EQ(jobs[0].payload.get(), jobs[1].payload.get());
  EXPECT_EQ(jobs[0].payload.get(), jobs[2].payload.get());
}

TEST_P(StoreConformance, FifoEndpointHasOneInFlightInCreationOrder) {
  auto tenant = add_tenant();
  Endpoint fifo = endpoint_for(tenant);
  fifo.ordering = Ordering::fifo;
  add_endpoint(fifo);
  auto parallel = add_endpoint(tenant);
  std::vector<std::string> fifo_ids;
  for (int i = 0; i < 3; ++i) {
    auto ev = ingest(tenant, "a.b", T0 + i).event;
    fifo_ids.push_back(deliveries(tenant, {{}, fifo.id, ev.id}).at(0).id);
  }

  auto jobs = claim(T0 + 10);
  int parallel_jobs = 0;
  std::vector<std::string> fifo_claimed;
  std::vector<AttemptRecord> parallel_done;
  for (const auto& job : jobs) {
    if (job.endpoint_id == parallel.id) {
      ++parallel_jobs;
      parallel_done.push_back(outcome(job, DeliveryStatus::succeeded, T0 + 10));
    } else {
      fifo_claimed.push_back(job.delivery_id);
    }
  }
  complete(parallel_done, T0 + 11);
  EXPECT_EQ(parallel_jobs, 3);
  ASSERT_EQ(fifo_claimed, std::vector<std::string>{fifo_ids[0]});
  EXPECT_EQ(jobs.size(), 4u);
  const auto head = *std::find_if(jobs.begin(), jobs.end(),
                                  [&](const auto& j) { return j.delivery_id == fifo_ids[0]; });
  EXPECT_EQ(head.ordering, Ordering::fifo);

  // While the head is in flight, or waiting for its retry, nothing behind it moves.
  EXPECT_TRUE(claim(T0 + 20).empty());
  complete({outcome(head, DeliveryStatus::pending, T0 + 20, T0 + kMinute)}, T0 + 20);
  EXPECT_TRUE(claim(T0 + 30).empty());
  auto retry = claim(T0 + kMinute);
  ASSERT_EQ(delivery_ids(retry), std::vector<std::string>{fifo_ids[0]});
  EXPECT_EQ(retry[0].attempt, 2);

  // Its lease expiring hands it (not the next one) to another worker.
  auto stolen = claim(T0 + kMinute + kLease, 10, "w2");
  ASSERT_EQ(delivery_ids(stolen), std::vector<std::string>{fifo_ids[0]});

  // Done: the next in creation order becomes claimable, and only it.
  complete({outcome(stolen[0], DeliveryStatus::succeeded, T0 + 2 * kMinute)}, T0 + 2 * kMinute,
           "w2");
  EXPECT_EQ(delivery_ids(claim(T0 + 2 * kMinute)), std::vector<std::string>{fifo_ids[1]});
  EXPECT_TRUE(claim(T0 + 2 * kMinute).empty());
  auto next_due = must(store().next_due_at());
  EXPECT_EQ(next_due, T0 + 2 * kMinute + kLease);
}

// ================================ completing ================================

TEST_P(StoreConformance, CompleteSucceeded) {
  auto tenant = add_tenant();
  auto e = add_endpoint(tenant);
  ingest(tenant, "a.b", T0);
  auto job = claim(T0).at(0);
  auto record = outcome(job, DeliveryStatus::succeeded, T0 + 1);
  complete({record}, T0 + 20);

  auto d = delivery(tenant, job.delivery_id);
  EXPECT_EQ(d.status, DeliveryStatus::succeeded);
  EXPECT_EQ(d.attempts, 1);
  EXPECT_FALSE(d.lease_owner.has_value());
  EXPECT_FALSE(d.lease_expires_at.has_value());
  EXPECT_EQ(d.updated_at, T0 + 20);
  ASSERT_EQ(d.attempt_log.size(), 1u);
  const auto& a = d.attempt_log[0];
  EXPECT_EQ(a.n, 1);
  EXPECT_EQ(a.started_at, T0 + 1);
  EXPECT_EQ(a.duration_ms, 12);
  EXPECT_EQ(a.status_code, 200);
  EXPECT_EQ(a.error, "");
  EXPECT_EQ(a.response_excerpt, "thanks");
  ASSERT_TRUE(d.last_attempt.has_value());
  EXPECT_EQ(d.last_attempt->n, 1);
  EXPECT_TRUE(claim(T0 + kDay).empty());
  EXPECT_FALSE(must(store().get_endpoint(tenant.id, e.id)).failing_since.has_value());
}

TEST_P(StoreConformance, CompleteRetryWaitsForNextAttemptAndTracksFailingSince) {
  auto tenant = add_tenant();
  auto e = add_endpoint(tenant);
  ingest(tenant, "a.b", T0);
  auto job = claim(T0).at(0);
  complete({outcome(job, DeliveryStatus::pending, T0 + 1, T0 + 5 * kSecond)}, T0 + 2);

  auto d = delivery(tenant, job.delivery_id);
  EXPECT_EQ(d.status, DeliveryStatus::pending);
  EXPECT_EQ(d.attempts, 1);
  EXPECT_EQ(d.next_attempt_at, T0 + 5 * kSecond);
  EXPECT_FALSE(d.lease_owner.has_value());
  EXPECT_EQ(must(store().get_endpoint(tenant.id, e.id)).failing_since, T0 + 1);

  EXPECT_TRUE(claim(T0 + 5 * kSecond - 1).empty());
  auto second = claim(T0 + 5 * kSecond);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].attempt, 2);
  EXPECT_EQ(second[0].attempt_in_series, 2);
  complete({outcome(second[0], DeliveryStatus::pending, T0 + 6 * kSecond, T0 + kMinute)},
           T0 + 6 * kSecond);
  // The streak started at the first failure.
  EXPECT_EQ(must(store().get_endpoint(tenant.id, e.id)).failing_since, T0 + 1);

  auto third = claim(T0 + kMinute).at(0);
  EXPECT_EQ(third.attempt, 3);
  complete({outcome(third, DeliveryStatus::succeeded, T0 + kMinute)}, T0 + kMinute);
  EXPECT_FALSE(must(store().get_endpoint(tenant.id, e.id)).failing_since.has_value());
  d = delivery(tenant, job.delivery_id);
  EXPECT_EQ(d.status, DeliveryStatus::succeeded);
  ASSERT_EQ(d.attempt_log.size(), 3u);
  EXPECT_EQ(d.attempt_log[0].n, 1);
  EXPECT_EQ(d.attempt_log[1].n, 2);
  EXPECT_EQ(d.attempt_log[2].n, 3);
  EXPECT_EQ(d.attempt_log[1].started_at, T0 + 6 * kSecond);
  EXPECT_EQ(d.attempt_log[1].error, "http");
  EXPECT_EQ(d.attempt_log[1].error_message, "HTTP 500");
  EXPECT_EQ(d.attempt_log[2].status_code, 200);
}

TEST_P(StoreConformance, CompleteDeadMakesADeadLetter) {
  auto tenant = add_tenant();
  add_endpoint(tenant);
  ingest(tenant, "a.b", T0);
  auto job = make_dead(T0, 3);
  auto d = delivery(tenant, job.delivery_id);
  EXPECT_EQ(d.status, DeliveryStatus::dead);
  EXPECT_EQ(d.attempts, 3);
  EXPECT_EQ(d.attempt_log.size(), 3u);
  EXPECT_FALSE(d.lease_owner.has_value());
  EXPECT_TRUE(claim(T0 + kDay).empty());
  EXPECT_EQ(ids_of(deliveries(tenant, {DeliveryStatus::dead, {}, {}})),
            std::vector<std::string>{job.delivery_id});
}

TEST_P(StoreConformance, CompleteCanDisableTheEndpoint) {
  auto tenant = add_tenant();
  auto gone = add_endpoint(tenant);
  auto fine = add_endpoint(tenant);
  ingest(tenant, "a.b", T0);
  ingest(tenant, "a.b", T0);
  auto jobs = claim(T0, 100);
  ASSERT_EQ(jobs.size(), 4u);
  DeliveryJob gone_job;
  for (const auto& j : jobs) {
    if (j.endpoint_id == gone.id) gone_job = j;
  }
  // The 410 for one delivery; the endpoint's other in-flight delivery is handed back.
  auto record = outcome(gone_job, DeliveryStatus::dead, T0 + 1);
  record.attempt.status_code = 410;
  record.disable_endpoint = true;
  record.disable_reason = "410 Gone";
  complete({record}, T0 + 2);
  must(store().release_leases("w1"));

  auto e = must(store().get_endpoint(tenant.id, gone.id));
  EXPECT_TRUE(e.disabled);
  EXPECT_EQ(e.disabled_reason, "410 Gone");
  EXPECT_EQ(delivery(tenant, gone_job.delivery_id).status, DeliveryStatus::dead);
  auto again = claim(T0 + kHour);
  ASSERT_EQ(again.size(), 2u);
  for (const auto& j : again) EXPECT_EQ(j.endpoint_id, fine.id);
  // Its other delivery waits, pending and unclaimable, and no longer counts as due work.
  EXPECT_EQ(deliveries(tenant, {DeliveryStatus::pending, gone.id, {}}).size(), 1u);
  EXPECT_EQ(must(store().next_due_at()), T0 + kHour + kLease);
}

TEST_P(StoreConformance, CompleteBatchesAndIgnoresDuplicateAttemptNumbers) {
  auto tenant = add_tenant();
  add_endpoint(tenant);
  for (int i = 0; i < 5; ++i) ingest(tenant, "a.b", T0);
  auto jobs = claim(T0);
  ASSERT_EQ(jobs.size(), 5u);
  std::vector<AttemptRecord> records;
  for (const auto& j : jobs) records.push_back(outcome(j, DeliveryStatus::succeeded, T0 + 1));
  // The same attempt reported twice (e.g. a retried batch) keeps the first record.
  auto dup = records[0];
  dup.attempt.status_code = 299;
  records.push_back(dup);
  complete(records, T0 + 2);
  EXPECT_EQ(deliveries(tenant, {DeliveryStatus::succeeded, {}, {}}).size(), 5u);
  auto d = delivery(tenant, jobs[0].delivery_id);
  ASSERT_EQ(d.attempt_log.size(), 1u);
  EXPECT_EQ(d.attempt_log[0].status_code, 200);
  // An empty batch is fine.
  must(store().complete_attempts("w1", {}, T0));
}

TEST_P(StoreConformance, CompleteFromAStaleLeaseOnlyRecordsTheAttempt) {
  auto tenant = add_tenant();
  add_endpoint(tenant);
  ingest(tenant, "a.b", T0);
  auto slow = must(store().claim_due("slow", T0, kLease, 1)).at(0);
  auto fast = must(store().claim_due("fast", T0 + kLease, kLease, 1)).at(0);
  ASSERT_EQ(fast.delivery_id, slow.delivery_id);

  // The slow worker finally reports a failure: on record, but the delivery stays fast's.
  auto late = outcome(slow, DeliveryStatus::pending, T0 + 1, T0 + kDay);
  late.attempt.n = 1;
  complete({late}, T0 + kLease + 5, "slow");
  auto d = delivery(tenant, slow.delivery_id);
  EXPECT_EQ(d.lease_owner, "fast");
  EXPECT_EQ(d.status, DeliveryStatus::pending);
  ASSERT_EQ(d.attempt_log.size(), 1u);
  EXPECT_EQ(d.attempt_log[0].status_code, 500);

  auto done = outcome(fast, DeliveryStatus::succeeded, T0 + kLease + 1);
  done.attempt.n = 2;
  complete({done}, T0 + kLease + 6, "fast");
  d = delivery(tenant, slow.delivery_id);
  EXPECT_EQ(d.status, DeliveryStatus::succeeded);
  EXPECT_FALSE(d.lease_owner.has_value());
  EXPECT_EQ(d.attempt_log.size(), 2u);
  EXPECT_EQ(d.attempts, 2);
}

// ================================ replay ================================

TEST_P(StoreConformance, ReplayRequeuesADeadLetterWithAFreshSeries) {
  auto tenant = add_tenant();
  add_endpoint(tenant);
  ingest(tenant, "a.b", T0);
  auto job = make_dead(T0, 4);

  auto replayed = must(store().replay_delivery(tenant.id, job.delivery_id, T0 + kHour));
  EXPECT_EQ(replayed.status, DeliveryStatus::pending);
  EXPECT_EQ(replayed.next_attempt_at, T0 + kHour);
  EXPECT_EQ(replayed.attempts, 4);
  EXPECT_EQ(replayed.series_start, 4);
  EXPECT_EQ(delivery(tenant, job.delivery_id).status, DeliveryStatus::pending);

  EXPECT_TRUE(claim(T0 + kHour - 1).empty());
  auto again = claim(T0 + kHour);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].attempt, 5);
  EXPECT_EQ(again[0].attempt_in_series, 1);

  EXPECT_EQ(error_of(store().replay_delivery(tenant.id, job.delivery_id, T0 + kHour)),
            Errc::conflict);
  complete({outcome(again[0], DeliveryStatus::succeeded, T0 + kHour)}, T0 + kHour);
  EXPECT_EQ(error_of(store().replay_delivery(tenant.id, job.delivery_id, T0 + kHour)),
            Errc::conflict);
  EXPECT_EQ(delivery(tenant, job.delivery_id).attempt_log.back().n, 5);
  EXPECT_EQ(error_of(store().replay_delivery(tenant.id, "dlv_missing", T0)), Errc::not_found);
}

TEST_P(StoreConformance, ReplayDeadSinceRecoversAnEndpointInBatches) {
  auto tenant = add_tenant();
  auto e = add_endpoint(tenant);
  auto other = add_endpoint(tenant);
  // Five dead letters for e (created at T0..T0+4), five for the other endpoint.
  for (int i = 0; i < 5; ++i) ingest(tenant, "a.b", T0 + i);
  std::vector<AttemptRecord> records;
  for (const auto& j : claim(T0 + 10)) records.push_back(outcome(j, DeliveryStatus::dead, T0 + 10));
  ASSERT_EQ(records.size(), 10u);
  complete(records, T0 + 10);

  // Since T0+1: four of e's, replayed oldest first, two at a time.
  EXPECT_EQ(must(store().replay_dead_since(tenant.id, e.id, T0 + 1, T0 + kHour, 2)), 2);
  auto pending = deliveries(tenant, {DeliveryStatus::pending, e.id, {}});
  ASSERT_EQ(pending.size(), 2u);
  for (const auto& d : pending) {
    EXPECT_GE(d.created_at, T0 + 1);
    EXPECT_LE(d.created_at, T0 + 2);
    EXPECT_EQ(d.next_attempt_at, T0 + kHour);
    EXPECT_EQ(d.series_start, 1);
  }
  EXPECT_EQ(must(store().replay_dead_since(tenant.id, e.id, T0 + 1, T0 + kHour, 2)), 2);
  EXPECT_EQ(must(store().replay_dead_since(tenant.id, e.id, T0 + 1, T0 + kHour, 2)), 0);
  EXPECT_EQ(deliveries(tenant, {DeliveryStatus::pending, e.id, {}}).size(), 4u);
  EXPECT_EQ(deliveries(tenant, {DeliveryStatus::dead, e.id, {}}).size(), 1u);
  EXPECT_EQ(deliveries(tenant, {DeliveryStatus::dead, other.id, {}}).size(), 5u);
  EXPECT_EQ(claim(T0 + kHour).size(), 4u);
  EXPECT_EQ(error_of(store().replay_dead_since(tenant.id, "ep_missing", T0, T0, 10)),
            Errc::not_found);
}

// ============================ releasing, scheduling ============================

TEST_P(StoreConformance, ReleaseLeasesGivesBackOnlyThatOwnersLeases) {
  auto tenant = add_tenant();
  add_endpoint(tenant);
  for (int i = 0; i < 4; ++i) ingest(tenant, "a.b", T0);
  auto mine = must(store().claim_due("me", T0, kLease, 3));
  auto theirs = must(store().claim_due("them", T0, kLease, 3));
  ASSERT_EQ(mine.size(), 3u);
  ASSERT_EQ(theirs.size(), 1u);

  must(store().release_leases("me"));
  auto retaken = must(store().claim_due("next", T0 + 1, kLease, 10));
  EXPECT_EQ(sorted(delivery_ids(retaken)), sorted(delivery_ids(mine)));
  for (const auto& j : retaken) EXPECT_EQ(j.attempt, 1);
  EXPECT_EQ(delivery(tenant, theirs[0].delivery_id).lease_owner, "them");
  must(store().release_leases("nobody"));
}

TEST_P(StoreConformance, ReleaseDeliveriesMakesThemDueLater) {
  auto tenant = add_tenant();
  add_endpoint(tenant);
  for (int i = 0; i < 3; ++i) ingest(tenant, "a.b", T0);
  auto jobs = claim(T0);
  ASSERT_EQ(jobs.size(), 3u);
  std::vector<std::string> give_back{jobs[0].delivery_id, jobs[1].delivery_id};
  must(store().release_deliveries("someone-else", give_back, T0));  // not theirs: no effect
  EXPECT_TRUE(claim(T0 + 1).empty());

  must(store().release_deliveries("w1", give_back, T0 + kSecond));
  auto d = delivery(tenant, jobs[0].delivery_id);
  EXPECT_FALSE(d.lease_owner.has_value());
  EXPECT_EQ(d.next_attempt_at, T0 + kSecond);
  EXPECT_EQ(d.attempts, 0);
  EXPECT_EQ(delivery(tenant, jobs[2].delivery_id).lease_owner, "w1");
  EXPECT_TRUE(claim(T0 + kSecond - 1).empty());
  EXPECT_EQ(sorted(delivery_ids(claim(T0 + kSecond))), sorted(give_back));
}

TEST_P(StoreConformance, NextDueAt) {
  EXPECT_EQ(must(store().next_due_at()), std::nullopt);
  auto tenant = add_tenant();
  auto e = add_endpoint(tenant);
  ingest(tenant, "a.b", T0 + 5);
  EXPECT_EQ(must(store().next_due_at()), T0 + 5);
  auto job = claim(T0 + 10).at(0);
  EXPECT_EQ(must(store().next_due_at()), T0 + 10 + kLease) << "claimable again when the lease ends";
  complete({outcome(job, DeliveryStatus::pending, T0 + 10, T0 + kHour)}, T0 + 11);
  EXPECT_EQ(must(store().next_due_at()), T0 + kHour);

  EndpointPatch off;
  off.disabled = true;
  must(store().update_endpoint(tenant.id, e.id, off, T0 + 12));
  EXPECT_EQ(must(store().next_due_at()), std::nullopt);
  EndpointPatch on;
  on.disabled = false;
  must(store().update_endpoint(tenant.id, e.id, on, T0 + 13));
  EXPECT_EQ(must(store().next_due_at()), T0 + kHour);

  auto last = claim(T0 + kHour).at(0);
  complete({outcome(last, DeliveryStatus::succeeded, T0 + kHour)}, T0 + kHour);
  EXPECT_EQ(must(store().next_due_at()), std::nullopt);
}

TEST_P(StoreConformance, DisableFailingEndpoints) {
  auto tenant = add_tenant();
  auto failing = add_endpoint(tenant);
  auto healthy = add_endpoint(tenant);
  ingest(tenant, "a.b", T0);
  std::vector<AttemptRecord> records;
  for (const auto& j : claim(T0)) {
    records.push_back(outcome(
        j, j.endpoint_id == failing.id ? DeliveryStatus::pending : DeliveryStatus::succeeded, T0,
        T0 + kHour));
  }
  complete(records, T0);
  const Millis period = 5 * kDay;

  EXPECT_TRUE(must(store().disable_failing_endpoints(T0 + period - 1, period)).empty());
  auto disabled = must(store().disable_failing_endpoints(T0 + period, period));
  ASSERT_EQ(disabled.size(), 1u);
  EXPECT_EQ(disabled[0].id, failing.id);
  EXPECT_TRUE(disabled[0].disabled);
  EXPECT_FALSE(disabled[0].disabled_reason.empty());
  auto e = must(store().get_endpoint(tenant.id, failing.id));
  EXPECT_TRUE(e.disabled);
  EXPECT_EQ(e.disabled_reason, disabled[0].disabled_reason);
  EXPECT_FALSE(must(store().get_endpoint(tenant.id, healthy.id)).disabled);
  EXPECT_TRUE(must(store().disable_failing_endpoints(T0 + 2 * period, period)).empty());
  EXPECT_TRUE(claim(T0 + 2 * period).empty());
}

TEST_P(StoreConformance, DeliveryCounts) {
  auto zero = must(store().delivery_counts(T0));
  EXPECT_EQ(zero.pending_due + zero.pending_scheduled + zero.succeeded + zero.dead, 0);
  auto tenant = add_tenant();
  add_endpoint(tenant);
  for (int i = 0; i < 6; ++i) ingest(tenant, "a.b", T0);
  auto jobs = claim(T0);
  ASSERT_EQ(jobs.size(), 6u);
  complete(
      {outcome(jobs[0], DeliveryStatus::succeeded, T0),
       outcome(jobs[1], DeliveryStatus::succeeded, T0), outcome(jobs[2], DeliveryStatus::dead, T0),
       outcome(jobs[3], DeliveryStatus::pending, T0, T0 + kHour)},
      T0);
  // jobs[4] and [5] are in flight: pending and due.
  auto counts = must(store().delivery_counts(T0 + kMinute));
  EXPECT_EQ(counts.pending_due, 2);
  EXPECT_EQ(counts.pending_scheduled, 1);
  EXPECT_EQ(counts.succeeded, 2);
  EXPECT_EQ(counts.dead, 1);
  EXPECT_EQ(must(store().delivery_counts(T0 + kHour)).pending_due, 3);
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

namespace axon::test {

// FIFO after a replay: the replayed dead letter is older than the queue, so it goes next,
// but not while another delivery of the endpoint is still in flight.
TEST_P(StoreConformance, FifoReplayedDeadLetterGoesNextAfterTheOneInFlight) {
  auto tenant = add_tenant();
  Endpoint e = endpoint_for(tenant);
  e.ordering = Ordering::fifo;
  add_endpoint(e);
  ingest(tenant, "a.b", T0);
  auto first = make_dead(T0);
  ingest(tenant, "a.b", T0 + 1);
  ingest(tenant, "a.b", T0 + 2);
  auto second = claim(T0 + 10);
  ASSERT_EQ(second.size(), 1u);

  must(store().replay_delivery(tenant.id, first.delivery_id, T0 + 20));
  EXPECT_TRUE(claim(T0 + 20).empty()) << "the second is still in flight";
  complete({outcome(second[0], DeliveryStatus::pending, T0 + 21, T0 + 22)}, T0 + 21);
  auto next = claim(T0 + 22);
  ASSERT_EQ(delivery_ids(next), std::vector<std::string>{first.delivery_id});
  EXPECT_EQ(next[0].attempt, 2);
  EXPECT_EQ(next[0].attempt_in_series, 1);
  complete({outcome(next[0], DeliveryStatus::succeeded, T0 + 23)}, T0 + 23);
  EXPECT_EQ(delivery_ids(claim(T0 + 24)), std::vector<std::string>{second[0].delivery_id});
}

// Switching an endpoint to FIFO, or disabling and enabling a FIFO endpoint, leaves exactly
// its oldest pending delivery claimable.
TEST_P(StoreConformance, FifoHoldsAcrossOrderingChangesAndReenabling) {
  auto tenant = add_tenant();
  auto e = add_endpoint(tenant);
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    auto ev = ingest(tenant, "a.b", T0 + i).event;
    ids.push_back(deliveries(tenant, {{}, {}, ev.id}).at(0).id);
  }
  EndpointPatch to_fifo;
  to_fifo.ordering = Ordering::fifo;
  must(store().update_endpoint(tenant.id, e.id, to_fifo, T0 + 5));
  auto head = claim(T0 + 10);
  ASSERT_EQ(delivery_ids(head), std::vector<std::string>{ids[0]});

  EndpointPatch off;
  off.disabled = true;
  must(store().update_endpoint(tenant.id, e.id, off, T0 + 11));
  complete({outcome(head[0], DeliveryStatus::succeeded, T0 + 12)}, T0 + 12);
  EXPECT_TRUE(claim(T0 + kHour).empty());
  EndpointPatch on;
  on.disabled = false;
  must(store().update_endpoint(tenant.id, e.id, on, T0 + kHour));
  EXPECT_EQ(delivery_ids(claim(T0 + kHour)), std::vector<std::string>{ids[1]});

  // Back to parallel: the rest flows at once.
  EndpointPatch to_parallel;
  to_parallel.ordering = Ordering::parallel;
  must(store().update_endpoint(tenant.id, e.id, to_parallel, T0 + kHour + 1));
  EXPECT_EQ(delivery_ids(claim(T0 + kHour + 2)), std::vector<std::string>{ids[2]});
}

// --- event-type catalogue (issue 9) ---

TEST_P(StoreConformance, EventTypeCreateGetUpdateDelete) {
  Tenant tenant = add_tenant();
  EventType type{tenant.id, "order.created", "An order was placed", false,
                 std::string(R"({"type":"object"})"), 0, T0, 0};
  EventType created = must(store().create_event_type(type));
  EXPECT_EQ(created.version, 1);
  EXPECT_EQ(created.updated_at, T0);
  EXPECT_EQ(error_of(store().create_event_type(type)), Errc::conflict);

  EventType got = must(store().get_event_type(tenant.id, "order.created"));
  EXPECT_EQ(got.description, "An order was placed");
  EXPECT_FALSE(got.deprecated);
  EXPECT_EQ(got.schema, std::optional<std::string>(R"({"type":"object"})"));

  // Description and deprecation keep the version; a new schema bumps it; removing it too.
  EventType deprecated =
      must(store().update_event_type(tenant.id, "order.created", {{}, true, {}}, T0 + 1));
  EXPECT_TRUE(deprecated.deprecated);
  EXPECT_EQ(deprecated.version, 1);
  EventTypePatch new_schema{std::string("new"), {}, std::optional<std::string>("{}")};
  EventType changed = must(store().update_event_type(tenant.id, "order.created", new_schema, T0 + 2));
  EXPECT_EQ(changed.version, 2);
  EXPECT_EQ(changed.description, "new");
  EXPECT_TRUE(changed.deprecated);
  EventTypePatch no_schema;
  no_schema.schema = std::optional<std::string>{};  // set, to "no schema"
  EventType cleared = must(store().update_event_type(tenant.id, "order.created", no_schema, T0 + 3));
  EXPECT_EQ(cleared.version, 3);
  EXPECT_FALSE(cleared.schema.has_value());
  EventType reread = must(store().get_event_type(tenant.id, "order.created"));
  EXPECT_EQ(reread.version, 3);
  EXPECT_EQ(reread.updated_at, T0 + 3);
  EXPECT_FALSE(reread.schema.has_value());

  must(store().delete_event_type(tenant.id, "order.created"));
  EXPECT_EQ(error_of(store().get_event_type(tenant.id, "order.created")), Errc::not_found);
  EXPECT_EQ(error_of(store().delete_event_type(tenant.id, "order.created")), Errc::not_found);
  EXPECT_EQ(error_of(store().update_event_type(tenant.id, "order.created", {}, T0)),
            Errc::not_found);
}

TEST_P(StoreConformance, EventTypesAreTenantScopedAndListByName) {
  Tenant a = add_tenant("a");
  Tenant b = add_tenant("b");
  EXPECT_EQ(error_of(store().create_event_type(EventType{"ten_missing", "x", "", false, {}, 0, T0, 0})),
            Errc::not_found);
  for (const char* name : {"order.updated", "invoice.paid", "order.created"}) {
    must(store().create_event_type(EventType{a.id, name, "", false, {}, 0, T0, 0}));
  }
  must(store().create_event_type(EventType{b.id, "order.created", "b's", false, {}, 0, T0, 0}));
  EXPECT_EQ(error_of(store().get_event_type(b.id, "invoice.paid")), Errc::not_found);
  EXPECT_EQ(error_of(store().delete_event_type(b.id, "invoice.paid")), Errc::not_found);

  auto first = must(store().list_event_types(a.id, PageRequest{2, std::nullopt}));
  ASSERT_EQ(first.items.size(), 2u);
  EXPECT_EQ(first.items[0].name, "invoice.paid");
  EXPECT_EQ(first.items[1].name, "order.created");
  ASSERT_TRUE(first.next.has_value());
  auto second = must(store().list_event_types(a.id, PageRequest{2, first.next}));
  ASSERT_EQ(second.items.size(), 1u);
  EXPECT_EQ(second.items[0].name, "order.updated");
  EXPECT_FALSE(second.next.has_value());
  EXPECT_EQ(must(store().list_event_types(b.id, {})).items.size(), 1u);

  must(store().delete_tenant(a.id));
  EXPECT_TRUE(must(store().list_event_types(a.id, {})).items.empty());
  EXPECT_EQ(must(store().list_event_types(b.id, {})).items.size(), 1u);
}

// ============================ operational events ============================

namespace {

// An operational NewEvent of `type` for `tenant` with an idempotency key.
NewEvent operational_event(const std::string& id, const Tenant& tenant, const std::string& type,
                           Millis now, const std::string& key) {
  NewEvent ev;
  ev.id = id;
  ev.tenant_id = tenant.id;
  ev.type = type;
  ev.payload = R"({"id":")" + id + R"(","type":")" + type + R"(","data":{}})";
  ev.idempotency_key = key;
  ev.created_at = now;
  ev.operational = true;
  return ev;
}

}  // namespace

TEST_P(StoreConformance, EndpointOperationalFlagRoundTripsAndSurvivesPatches) {
  auto tenant = add_tenant();
  Endpoint op = endpoint_for(tenant);
  op.operational = true;
  add_endpoint(op);
  auto normal = add_endpoint(tenant);
  EXPECT_TRUE(must(store().get_endpoint(tenant.id, op.id)).operational);
  EXPECT_FALSE(must(store().get_endpoint(tenant.id, normal.id)).operational);
  auto listed = must(store().list_endpoints(tenant.id, {})).items;
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].id, normal.id);  // newest first
  EXPECT_FALSE(listed[0].operational);
  EXPECT_TRUE(listed[1].operational);

  EndpointPatch patch;
  patch.description = "ops pager";
  patch.disabled = true;
  auto updated = must(store().update_endpoint(tenant.id, op.id, patch, T0 + 1));
  EXPECT_TRUE(updated.operational);
  EXPECT_TRUE(must(store().get_endpoint(tenant.id, op.id)).operational);
  auto rotated = must(store().rotate_endpoint_secret(tenant.id, op.id, "new", T0 + kDay, T0 + 2));
  EXPECT_TRUE(rotated.operational);
}

TEST_P(StoreConformance, OperationalAndNormalEventsNeverCross) {
  auto tenant = add_tenant();
  auto normal = add_endpoint(tenant);  // every (normal) type
  Endpoint op_all = endpoint_for(tenant);
  op_all.operational = true;
  add_endpoint(op_all);
  Endpoint op_delivery = endpoint_for(tenant);
  op_delivery.operational = true;
  op_delivery.event_types = std::vector<std::string>{"delivery.*"};
  add_endpoint(op_delivery);
  Endpoint op_off = endpoint_for(tenant);
  op_off.operational = true;
  op_off.disabled = true;
  add_endpoint(op_off);
  auto other = add_tenant("other");
  Endpoint other_op = endpoint_for(other);
  other_op.operational = true;
  add_endpoint(other_op);

  // A normal event reaches only the normal endpoint, even when its type looks operational.
  auto order = ingest(tenant, "order.created", T0);
  EXPECT_EQ(order.event.deliveries, 1);
  EXPECT_EQ(endpoint_ids(deliveries(tenant, {std::nullopt, std::nullopt, order.event.id})),
            std::vector<std::string>{normal.id});
  auto lookalike = ingest(tenant, "delivery.failing", T0);
  EXPECT_EQ(endpoint_ids(deliveries(tenant, {std::nullopt, std::nullopt, lookalike.event.id})),
            std::vector<std::string>{normal.id});

  // An operational event reaches only the enabled operational endpoints that subscribe.
  auto failing = must(store().ingest_event(
      operational_event(next_id("evt_"), tenant, "delivery.failing", T0, "k1"), T0,
      [this] { return next_id("dlv_"); }));
  EXPECT_FALSE(failing.replayed);
  EXPECT_EQ(failing.event.deliveries, 2);
  EXPECT_EQ(endpoint_ids(deliveries(tenant, {std::nullopt, std::nullopt, failing.event.id})),
            sorted({op_all.id, op_delivery.id}));
  auto disabled = must(store().ingest_event(
      operational_event(next_id("evt_"), tenant, "endpoint.disabled", T0, "k2"), T0,
      [this] { return next_id("dlv_"); }));
  EXPECT_EQ(endpoint_ids(deliveries(tenant, {std::nullopt, std::nullopt, disabled.event.id})),
            std::vector<std::string>{op_all.id});
  EXPECT_EQ(must(store().get_event(tenant.id, failing.event.id)).deliveries, 2);

  // The claim says which deliveries go to an operational endpoint (their outcomes emit
  // nothing: no loops).
  auto jobs = claim(T0, 100);
  ASSERT_EQ(jobs.size(), 5u);
  for (const auto& job : jobs) {
    const bool to_operational = job.endpoint_id == op_all.id || job.endpoint_id == op_delivery.id;
    EXPECT_EQ(job.operational, to_operational) << job.endpoint_id;
    EXPECT_EQ(job.operational, job.event_id == failing.event.id ||
                                   job.event_id == disabled.event.id);
  }
}

TEST_P(StoreConformance, OperationalEventWithoutListenerStoresNothingAndReemitsIdempotently) {
  auto tenant = add_tenant();
  add_endpoint(tenant);  // a normal endpoint does not count
  auto ingest_op = [&](const std::string& key) {
    return must(store().ingest_event(
        operational_event(next_id("evt_"), tenant, "delivery.exhausted", T0, key), T0,
        [this] { return next_id("dlv_"); }));
  };
  auto unheard = ingest_op("axon-op:delivery.exhausted:dlv_1:4");
  EXPECT_FALSE(unheard.replayed);
  EXPECT_EQ(unheard.event.deliveries, 0);
  EXPECT_EQ(error_of(store().get_event(tenant.id, unheard.event.id)), Errc::not_found);
  EXPECT_TRUE(must(store().list_events(tenant.id, {}, {})).items.empty());
  EXPECT_TRUE(deliveries(tenant).empty());
  // Nothing was kept, not even the key: a later listener gets a re-emission.
  Endpoint op = endpoint_for(tenant);
  op.operational = true;
  add_endpoint(op);
  auto heard = ingest_op("axon-op:delivery.exhausted:dlv_1:4");
  EXPECT_FALSE(heard.replayed);
  EXPECT_EQ(heard.event.deliveries, 1);
  // Re-emitting the same trigger (a retry, a crash before it was recorded) creates nothing.
  auto again = ingest_op("axon-op:delivery.exhausted:dlv_1:4");
  EXPECT_TRUE(again.replayed);
  EXPECT_EQ(again.event.id, heard.event.id);
  EXPECT_EQ(deliveries(tenant).size(), 1u);
  EXPECT_EQ(must(store().list_events(tenant.id, {}, {})).items.size(), 1u);
  // Another trigger is another event.
  EXPECT_EQ(ingest_op("axon-op:delivery.exhausted:dlv_1:8").event.deliveries, 1);
  EXPECT_EQ(deliveries(tenant).size(), 2u);
}

void expect_endpoint_survived_client_certificate_migration(Store& store) {
  auto old = store.get_endpoint("ten_old", "ep_old");
  ASSERT_TRUE(old.has_value()) << old.error().message;
  EXPECT_EQ(old->url, "https://hooks.example.com/a");
  EXPECT_EQ(old->secret_sealed, "sealed");
  EXPECT_FALSE(old->tls_client_certificate);
  EXPECT_FALSE(old->tls_client_key_sealed);
  EndpointPatch patch;
  patch.tls_client_certificate = std::optional<std::string>("chain");
  patch.tls_client_key_sealed = std::optional<std::string>("sealed-key");
  ASSERT_TRUE(store.update_endpoint("ten_old", "ep_old", patch, 3).has_value());
  EXPECT_EQ(store.get_endpoint("ten_old", "ep_old")->tls_client_key_sealed, "sealed-key");
}

}  // namespace axon::test
