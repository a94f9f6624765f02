// The PostgreSQL outbox (docs/operations.md, "The transactional outbox"): axon.emit_event
// called from the producer's own transaction or trigger, and the SQL helpers it is built from.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <regex>
#include <sstream>

#include "store/postgres/pg_connection.hpp"
#include "support/pg_server.hpp"

namespace axon::test {
namespace {

using pg::Params;
using pg::PgConnection;
using pg::PgError;
constexpr Millis kNow = 1'764'000'000'000;

EndpointSpec subscribed(std::vector<std::string> patterns) {
  EndpointSpec spec;
  spec.event_types = std::move(patterns);
  return spec;
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class OutboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(PgServer::shared(), nullptr) << "no PostgreSQL server";
    store_ = open_migrated_pg_store(*PgServer::shared(), &url_);
    sql_ = std::make_unique<PgConnection>(url_);
    tenant_ = add_tenant(*store_, kNow);
  }
  std::string emit(std::string_view type, std::string_view data,
                   std::optional<std::string> key = std::nullopt) {
    return sql_
        ->exec("SELECT axon.emit_event($1, $2, $3::jsonb, $4)", Params(tenant_.id, type, data, key))
        .text(0, 0);
  }
  int count(std::string_view table) {
    return sql_->exec("SELECT count(*) FROM axon." + std::string(table)).i32(0, 0);
  }

  std::string url_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<PgConnection> sql_;  // the producer's own connection
  Tenant tenant_;
};

TEST_F(OutboxTest, CommittedEmitCreatesEventAndDeliveriesThatCanBeClaimed) {
  Endpoint orders = add_endpoint(*store_, tenant_.id, kNow, subscribed({"order.*"}));
  add_endpoint(*store_, tenant_.id, kNow, subscribed({"invoice.paid"}));
  EndpointSpec off;
  off.disabled = true;
  add_endpoint(*store_, tenant_.id, kNow, off);

  sql_->exec_script("BEGIN");
  std::string id = emit("order.created", R"({"b": [1, 2.5, "x y"], "a": {"k": "v\"q"}})");
  sql_->exec_script("COMMIT");

  EXPECT_TRUE(std::regex_match(id, std::regex("evt_[0-9A-HJKMNP-TV-Z]{26}"))) << id;
  auto event = store_->get_event(tenant_.id, id);
  ASSERT_TRUE(event.has_value()) << event.error().message;
  EXPECT_EQ(event->type, "order.created");
  EXPECT_EQ(event->deliveries, 1);
  // The envelope: fixed key order, minified data (jsonb orders object keys its own way).
  std::smatch m;
  ASSERT_TRUE(std::regex_match(
      event->payload, m,
      std::regex(R"re(\{"id":"(evt_\w+)","type":"order\.created","tenant_id":"(\w+)",)re"
                 R"re("created_at":"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)",)re"
                 R"re("data":(.*)\})re")))
      << event->payload;
  EXPECT_EQ(m[1], id);
  EXPECT_EQ(m[2], tenant_.id);
  EXPECT_EQ(m[4], R"({"a":{"k":"v\"q"},"b":[1,2.5,"x y"]})");

  auto jobs = store_->claim_due("w", event->created_at + 1, 60'000, 10);
  ASSERT_TRUE(jobs.has_value());
  ASSERT_EQ(jobs->size(), 1u);
  EXPECT_EQ((*jobs)[0].endpoint_id, orders.id);
  EXPECT_EQ((*jobs)[0].event_id, id);
  EXPECT_EQ(*(*jobs)[0].payload, event->payload);
  EXPECT_TRUE(std::regex_match((*jobs)[0].delivery_id, std::regex("dlv_[0-9A-HJKMNP-TV-Z]{26}")));
  EXPECT_EQ((*jobs)[0].attempt, 1);
}

TEST_F(OutboxTest, RolledBackEmitLeavesNothing) {
  add_endpoint(*store_, tenant_.id, kNow);
  sql_->exec_script("BEGIN");
  emit("order.created", "{}");
  sql_->exec_script("ROLLBACK");
  EXPECT_EQ(count("events"), 0);
  EXPECT_EQ(count("deliveries"), 0);
}

