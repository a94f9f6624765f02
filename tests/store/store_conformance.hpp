// The Store conformance suite: one set of TEST_P tests that every Store implementation must
// pass. A backend instantiates it with one macro call in its own test file:
//
//   AXON_INSTANTIATE_STORE_CONFORMANCE(Sqlite, (axon::test::StoreFactory{"sqlite", make_fn}));
//
// at namespace scope (global, or inside namespace axon::test).
//
// `make` must return a fresh, migrated, EMPTY store for every test (tests create their own
// tenants and ids and expect to see nothing else). Time is passed explicitly (`now`), never
// read from a clock; nothing sleeps.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "store/store.hpp"

namespace axon::test {

// Unwraps a Result or fails the test (GoogleTest reports the exception).
template <class T>
T must(Result<T> result, const char* what = "store call") {
  if (!result) {
    throw std::runtime_error(std::string(what) + " failed: " + result.error().message);
  }
  if constexpr (!std::is_void_v<T>) return std::move(*result);
}

// The error code of a failed Result (a success fails the test).
template <class T>
std::optional<Errc> error_of(const Result<T>& result) {
  if (result) return std::nullopt;
  return result.error().code;
}

// Durations for moving "now" by hand.
inline constexpr Millis kSecond = 1000;
inline constexpr Millis kMinute = 60 * kSecond;
inline constexpr Millis kHour = 60 * kMinute;
inline constexpr Millis kDay = 24 * kHour;

// The ids of listed items (tenants, endpoints, events, deliveries, ...), in list order.
template <class Items>
std::vector<std::string> ids_of(const Items& items) {
  std::vector<std::string> ids;
  for (const auto& item : items) ids.push_back(item.id);
  return ids;
}

// The delivery ids of claimed jobs, in claim order.
inline std::vector<std::string> delivery_ids(const std::vector<DeliveryJob>& jobs) {
  std::vector<std::string> ids;
  for (const auto& job : jobs) ids.push_back(job.delivery_id);
  return ids;
}

// The endpoint ids of deliveries, sorted (fan-out order is not part of the contract).
inline std::vector<std::string> endpoint_ids(const std::vector<Delivery>& ds) {
  std::vector<std::string> ids;
  for (const auto& d : ds) ids.push_back(d.endpoint_id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

inline std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

struct StoreFactory {
  std::string name;  // used in test names: letters, digits and '_' only
  std::function<std::unique_ptr<Store>()> make;
};

inline void PrintTo(const StoreFactory& factory, std::ostream* os) { *os << factory.name; }

// Migration tests of both stores: the row the client-certificate migration test writes with
// the previous schema (tenant ten_old, endpoint ep_old), and the checks once migrated: it
// reads back whole, without a certificate, and takes one.
inline constexpr const char* kEndpointBeforeClientCertificates =
    "INSERT INTO tenants (id, name, created_at) VALUES ('ten_old', 'old', 1);"
    "INSERT INTO endpoints (id, tenant_id, url, secret_sealed, created_at, updated_at)"
    " VALUES ('ep_old', 'ten_old', 'https://hooks.example.com/a', 'sealed', 1, 2);";
void expect_endpoint_survived_client_certificate_migration(Store& store);

// The fixture: a fresh store per test and helpers that build tenants, endpoints, events and
// attempt outcomes. Helpers throw std::runtime_error when the store fails, which GoogleTest
// reports as a failure of the test.
class StoreConformance : public ::testing::TestWithParam<StoreFactory> {
 protected:
  static constexpr Millis T0 = 1'764'000'000'000;  // an arbitrary "now"
  static constexpr Millis kLease = 30'000;

  void SetUp() override;
  void TearDown() override;

  Store& store() { return *store_; }

  // A fresh id with `prefix` whose text sorts after every id issued before it (like ULIDs).
  std::string next_id(std::string_view prefix);

  Tenant add_tenant(std::string name = "acme", Millis at = T0);
  // An endpoint of `tenant` with a unique id, URL and sealed secret, not yet stored.
  Endpoint endpoint_for(const Tenant& tenant);
  Endpoint add_endpoint(const Tenant& tenant,
                        std::optional<std::vector<std::string>> event_types = std::nullopt);
  Endpoint add_endpoint(const Endpoint& endpoint);
  // An event of `tenant` with a fresh id and a small payload, not yet stored.
  NewEvent new_event(const Tenant& tenant, const std::string& type, Millis now,
                     std::optional<std::string> key = std::nullopt);
  IngestResult ingest(const Tenant& tenant, const std::string& type, Millis now,
                      std::optional<std::string> key = std::nullopt);
  std::vector<Delivery> deliveries(const Tenant& tenant, DeliveryFilter filter = {});
  Delivery delivery(const Tenant& tenant, const std::string& id);
  std::vector<DeliveryJob> claim(Millis now, int limit = 100, const std::string& owner = "w1");
  // An attempt outcome for `job`: 200 when succeeded, else HTTP 500.
  static AttemptRecord outcome(const DeliveryJob& job, DeliveryStatus status, Millis started,
                               Millis next_attempt_at = 0);
  void complete(const std::vector<AttemptRecord>& records, Millis now,
                const std::string& owner = "w1");
  // Ingests `n` events of `tenant`, which has one endpoint, at T0 and claims their `n`
  // deliveries (throws when the claim gets another number).
  std::vector<DeliveryJob> ingest_and_claim(const Tenant& tenant, int n);
  // Claims the only due delivery and fails it `failures` times (retry due at `now`), the
  // last failure making it dead. Returns the last job.
  DeliveryJob make_dead(Millis now, int failures = 1);

  std::unique_ptr<Store> store_;

 private:
  std::uint64_t id_counter_ = 0;
};

}  // namespace axon::test

// Use at namespace scope (global or axon::test). GoogleTest pastes the suite name into
// identifiers, so the macro brings the fixture's plain name into the current scope first.
#define AXON_INSTANTIATE_STORE_CONFORMANCE(prefix, factory)                                       \
  using ::axon::test::StoreConformance;                                                           \
  INSTANTIATE_TEST_SUITE_P(prefix, StoreConformance, ::testing::Values(factory),                  \
                           [](const ::testing::TestParamInfo<::axon::test::StoreFactory>& info) { \
                             return info.param.name;                                              \
                           })
