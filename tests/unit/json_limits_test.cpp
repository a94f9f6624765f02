#include "core/json_limits.hpp"

#include <gtest/gtest.h>

namespace axon {
namespace {

std::string nested_arrays(int n) { return std::string(n, '[') + std::string(n, ']'); }

TEST(JsonLimits, ParsesAndMinifies) {
  auto r = parse_json_limited(R"( { "a" : [ 1, 2.5, "x", null, true ] , "b":{} } )");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->dump(), R"({"a":[1,2.5,"x",null,true],"b":{}})");
  EXPECT_TRUE(parse_json_limited("42"));
  EXPECT_TRUE(parse_json_limited(R"("é ✓ 😀")"));
  EXPECT_TRUE(parse_json_limited(R"("\ud83d\ude00")"));
}

TEST(JsonLimits, DepthCounting) {
  EXPECT_TRUE(json_depth_within(nlohmann::json(1), 0));
  EXPECT_TRUE(json_depth_within(nlohmann::json::parse(R"({"a":1})"), 1));
  EXPECT_FALSE(json_depth_within(nlohmann::json::parse(R"({"a":1})"), 0));
  EXPECT_TRUE(json_depth_within(nlohmann::json::parse(R"({"a":[1]})"), 2));
  EXPECT_FALSE(json_depth_within(nlohmann::json::parse(R"({"a":[1]})"), 1));
  EXPECT_TRUE(json_depth_within(nlohmann::json::parse(R"([[],[[]]])"), 3));
  EXPECT_FALSE(json_depth_within(nlohmann::json::parse(R"([[],[[]]])"), 2));
}

TEST(JsonLimits, SixtyFourLevelsPassSixtyFiveFail) {
  EXPECT_TRUE(parse_json_limited(nested_arrays(64)));
  auto r = parse_json_limited(nested_arrays(65));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::validation_failed);

  std::string objects;
  for (int i = 0; i < 64; ++i) objects += R"({"k":)";
  objects += "1" + std::string(64, '}');
  EXPECT_TRUE(parse_json_limited(objects));
  EXPECT_FALSE(parse_json_limited(R"({"k":)" + objects + "}"));
}

TEST(JsonLimits, BracketsInsideStringsDoNotCount) {
  std::string s = "[\"" + std::string(200, '[') + "\\\"" + std::string(200, '{') + "\"]";
  auto r = parse_json_limited(s);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ((*r)[0].get<std::string>().size(), 401u);
}

TEST(JsonLimits, HugeNestingIsRefusedWithoutRecursing) {
  auto r = parse_json_limited(nested_arrays(100'000));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::validation_failed);
  auto unclosed = parse_json_limited(std::string(1'000'000, '{'));
  EXPECT_FALSE(unclosed);
}

TEST(JsonLimits, CustomLimit) {
  EXPECT_TRUE(parse_json_limited("[[1]]", 2));
  EXPECT_FALSE(parse_json_limited("[[[1]]]", 2));
  EXPECT_TRUE(parse_json_limited("1", 0));
  EXPECT_FALSE(parse_json_limited("[]", 0));
}

TEST(JsonLimits, InvalidJson) {
  for (std::string s :
       {std::string(""), std::string("{"), std::string("{\"a\":}"), std::string("[1,]"),
        std::string("{} {}"), std::string("nul"), std::string("// c\n1"), std::string("'x'"),
        std::string("[1] x"), std::string("{\"a\":1,}"), std::string("NaN")}) {
    auto r = parse_json_limited(s);
    ASSERT_FALSE(r) << s;
    EXPECT_EQ(r.error().code, Errc::invalid_json) << s;
  }
}

TEST(JsonLimits, InvalidUtf8Refused) {
  for (std::string s : {std::string("\"\xff\""), std::string("\"\xc3\""),  // truncated
                        std::string("\"\xc0\xaf\""),                       // overlong
                        std::string("\"\xed\xa0\x80\""),                   // surrogate
                        std::string("\"\xf4\x90\x80\x80\""),               // > U+10FFFF
                        std::string("{\"k\xfe\":1}"), std::string("[\"ok\", \"\x80\"]"),
                        std::string("\"\\ud800\""), std::string("\"\\udc00x\"")}) {
    auto r = parse_json_limited(s);
    ASSERT_FALSE(r) << s;
    EXPECT_EQ(r.error().code, Errc::invalid_json) << s;
  }
}

}  // namespace
}  // namespace axon
