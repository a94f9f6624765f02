#include "core/envelope.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace axon {
namespace {

TEST(Envelope, ExactBytesAndKeyOrder) {
  // 2026-11-29T01:02:03.456Z
  const Millis t = 1795914123456;
  EXPECT_EQ(build_envelope("evt_1", "order.updated", "ten_1", t, R"({"a":[1,2]})"),
            R"({"id":"evt_1","type":"order.updated","tenant_id":"ten_1",)"
            R"("created_at":"2026-11-29T01:02:03.456Z","data":{"a":[1,2]}})");
}

TEST(Envelope, EscapesStringsAndIsValidJson) {
  std::string env = build_envelope("e\"1", "t\\x", "ten_\n", 0, "null");
  EXPECT_EQ(env, R"({"id":"e\"1","type":"t\\x","tenant_id":"ten_\n",)"
                 R"("created_at":"1970-01-01T00:00:00.000Z","data":null})");
  auto j = nlohmann::json::parse(env);
  EXPECT_EQ(j["id"], "e\"1");
  EXPECT_EQ(j["tenant_id"], "ten_\n");
}

TEST(Rfc3339, Format) {
  EXPECT_EQ(format_rfc3339_ms(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_rfc3339_ms(1795914123456), "2026-11-29T01:02:03.456Z");
  EXPECT_EQ(format_rfc3339_ms(951782400000), "2000-02-29T00:00:00.000Z");
  EXPECT_EQ(format_rfc3339_ms(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(format_rfc3339_ms(253402300799999), "9999-12-31T23:59:59.999Z");
}

TEST(Rfc3339, ParseForms) {
  EXPECT_EQ(*parse_rfc3339("2026-11-29T01:02:03.456Z"), 1795914123456);
  EXPECT_EQ(*parse_rfc3339("2026-11-29T01:02:03Z"), 1795914123000);
  EXPECT_EQ(*parse_rfc3339("2026-11-29t01:02:03.4z"), 1795914123400);
  EXPECT_EQ(*parse_rfc3339("2026-11-29T01:02:03.456789123Z"), 1795914123456);  // truncated
  EXPECT_EQ(*parse_rfc3339("2026-11-29T03:02:03.456+02:00"), 1795914123456);
  EXPECT_EQ(*parse_rfc3339("2026-11-28T19:32:03.456-05:30"), 1795914123456);
  EXPECT_EQ(*parse_rfc3339("2026-11-29T01:02:03.456+00:00"), 1795914123456);
  EXPECT_EQ(*parse_rfc3339("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(*parse_rfc3339("2024-02-29T00:00:00Z"), 1709164800000);
}

TEST(Rfc3339, RoundTrip) {
  for (Millis t : {Millis{0}, Millis{1}, Millis{999}, Millis{1795914123456}, Millis{-86400001},
                   Millis{4102444799999}}) {
    auto back = parse_rfc3339(format_rfc3339_ms(t));
    ASSERT_TRUE(back) << t;
    EXPECT_EQ(*back, t);
  }
}

TEST(Rfc3339, RejectsGarbage) {
  for (const char* s : {"",
                        "garbage",
                        "2026-11-29",
                        "2026-11-29T01:02:03",
                        "2026-11-29 01:02:03Z",
                        "2026-13-01T00:00:00Z",
                        "2026-00-01T00:00:00Z",
                        "2026-02-29T00:00:00Z",
                        "2026-04-31T00:00:00Z",
                        "2026-11-29T24:00:00Z",
                        "2026-11-29T01:60:00Z",
                        "2026-11-29T01:02:61Z",
                        "2026-11-29T01:02:03.Z",
                        "2026-11-29T01:02:03.1234567890Z",
                        "2026-11-29T01:02:03+0200",
                        "2026-11-29T01:02:03+2:00",
                        "2026-11-29T01:02:03+24:00",
                        "2026-11-29T01:02:03Zjunk",
                        "26-11-29T01:02:03Z",
                        "2026-11-29T1:02:03Z",
                        "1795914123456",
                        " 2026-11-29T01:02:03Z",
                        "2026-11-29T01:02:03Z "}) {
    auto r = parse_rfc3339(s);
    EXPECT_FALSE(r) << s;
    if (!r) {
      EXPECT_EQ(r.error().code, Errc::invalid_request);
    }
  }
}

TEST(EventType, Valid) {
  for (const char* t :
       {"a", "order", "order.updated", "Order_1.item.ADDED", "_", "a.b.c.d", "0.9"}) {
    EXPECT_TRUE(is_valid_event_type(t)) << t;
  }
  EXPECT_TRUE(is_valid_event_type(std::string(128, 'a')));
  EXPECT_TRUE(is_valid_event_type(std::string(63, 'a') + "." + std::string(64, 'b')));
}

TEST(EventType, Invalid) {
  for (const char* t : {"", ".", "order.", ".order", "order..updated", "order-updated",
                        "order updated", "order.*", "*", "ordér", "a/b", "a\n"}) {
    EXPECT_FALSE(is_valid_event_type(t)) << t;
  }
  EXPECT_FALSE(is_valid_event_type(std::string(129, 'a')));
}

}  // namespace
}  // namespace axon
