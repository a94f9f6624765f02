// The pure side of operational webhooks: which outcome produces which event, the data shape,
// the idempotency keys, and the loop rule.
#include "core/operational_events.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace axon {
namespace {

using Outcome = AttemptFacts::Outcome;
constexpr int kN = 3;

AttemptFacts facts(Outcome outcome, int attempt_in_series, int attempt = 0) {
  AttemptFacts f;
  f.tenant_id = "ten_A";
  f.endpoint_id = "ep_B";
  f.endpoint_url = "https://hooks.example/x";
  f.delivery_id = "dlv_C";
  f.event_id = "evt_D";
  f.event_type = "order.created";
  f.attempt = attempt > 0 ? attempt : attempt_in_series;
  f.attempt_in_series = attempt_in_series;
  f.outcome = outcome;
  f.status_code = outcome == Outcome::succeeded ? 200 : 500;
  f.error = outcome == Outcome::succeeded ? "" : "http";
  f.started_at = 1'764'000'000'123;
  return f;
}

std::vector<std::string> types_of(const std::vector<OperationalEvent>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(e.type);
  return out;
}

TEST(OperationalEvents, TypesAndPatterns) {
  EXPECT_EQ(operational_event_types().size(), 5u);
  EXPECT_TRUE(is_operational_event_type("delivery.failing"));
  EXPECT_TRUE(is_operational_event_type("endpoint.enabled"));
  EXPECT_FALSE(is_operational_event_type("delivery"));
  EXPECT_FALSE(is_operational_event_type("order.created"));
  EXPECT_TRUE(pattern_matches_operational("delivery.*"));
  EXPECT_TRUE(pattern_matches_operational("endpoint.disabled"));
  EXPECT_TRUE(pattern_matches_operational("*"));
  EXPECT_FALSE(pattern_matches_operational("order.*"));
  EXPECT_FALSE(pattern_matches_operational("delivery"));
  EXPECT_FALSE(pattern_matches_operational("delivery.failed"));
  EXPECT_EQ(kOperatorTenantId.size(), 30u);
}

TEST(OperationalEvents, FailingExactlyAtTheThreshold) {
  EXPECT_TRUE(attempt_operational_events(facts(Outcome::retry, 1), kN).empty());
  EXPECT_TRUE(attempt_operational_events(facts(Outcome::retry, 2), kN).empty());
  auto at_n = attempt_operational_events(facts(Outcome::retry, 3), kN);
  ASSERT_EQ(types_of(at_n), std::vector<std::string>{"delivery.failing"});
  // Only once per series: the 4th, 5th failure say nothing more.
  EXPECT_TRUE(attempt_operational_events(facts(Outcome::retry, 4), kN).empty());
  EXPECT_TRUE(attempt_operational_events(facts(Outcome::retry, 5), kN).empty());
  // The threshold is the option's value.
  EXPECT_EQ(types_of(attempt_operational_events(facts(Outcome::retry, 1), 1)),
            std::vector<std::string>{"delivery.failing"});
  EXPECT_TRUE(attempt_operational_events(facts(Outcome::retry, 3), 5).empty());
}

TEST(OperationalEvents, RecoveredOnlyAfterAFailingWasSent) {
  EXPECT_TRUE(attempt_operational_events(facts(Outcome::succeeded, 1), kN).empty());
  // Success at attempt N: only N-1 failures came before, no failing was sent.
  EXPECT_TRUE(attempt_operational_events(facts(Outcome::succeeded, 3), kN).empty());
  EXPECT_EQ(types_of(attempt_operational_events(facts(Outcome::succeeded, 4), kN)),
            std::vector<std::string>{"delivery.recovered"});
  EXPECT_EQ(types_of(attempt_operational_events(facts(Outcome::succeeded, 9), kN)),
            std::vector<std::string>{"delivery.recovered"});
}

TEST(OperationalEvents, ExhaustedWheneverTheDeliveryDies) {
  EXPECT_EQ(types_of(attempt_operational_events(facts(Outcome::dead, 8), kN)),
            std::vector<std::string>{"delivery.exhausted"});
  // Dying before the failing threshold still reports exhaustion (e.g. a short schedule).
  EXPECT_EQ(types_of(attempt_operational_events(facts(Outcome::dead, 1), kN)),
            std::vector<std::string>{"delivery.exhausted"});
}

TEST(OperationalEvents, ZeroThresholdTurnsFailingAndRecoveredOff) {
  EXPECT_TRUE(attempt_operational_events(facts(Outcome::retry, 1), 0).empty());
  EXPECT_TRUE(attempt_operational_events(facts(Outcome::succeeded, 5), 0).empty());
  EXPECT_EQ(types_of(attempt_operational_events(facts(Outcome::dead, 5), 0)),
            std::vector<std::string>{"delivery.exhausted"});
}

TEST(OperationalEvents, GoneDisablesTheEndpointAndExhaustsTheDelivery) {
  AttemptFacts f = facts(Outcome::dead, 1);
  f.status_code = 410;
  f.endpoint_gone = true;
  f.disable_reason = "the endpoint answered 410 Gone";
  auto events = attempt_operational_events(f, kN);
  ASSERT_EQ(types_of(events),
            (std::vector<std::string>{"delivery.exhausted", "endpoint.disabled"}));
  auto data = nlohmann::json::parse(events[1].data_json);
  EXPECT_EQ(data["tenant_id"], "ten_A");
  EXPECT_EQ(data["endpoint_id"], "ep_B");
  EXPECT_EQ(data["url"], "https://hooks.example/x");
  EXPECT_EQ(data["reason"], "the endpoint answered 410 Gone");
  EXPECT_EQ(data["source"], "gone");
  EXPECT_EQ(events[1].idempotency_key, "axon-op:endpoint.disabled:ep_B:gone:dlv_C:1");
  EXPECT_EQ(events[1].tenant_id, "ten_A");
}

TEST(OperationalEvents, NothingForADeliveryToAnOperationalEndpoint) {
  for (Outcome outcome : {Outcome::retry, Outcome::dead, Outcome::succeeded}) {
    for (int n : {1, 3, 4, 10}) {
      AttemptFacts f = facts(outcome, n);
      f.operational = true;
      f.endpoint_gone = outcome == Outcome::dead;
      EXPECT_TRUE(attempt_operational_events(f, kN).empty());
    }
  }
}

TEST(OperationalEvents, DeliveryDataShapeAndKey) {
  auto events = attempt_operational_events(facts(Outcome::retry, 3, 7), kN);
  ASSERT_EQ(events.size(), 1u);
  const auto& e = events[0];
  EXPECT_EQ(e.tenant_id, "ten_A");
  // Keyed by type, delivery and whole-life attempt number: a re-emission after a crash is a
  // duplicate the store ignores; a replayed series (new attempt numbers) is a new event.
  EXPECT_EQ(e.idempotency_key, "axon-op:delivery.failing:dlv_C:7");
  EXPECT_EQ(e.data_json,
            R"({"tenant_id":"ten_A","endpoint_id":"ep_B","delivery_id":"dlv_C","event_id":"evt_D",)"
            R"("event_type":"order.created","attempt":{"n":7,"status_code":500,"error":"http",)"
            R"("started_at":"2025-11-24T16:00:00.123Z"}})");
  auto ok = attempt_operational_events(facts(Outcome::succeeded, 4), kN);
  auto data = nlohmann::json::parse(ok.at(0).data_json);
  EXPECT_EQ(data["attempt"]["status_code"], 200);
  EXPECT_TRUE(data["attempt"]["error"].is_null());
  EXPECT_EQ(ok[0].idempotency_key, "axon-op:delivery.recovered:dlv_C:4");
  auto dead = attempt_operational_events(facts(Outcome::dead, 4), kN);
  EXPECT_EQ(dead.at(0).idempotency_key, "axon-op:delivery.exhausted:dlv_C:4");
  // No response at all: status_code is null.
  AttemptFacts timeout = facts(Outcome::dead, 4);
  timeout.status_code = 0;
  timeout.error = "timeout";
  data = nlohmann::json::parse(attempt_operational_events(timeout, kN).at(0).data_json);
  EXPECT_TRUE(data["attempt"]["status_code"].is_null());
  EXPECT_EQ(data["attempt"]["error"], "timeout");
}

TEST(OperationalEvents, EndpointChanges) {
  EndpointChange change{"ten_A",
                        "ep_B",
                        "https://hooks.example/x",
                        "disabled by API",
                        EndpointChangeSource::api,
                        "1764000000999"};
  auto disabled = endpoint_disabled_event(change);
  EXPECT_EQ(disabled.type, "endpoint.disabled");
  EXPECT_EQ(disabled.idempotency_key, "axon-op:endpoint.disabled:ep_B:1764000000999");
  EXPECT_EQ(disabled.data_json,
            R"({"tenant_id":"ten_A","endpoint_id":"ep_B","url":"https://hooks.example/x",)"
            R"("reason":"disabled by API","source":"api"})");
  change.reason.clear();
  auto enabled = endpoint_enabled_event(change);
  EXPECT_EQ(enabled.type, "endpoint.enabled");
  EXPECT_EQ(enabled.idempotency_key, "axon-op:endpoint.enabled:ep_B:1764000000999");
  EXPECT_TRUE(nlohmann::json::parse(enabled.data_json)["reason"].is_null());
  EXPECT_EQ(endpoint_change_source_name(EndpointChangeSource::automatic), "auto");
  EXPECT_EQ(endpoint_change_source_name(EndpointChangeSource::gone), "gone");
}

}  // namespace
}  // namespace axon
