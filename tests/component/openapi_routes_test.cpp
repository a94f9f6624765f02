// docs/openapi.json (as embedded in the binary) against the server's route table: the same
// set of (method, path) pairs, so the document and the server cannot drift apart. Also the
// Prometheus/log helpers' pure parts that /metrics and the structured logs rely on.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "api/openapi_document.hpp"
#include "api/router.hpp"
#include "core/log_format.hpp"
#include "core/metrics.hpp"

namespace axon::api {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

TEST(OpenApiDocument, PathsAndMethodsEqualTheRouteTable) {
  auto doc = nlohmann::json::parse(openapi_document());
  EXPECT_EQ(doc["openapi"], "3.1.0");
  std::set<std::string> documented;
  for (const auto& [path, item] : doc["paths"].items()) {
    for (const auto& [method, op] : item.items()) documented.insert(method + " " + path);
  }
  std::set<std::string> served;
  for (const RouteInfo& route : route_table()) {
    served.insert(lower(route.method) + " " + std::string(route.pattern));
  }
  EXPECT_EQ(documented, served);
}

TEST(OpenApiDocument, PublicRoutesNeedNoTokenAndTheRestNeedBearer) {
  auto doc = nlohmann::json::parse(openapi_document());
  EXPECT_TRUE(doc["components"]["securitySchemes"].contains("bearer"));
  for (const RouteInfo& route : route_table()) {
    const auto& op = doc["paths"][std::string(route.pattern)][lower(route.method)];
    const bool public_op = op.contains("security") && op["security"].empty();
    EXPECT_EQ(public_op, route.scope == AuthScope::anyone) << route.method << " " << route.pattern;
    EXPECT_EQ(op.contains("requestBody"), route.json_body) << route.method << " " << route.pattern;
  }
}

TEST(StructuredLog, JsonLineEscapesMessageAndFields) {
  std::string line;
  auto encoded = encode_log_record("say \"hi\"\n", {{"tenant_id", "ten_\x1e\"x"}, {"n", 3}});
  append_json_log_line(line, "2026-01-01T00:00:00.000Z", "info", decode_log_record(encoded));
  auto parsed = nlohmann::json::parse(line);
  EXPECT_EQ(parsed["msg"], "say \"hi\"\n");
  EXPECT_EQ(parsed["tenant_id"], "ten_?\"x");
  EXPECT_EQ(parsed["n"], 3);
  EXPECT_EQ(parsed["level"], "info");
}

TEST(StructuredLog, LogfmtQuotesValuesWithSpaces) {
  std::string line;
  append_logfmt_log_line(line, "T", "warning",
                         decode_log_record(encode_log_record("delivery dead",
                                                             {{"reason", "HTTP 500"},
                                                              {"delivery_id", "dlv_1"}})));
  EXPECT_EQ(line, "time=T level=warning msg=\"delivery dead\" reason=\"HTTP 500\" delivery_id=dlv_1");
}

TEST(MetricsRegistry, EndpointFailuresAreCappedAtTopNPlusOther) {
  Metrics metrics;
  for (int e = 0; e < 30; ++e) {
    for (int k = 0; k <= e; ++k) {
      metrics.attempt(Metrics::Outcome::retried, "http", 10, "ep_" + std::to_string(e), 1000);
    }
  }
  std::string text;
  metrics.render(text, 2000);
  int series = 0;
  for (std::size_t at = 0; (at = text.find("axon_endpoint_recent_failures{", at)) != std::string::npos; ++at) ++series;
  EXPECT_EQ(series, static_cast<int>(Metrics::kTopEndpoints) + 1);
  EXPECT_NE(text.find("axon_endpoint_recent_failures{endpoint=\"ep_29\"} 30\n"), std::string::npos);
  // ep_0..ep_9 (1+2+…+10 = 55 failures) are summed as "other".
  EXPECT_NE(text.find("axon_endpoint_recent_failures{endpoint=\"other\"} 55\n"), std::string::npos);
  EXPECT_NE(text.find("axon_attempt_errors_total{class=\"http\"} 465\n"), std::string::npos);
  // Two windows later nothing is recent any more.
  text.clear();
  metrics.render(text, 1000 + 3 * Metrics::kWindowMs);
  EXPECT_NE(text.find("axon_endpoint_recent_failures{endpoint=\"other\"} 0\n"), std::string::npos);
  EXPECT_EQ(text.find("endpoint=\"ep_29\""), std::string::npos);
}

}  // namespace
}  // namespace axon::api