TEST_F(OutboxTest, IdempotencyKeyReturnsTheFirstEventAndCreatesNothing) {
  add_endpoint(*store_, tenant_.id, kNow);
  std::string first = emit("order.created", R"({"n": 1})", "key-1");
  std::string again = emit("order.created", R"({"n": 2})", "key-1");
  std::string other = emit("order.created", R"({"n": 3})", "key-2");
  EXPECT_EQ(again, first);
  EXPECT_NE(other, first);
  EXPECT_EQ(count("events"), 2);
  EXPECT_EQ(count("deliveries"), 2);
}

TEST_F(OutboxTest, IdempotencyKeyIsSharedWithIngestEvent) {
  // An event ingested through the API (at the real current time) answers emit_event's key.
  auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  IngestResult api = add_event(*store_, tenant_.id, "order.created", now, "shared");
  EXPECT_EQ(emit("order.created", "{}", "shared"), api.event.id);
  EXPECT_EQ(count("events"), 1);
}

TEST_F(OutboxTest, RejectsAnInvalidTypeAndAnUnknownTenant) {
  try {
    emit("bad type!", "{}");
    ADD_FAILURE() << "invalid type accepted";
  } catch (const PgError& e) {
    EXPECT_EQ(e.sqlstate(), "22023");
  }
  try {
    sql_->exec("SELECT axon.emit_event('ten_nope', 'a.b', '{}')");
    ADD_FAILURE() << "unknown tenant accepted";
  } catch (const PgError& e) {
    EXPECT_EQ(e.sqlstate(), "P0002");
  }
  EXPECT_EQ(count("events"), 0);
}

TEST_F(OutboxTest, EmitEventsTakesManyEventsInOneCallAllOrNothing) {
  add_endpoint(*store_, tenant_.id, kNow, subscribed({"order.*"}));
  std::string earlier = emit("order.created", "{}", "seen");
  auto emit_many = [&](std::string_view events) {
    std::vector<std::string> ids;
    auto r = sql_->exec("SELECT axon.emit_events($1, $2::jsonb)", Params(tenant_.id, events));
    for (int row = 0; row < r.rows(); ++row) ids.push_back(r.text(row, 0));
    return ids;
  };
  auto ids = emit_many(R"([{"type": "order.created", "data": {"n": 1}},
                           {"type": "order.paid", "data": [1, 2], "idempotency_key": "seen"},
                           {"type": "invoice.paid", "data": null, "idempotency_key": "new"},
                           {"type": "order.paid", "data": {}, "idempotency_key": "new"}])");
  ASSERT_EQ(ids.size(), 4u);
  EXPECT_EQ(ids[1], earlier);  // a key seen before: the first event's id
  EXPECT_EQ(ids[3], ids[2]);   // a key used twice in the call
  EXPECT_NE(ids[0], ids[2]);
  EXPECT_EQ(count("events"), 3);
  EXPECT_EQ(count("deliveries"), 2);  // invoice.paid matches no endpoint
  EXPECT_EQ(store_->get_event(tenant_.id, ids[0])
                ->payload.substr(store_->get_event(tenant_.id, ids[0])->payload.find(",\"data\":")),
            R"(,"data":{"n":1}})");

  // One bad element fails the call and, with it, the caller's transaction.
  for (std::string_view bad : {R"([{"type": "ok.type", "data": 1}, {"type": "bad type!"}])",
                               R"([{"type": "ok.type", "data": 1}, 42])", R"({"type": "a"})"}) {
    sql_->exec_script("BEGIN");
    try {
      emit_many(bad);
      ADD_FAILURE() << "accepted " << bad;
    } catch (const PgError& e) {
      EXPECT_EQ(e.sqlstate(), "22023") << bad;
    }
    sql_->exec_script("ROLLBACK");
  }
  EXPECT_EQ(count("events"), 3);
  EXPECT_TRUE(emit_many("[]").empty());
}

