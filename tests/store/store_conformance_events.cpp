// Store conformance: ingest and fan-out, idempotency keys, event and delivery listings, and
// the event-type catalogue.
#include "store/store_conformance.hpp"

namespace axon::test {

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

}  // namespace axon::test
