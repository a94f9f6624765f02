// Store conformance: operational events (the service's own events to operational endpoints).
#include "store/store_conformance.hpp"

namespace axon::test {

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

}  // namespace axon::test
