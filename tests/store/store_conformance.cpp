// The Store conformance suite (see store_conformance.hpp): the fixture's helpers, the schema
// and settings tests, and the migration check both stores' migration tests share. The tests
// of each topic live in store_conformance_<topic>.cpp. Every test passes explicit times: T0 is
// an arbitrary "now"; leases, retries and windows move it by hand.
#include "store/store_conformance.hpp"

#include <cstdio>
#include <stdexcept>

namespace axon::test {

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

std::vector<DeliveryJob> StoreConformance::ingest_and_claim(const Tenant& tenant, int n) {
  for (int i = 0; i < n; ++i) ingest(tenant, "a.b", T0);
  auto jobs = claim(T0);
  if (jobs.size() != static_cast<std::size_t>(n)) {
    throw std::runtime_error("ingest_and_claim: claimed " + std::to_string(jobs.size()) +
                             " deliveries, expected " + std::to_string(n));
  }
  return jobs;
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
