// Subscription matching after migration kFasterSubscriptionMatch
// (store/postgres/pg_migrations_subscriptions.cpp): the same answers as the sub-select it
// replaced, for every pair of patterns and event types below, and a body the planner inlines.
#include <gtest/gtest.h>

#include <string>

#include "store/postgres/pg_connection.hpp"
#include "support/pg_server.hpp"

namespace axon::test {
namespace {

// The patterns an endpoint may hold and the types an event may have, including the edges of
// "prefix.*" (a dot with nothing after it, a prefix that is not at a dot, nested prefixes).
constexpr const char* kPairs = R"sql(
  WITH patterns (p) AS (VALUES (NULL::jsonb), ('null'), ('[]'), ('["*"]'), ('["a"]'),
         ('["a.b"]'), ('["a.*"]'), ('["a.b.*"]'), ('["a.b.c.*"]'), ('["ab.*"]'), ('["a*"]'),
         ('[".*"]'), ('["b.*", "a.b"]'), ('["order.*", "user.created"]'), ('["a.b.c"]')),
       types (t) AS (VALUES ('a'), ('a.b'), ('a.b.c'), ('a.bc'), ('ab.c'), ('abc'), ('a.'),
         ('.a'), ('a..b'), ('order.paid'), ('order.paid.late'), ('user.created'), ('x_1.y'))
)sql";

// The body migration kFasterSubscriptionMatch replaced, verbatim but for the names.
constexpr const char* kOldMatch = R"sql(
  (p IS NULL OR jsonb_typeof(p) = 'null' OR EXISTS (
     SELECT 1 FROM jsonb_array_elements_text(p) AS x (pattern)
      WHERE x.pattern = '*' OR x.pattern = t
         OR (right(x.pattern, 2) = '.*' AND length(t) > length(x.pattern) - 1
             AND starts_with(t, left(x.pattern, -1)))))
)sql";

TEST(PgSubscriptionMatch, SameAnswersAsTheSubSelectItReplaced) {
  PgServer* server = PgServer::shared();
  ASSERT_NE(server, nullptr);
  std::string url;
  auto store = open_migrated_pg_store(*server, &url);
  pg::PgConnection conn(url);
  const std::string pairs = kPairs;
  EXPECT_EQ(pg_scalar(conn, pairs + "SELECT count(*) FROM patterns, types WHERE "
                                    "axon.subscriptions_match(p, t) IS DISTINCT FROM " +
                                    kOldMatch),
            0);
  // Not a vacuous comparison: both answers occur.
  const std::int64_t matches = pg_scalar(
      conn, pairs + "SELECT count(*) FROM patterns, types WHERE axon.subscriptions_match(p, t)");
  EXPECT_GT(matches, 0);
  EXPECT_LT(matches, pg_scalar(conn, pairs + "SELECT count(*) FROM patterns, types"));
  auto match = [&](const char* patterns, const char* type) {
    return pg_scalar(conn, std::string("SELECT axon.subscriptions_match('") + patterns +
                               "'::jsonb, '" + type + "')::int");
  };
  EXPECT_EQ(match(R"(["a.*"])", "a.b.c"), 1);
  EXPECT_EQ(match(R"(["a.*"])", "a."), 0);
  EXPECT_EQ(match(R"(["a.b.*"])", "a.b"), 0);
  EXPECT_EQ(match(R"(["ab.*"])", "a.b"), 0);
}

TEST(PgSubscriptionMatch, ThePlannerInlinesIt) {
  PgServer* server = PgServer::shared();
  ASSERT_NE(server, nullptr);
  std::string url;
  auto store = open_migrated_pg_store(*server, &url);
  pg::PgConnection conn(url);
  auto plan = conn.exec(
      "EXPLAIN (VERBOSE) SELECT e.id FROM axon.endpoints e "
      "WHERE axon.subscriptions_match(e.event_types, 'order.paid')");
  std::string text;
  for (int row = 0; row < plan.rows(); ++row) text += plan.text(row, 0) + "\n";
  EXPECT_NE(text.find("?|"), std::string::npos) << text;
  EXPECT_EQ(text.find("subscriptions_match"), std::string::npos) << text;
}

}  // namespace
}  // namespace axon::test