TEST_F(OutboxTest, TriggerExampleFromTheDocsEmitsOnCommitOnly) {
  // AXON_SOURCE_DIR, not __FILE__: ccache's base_dir makes __FILE__ relative to the build.
  const auto file = std::filesystem::path(AXON_SOURCE_DIR) / "docs" / "outbox-trigger-example.sql";
  const std::string script = read_text(file);
  ASSERT_FALSE(script.empty()) << file;
  sql_->exec_script(script);
  add_endpoint(*store_, tenant_.id, kNow, subscribed({"product.*"}));

  sql_->exec("INSERT INTO products (tenant_id, name, price_cents) VALUES ($1, 'Lamp', 4200)",
             Params(tenant_.id));
  sql_->exec_script("BEGIN");
  sql_->exec("INSERT INTO products (tenant_id, name, price_cents) VALUES ($1, 'Gone', 1)",
             Params(tenant_.id));
  sql_->exec_script("ROLLBACK");

  auto events = store_->list_events(tenant_.id, {}, {});
  ASSERT_TRUE(events.has_value());
  ASSERT_EQ(events->items.size(), 1u);
  const Event& e = events->items[0];
  EXPECT_EQ(e.type, "product.created");
  EXPECT_EQ(e.deliveries, 1);
  EXPECT_NE(e.payload.find(R"("data":{"id":1,"name":"Lamp",)"), std::string::npos) << e.payload;
  EXPECT_NE(e.payload.find(R"("price_cents":4200)"), std::string::npos) << e.payload;
}

TEST_F(OutboxTest, CommitWakesTheWorkCallback) {
  add_endpoint(*store_, tenant_.id, kNow);
  std::mutex mu;
  std::condition_variable cv;
  int wakes = 0;
  store_->set_work_callback([&] {
    std::lock_guard lock(mu);
    ++wakes;
    cv.notify_all();
  });
  std::unique_lock lock(mu);
  ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return wakes > 0; }));
  const int before = wakes;
  lock.unlock();
  emit("order.created", "{}");
  lock.lock();
  EXPECT_TRUE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return wakes > before; }));
  lock.unlock();
  store_->set_work_callback(nullptr);
}

TEST_F(OutboxTest, NewIdIsAStrictlyIncreasingUlid) {
  pg::PgResult r = sql_->exec(
      "SELECT axon.new_id('dlv_', 1764000000000) FROM generate_series(1, 50) ORDER BY 1");
  ASSERT_EQ(r.rows(), 50);
  std::string previous;
  for (int row = 0; row < r.rows(); ++row) {
    std::string id = r.text(row, 0);
    EXPECT_TRUE(std::regex_match(id, std::regex("dlv_[0-9A-HJKMNP-TV-Z]{26}"))) << id;
    EXPECT_GT(id, previous);
    previous = id;
  }
  // The 48-bit time prefix: 1764000000000 ms = 0x19AB697E800 -> base32 "01KAV9FT00".
  EXPECT_EQ(previous.substr(4, 10), "01KAV9FT00");
  // Ids generated in one statement (one transaction) come out in generation order too.
  pg::PgResult seq = sql_->exec(
      "SELECT array_agg(id ORDER BY g) = array_agg(id ORDER BY id) FROM "
      "(SELECT g, axon.new_id('x_', 5) AS id FROM generate_series(1, 20) g) s");
  EXPECT_TRUE(seq.boolean(0, 0));
  // The random part is two 40-bit halves (8 characters each); the low one carries into the
  // high one, so the next id after ...:999*2^30:2^40-1 ends in "Z7000001" "00000000" (the
  // high half starts with the microsecond: 999 for a millisecond long past).
  pg::PgResult carry = sql_->exec(
      "SELECT axon.new_id('x_', 1764000000000) FROM (SELECT set_config('axon.last_id', "
      "'1764000000000:1072668082176:1099511627775', true)) AS s");
  EXPECT_EQ(carry.text(0, 0),
            "x_01KAV9FT00"
            "Z7000001"
            "00000000");
}

