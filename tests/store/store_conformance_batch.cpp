// Store conformance: ingest_events (many events of one tenant in one call).
#include <algorithm>

#include "store/store_conformance.hpp"

namespace axon::test {
namespace {

std::size_t event_count(Store& store, const Tenant& tenant) {
  return must(store.list_events(tenant.id, {}, {1000, std::nullopt})).items.size();
}

}  // namespace

TEST_P(StoreConformance, BatchIngestStoresEachEventInOrderAndFansItOut) {
  auto tenant = add_tenant();
  auto orders = add_endpoint(tenant, std::vector<std::string>{"order.*"});
  auto everything = add_endpoint(tenant);
  std::vector<NewEvent> events = {new_event(tenant, "order.created", T0),
                                  new_event(tenant, "invoice.paid", T0),
                                  new_event(tenant, "order.paid", T0)};
  events[1].payload = R"({"data":{"big":123456789012345678901234567890,"tiny":1e-400}})";
  auto results = must(store().ingest_events(events, T0, [this] { return next_id("dlv_"); }));
  ASSERT_EQ(results.size(), 3u);
  for (std::size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(results[i].event.id, events[i].id);
    EXPECT_EQ(results[i].event.type, events[i].type);
    EXPECT_EQ(results[i].event.created_at, T0);
    EXPECT_FALSE(results[i].replayed);
    EXPECT_EQ(must(store().get_event(tenant.id, events[i].id)).payload, events[i].payload);
  }
  EXPECT_EQ(results[0].event.deliveries, 2);
  EXPECT_EQ(results[1].event.deliveries, 1);
  EXPECT_EQ(results[2].event.deliveries, 2);
  EXPECT_EQ(deliveries(tenant, {.status = std::nullopt, .endpoint_id = orders.id}).size(), 2u);
  EXPECT_EQ(deliveries(tenant, {.status = std::nullopt, .endpoint_id = everything.id}).size(), 3u);
  // Every delivery is due now and carries its event's payload.
  auto jobs = claim(T0, 100);
  ASSERT_EQ(jobs.size(), 5u);
  for (const auto& job : jobs) {
    auto it = std::find_if(events.begin(), events.end(),
                           [&](const NewEvent& e) { return e.id == job.event_id; });
    ASSERT_NE(it, events.end());
    ASSERT_NE(job.payload, nullptr);
    EXPECT_EQ(*job.payload, it->payload);
  }
}

TEST_P(StoreConformance, BatchIngestSeesKeysFromBeforeAndFromWithinTheCall) {
  auto tenant = add_tenant();
  add_endpoint(tenant);
  auto earlier = ingest(tenant, "a.b", T0, "seen");
  std::vector<NewEvent> events = {
      new_event(tenant, "a.b", T0 + kHour, "seen"),   // replay of the earlier event
      new_event(tenant, "a.b", T0 + kHour, "fresh"),  // new
      new_event(tenant, "a.b", T0 + kHour, "fresh"),  // replay of the one just above
      new_event(tenant, "a.b", T0 + kHour),           // no key: new
  };
  auto results =
      must(store().ingest_events(events, T0 + kHour, [this] { return next_id("dlv_"); }));
  ASSERT_EQ(results.size(), 4u);
  EXPECT_TRUE(results[0].replayed);
  EXPECT_EQ(results[0].event.id, earlier.event.id);
  EXPECT_EQ(results[0].event.created_at, T0);
  EXPECT_FALSE(results[1].replayed);
  EXPECT_EQ(results[1].event.id, events[1].id);
  EXPECT_TRUE(results[2].replayed);
  EXPECT_EQ(results[2].event.id, events[1].id);
  EXPECT_EQ(results[2].event.deliveries, 1);
  EXPECT_FALSE(results[3].replayed);
  EXPECT_EQ(event_count(store(), tenant), 3u);
  EXPECT_EQ(deliveries(tenant).size(), 3u);
  EXPECT_EQ(error_of(store().get_event(tenant.id, events[2].id)), Errc::not_found);
  // The key now belongs to the batch's event, for single ingests too.
  EXPECT_EQ(ingest(tenant, "a.b", T0 + kHour + 1, "fresh").event.id, events[1].id);
}

TEST_P(StoreConformance, BatchIngestIsAllOrNothing) {
  auto tenant = add_tenant();
  add_endpoint(tenant);
  auto taken = ingest(tenant, "a.b", T0).event;
  std::vector<NewEvent> events = {new_event(tenant, "a.b", T0, "k1"), new_event(tenant, "a.b", T0),
                                  new_event(tenant, "a.b", T0)};
  events[1].id = taken.id;  // an id already taken: the whole call fails
  EXPECT_EQ(error_of(store().ingest_events(events, T0, [this] { return next_id("dlv_"); })),
            Errc::conflict);
  EXPECT_EQ(event_count(store(), tenant), 1u);
  EXPECT_EQ(deliveries(tenant).size(), 1u);
  EXPECT_FALSE(ingest(tenant, "a.b", T0 + 1, "k1").replayed);  // the key was not kept either

  auto gone = add_tenant("gone");
  std::vector<NewEvent> orphans = {new_event(gone, "a.b", T0)};
  must(store().delete_tenant(gone.id));
  EXPECT_EQ(error_of(store().ingest_events(orphans, T0, [this] { return next_id("dlv_"); })),
            Errc::not_found);
  EXPECT_TRUE(must(store().ingest_events({}, T0, [this] { return next_id("dlv_"); })).empty());
}

TEST_P(StoreConformance, BatchIngestOfATenantWithoutEndpointsStoresEvents) {
  auto tenant = add_tenant();
  auto other = add_tenant("other");
  add_endpoint(other);
  std::vector<NewEvent> events;
  for (int i = 0; i < 300; ++i) events.push_back(new_event(tenant, "a.b", T0));
  auto results = must(store().ingest_events(events, T0, [this] { return next_id("dlv_"); }));
  ASSERT_EQ(results.size(), 300u);
  EXPECT_EQ(results.back().event.deliveries, 0);
  EXPECT_EQ(event_count(store(), tenant), 300u);
  EXPECT_TRUE(deliveries(other).empty());
  EXPECT_TRUE(claim(T0).empty());
}

}  // namespace axon::test
