// The outbox and operational endpoints: axon.emit_event (recreated by schema v4) emits a
// normal event, which never fans out to an operational endpoint.
#include <gtest/gtest.h>

#include "store/postgres/pg_connection.hpp"
#include "support/pg_server.hpp"

namespace axon::test {
namespace {

constexpr Millis kNow = 1'764'000'000'000;

TEST(OperationalOutboxTest, EmitEventSkipsOperationalEndpoints) {
  ASSERT_NE(PgServer::shared(), nullptr) << "no PostgreSQL server";
  std::string url;
  auto store = open_migrated_pg_store(*PgServer::shared(), &url);
  Tenant tenant = add_tenant(*store, kNow);
  Endpoint normal = add_endpoint(*store, tenant.id, kNow);
  Endpoint operational = normal;
  operational.id = test_id("ep_");
  operational.operational = true;
  ASSERT_TRUE(store->create_endpoint(operational, Store::kNoEndpointLimit).has_value());
  ASSERT_TRUE(store->get_endpoint(tenant.id, operational.id)->operational);
  pg::PgConnection sql(url);  // the producer's own connection

  std::string id =
      sql.exec("SELECT axon.emit_event($1, 'delivery.failing', '{}'::jsonb)", pg::Params(tenant.id))
          .text(0, 0);
  auto event = store->get_event(tenant.id, id);
  ASSERT_TRUE(event.has_value()) << event.error().message;
  EXPECT_EQ(event->deliveries, 1);
  auto deliveries = store->list_deliveries(tenant.id, {}, {});
  ASSERT_TRUE(deliveries.has_value());
  ASSERT_EQ(deliveries->items.size(), 1u);
  EXPECT_EQ(deliveries->items[0].endpoint_id, normal.id);
}

}  // namespace
}  // namespace axon::test