TEST_F(OutboxTest, NewIdsDrawsARunThatContinuesNewId) {
  // In one transaction (one statement): an id, a run of three, another id. The run's ids are
  // the next three of the sequence: the same time and high half, the low half counting on.
  pg::PgResult r = sql_->exec(
      "SELECT a, b, c FROM (SELECT axon.new_id('x_', 1764000000000) AS a) s1, "
      "LATERAL (SELECT axon.new_ids('x_', 3, 1764000000000) AS b) s2, "
      "LATERAL (SELECT axon.new_id('x_', 1764000000000) AS c) s3");
  const std::string first = r.text(0, 0), last = r.text(0, 2);
  std::vector<std::string> run;
  std::string list = r.text(0, 1);  // {x_...,x_...,x_...}
  std::stringstream items(list.substr(1, list.size() - 2));
  for (std::string id; std::getline(items, id, ',');) run.push_back(id);
  ASSERT_EQ(run.size(), 3u) << list;
  std::string previous = first;
  for (const std::string& id : run) {
    EXPECT_TRUE(std::regex_match(id, std::regex("x_[0-9A-HJKMNP-TV-Z]{26}"))) << id;
    EXPECT_EQ(id.substr(0, 20), first.substr(0, 20));  // prefix, time and high half
    EXPECT_GT(id, previous);
    previous = id;
  }
  EXPECT_GT(last, previous);
  // A run that would carry out of the low half starts at the next high value: still
  // increasing, and the state continues from the run's last id.
  pg::PgResult carry = sql_->exec(
      "SELECT axon.new_ids('x_', 3, 1764000000000), axon.new_id('x_', 1764000000000) "
      "FROM (SELECT set_config('axon.last_id', '1764000000000:1072668082176:1099511627774', "
      "true)) AS s");
  EXPECT_EQ(carry.text(0, 0),
            "{x_01KAV9FT00Z700000100000000,x_01KAV9FT00Z700000100000001,"
            "x_01KAV9FT00Z700000100000002}");
  EXPECT_EQ(carry.text(0, 1), "x_01KAV9FT00Z700000100000003");
  EXPECT_EQ(sql_->exec("SELECT cardinality(axon.new_ids('x_', 0))").i32(0, 0), 0);
}

// Consecutive transactions, many within one millisecond: each starts its ids afresh, from
// the microsecond within the millisecond, so they still sort in the order they were drawn.
TEST_F(OutboxTest, IdsOfConsecutiveTransactionsSortInTheOrderTheyWereDrawn) {
  std::string previous;
  for (int i = 0; i < 300; ++i) {
    const std::string id = sql_->exec("SELECT axon.new_id('x_')").text(0, 0);
    ASSERT_LT(previous, id) << "call " << i;
    previous = id;
  }
}

TEST_F(OutboxTest, SubscriptionMatchInSqlFollowsTheCoreRules) {
  struct Case {
    const char* patterns;  // JSON, or nullptr for SQL NULL
    const char* type;
    bool match;
  };
  const Case cases[] = {
      {nullptr, "a.b", true},
      {R"(["*"])", "x", true},
      {R"(["order.*"])", "order.updated", true},
      {R"(["order.*"])", "order.item.added", true},
      {R"(["order.*"])", "order", false},
      {R"(["order.*"])", "orders.x", false},
      {R"(["a.b"])", "a.b", true},
      {R"(["a.b"])", "a.bc", false},
      {R"([])", "a.b", false},
      {R"(["x", "a.*"])", "a.z", true},
  };
  for (const Case& c : cases) {
    std::optional<std::string> patterns;
    if (c.patterns) patterns = c.patterns;
    pg::PgResult r =
        sql_->exec("SELECT axon.subscriptions_match($1::jsonb, $2)", Params(patterns, c.type));
    EXPECT_EQ(r.boolean(0, 0), c.match) << (c.patterns ? c.patterns : "NULL") << " " << c.type;
  }
}

}  // namespace
}  // namespace axon::test
