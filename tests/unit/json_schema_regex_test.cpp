// The regex guard of core/json_schema: tenant patterns run on RE2 (linear time, no
// recursion), ECMAScript syntax is translated where RE2 reads it differently, what RE2 cannot
// run is refused when compiling, and schemas are capped in size, nesting and pattern count.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/json_schema.hpp"
#include "core/schema_regex.hpp"

namespace axon {
namespace {

using nlohmann::json;

JsonSchema compile_ok(const json& schema) {
  auto compiled = JsonSchema::compile(schema);
  // gtest reports an exception thrown by a test as that test's failure.
  if (!compiled) throw std::runtime_error("does not compile: " + compiled.error().message);
  return std::move(*compiled);
}

json pattern_schema(const std::string& pattern) { return {{"pattern", pattern}}; }

bool matches(const std::string& pattern, const std::string& subject) {
  return compile_ok(pattern_schema(pattern)).validate(json(subject)).empty();
}

std::string refusal(const json& schema) {
  auto compiled = JsonSchema::compile(schema);
  EXPECT_FALSE(compiled.has_value()) << schema.dump();
  if (compiled) return "";
  EXPECT_EQ(compiled.error().code, Errc::invalid_request);
  return compiled.error().message;
}

// --- hostile input ---

TEST(JsonSchemaRegex, CatastrophicPatternTerminatesWithTheRightAnswer) {
  // Exponential on a backtracking engine (std::regex: 2^40 steps); linear on RE2.
  auto schema = compile_ok(pattern_schema("^(a+)+$"));
  const std::string as(40, 'a');
  auto errors = schema.validate(json(as + "!"));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors.front().pointer, "");
  EXPECT_NE(errors.front().reason.find("pattern"), std::string::npos) << errors.front().reason;
  EXPECT_TRUE(schema.validate(json(as)).empty());
}

TEST(JsonSchemaRegex, CatastrophicPatternPropertyTerminates) {
  auto schema = compile_ok(json::parse(R"({
    "patternProperties": {"^(a|aa)+$": {"type": "integer"}},
    "additionalProperties": false})"));
  const std::string key(60, 'a');
  EXPECT_TRUE(schema.validate(json{{key, 1}}).empty());
  EXPECT_FALSE(schema.validate(json{{key + "!", 1}}).empty());  // additional: refused
  EXPECT_FALSE(schema.validate(json{{key, "x"}}).empty());
}

TEST(JsonSchemaRegex, MegabyteStringDoesNotOverflowTheStack) {
  // libstdc++'s std::regex recurses once per character here and crashes on ~100 kB.
  auto schema = compile_ok(pattern_schema("^(a|b)*$"));
  std::string big;
  big.reserve(1 << 20);
  while (big.size() < (1u << 20)) big += "ab";
  EXPECT_TRUE(schema.validate(json(big)).empty());
  EXPECT_FALSE(schema.validate(json(big + "c")).empty());
}

TEST(JsonSchemaRegex, MegabytePropertyNameAndFormatDoNotOverflowTheStack) {
  const std::string big(1 << 20, '7');
  auto names = compile_ok(json::parse(R"({"propertyNames": {"pattern": "^[0-9]+$"}})"));
  EXPECT_TRUE(names.validate(json{{big, true}}).empty());
  EXPECT_FALSE(names.validate(json{{big + "x", true}}).empty());
  // valijson's date/date-time checks used std::regex too.
  auto dates = compile_ok(json::parse(R"({"format": "date-time"})"));
  EXPECT_FALSE(dates.validate(json(big)).empty());
  EXPECT_TRUE(dates.validate(json("2026-11-29T06:00:00Z")).empty());
  EXPECT_FALSE(dates.validate(json("2026-13-29T06:00:00Z")).empty());
  auto date = compile_ok(json::parse(R"({"format": "date"})"));
  EXPECT_TRUE(date.validate(json(big + "-01-01")).empty());  // a 1 MB year still matches
  EXPECT_TRUE(date.validate(json("2024-02-29")).empty());
  EXPECT_FALSE(date.validate(json("2024-02-30")).empty());
  auto time = compile_ok(json::parse(R"({"format": "time"})"));
  EXPECT_TRUE(time.validate(json("23:59:60+02:00")).empty());
  EXPECT_FALSE(time.validate(json("24:00:00Z")).empty());
}

// --- refused when compiling ---

TEST(JsonSchemaRegex, RefusesWhatRe2CannotRunWithAClearMessage) {
  for (const std::string pattern :
       {R"(^(a)\1$)", R"((?<n>a)\k<n>)", "^(?=a)a", "(?!a)b", "(?<=a)b", "(?<!a)b"}) {
    const std::string message = refusal(pattern_schema(pattern));
    EXPECT_NE(message.find("pattern '" + pattern + "'"), std::string::npos) << message;
    EXPECT_NE(message.find("lookahead, lookbehind and backreferences are not supported"),
              std::string::npos)
        << message;
  }
  EXPECT_NE(refusal(pattern_schema("(a")).find("missing )"), std::string::npos);
  EXPECT_NE(refusal(pattern_schema("a{1001}")).find("at most 1000"), std::string::npos);
}

TEST(JsonSchemaRegex, FindsPatternsWhereverValidationWouldReachThem) {
  const std::string bad = R"((a)\1)";
  for (const char* where : {
           R"({"patternProperties": {"BAD": {}}})",
           R"({"properties": {"x": {"items": {"pattern": "BAD"}}}})",
           R"({"allOf": [{}, {"not": {"pattern": "BAD"}}]})",
           R"({"if": {}, "then": {}, "else": {"propertyNames": {"pattern": "BAD"}}})",
           R"({"dependencies": {"a": {"contains": {"pattern": "BAD"}}}})",
           R"({"items": [{}, {"pattern": "BAD"}], "additionalItems": {}})",
           R"({"additionalProperties": {"anyOf": [{"oneOf": [{"pattern": "BAD"}]}]}})",
           R"({"definitions": {"d": {"pattern": "BAD"}}, "$ref": "#/definitions/d"})",
           R"({"properties": {"self": {"$ref": "#"}}, "pattern": "BAD"})",
       }) {
    std::string text = where;
    text.replace(text.find("BAD"), 3, json(bad).dump().substr(1, json(bad).dump().size() - 2));
    auto message = refusal(json::parse(text));
    EXPECT_NE(message.find("backreferences"), std::string::npos) << text << ": " << message;
  }
}

TEST(JsonSchemaRegex, CapsPatternLengthAndCount) {
  EXPECT_TRUE(JsonSchema::compile(pattern_schema(std::string(kMaxPatternBytes, 'a'))));
  EXPECT_NE(refusal(pattern_schema(std::string(kMaxPatternBytes + 1, 'a'))).find("longer than"),
            std::string::npos);
  json props = json::object();
  for (std::size_t i = 0; i < kMaxSchemaPatterns; ++i) {
    props["p" + std::to_string(i)] = pattern_schema("^x" + std::to_string(i) + "$");
  }
  props["again"] = pattern_schema("^x0$");  // the same text counts once
  EXPECT_TRUE(JsonSchema::compile(json{{"properties", props}}));
  props["one_more"] = pattern_schema("^y$");
  EXPECT_NE(refusal(json{{"properties", props}}).find("distinct patterns"), std::string::npos);
}

TEST(JsonSchemaRegex, CapsSchemaSizeAndNesting) {
  json big = {{"enum", json::array()}};
  while (big.dump().size() <= kMaxSchemaBytes) big["enum"].push_back(std::string(100, 'x'));
  EXPECT_NE(refusal(big).find("bytes, more than the limit"), std::string::npos);

  json nested = json::object();  // depth 1
  for (int i = 1; i < kMaxSchemaDepth; ++i) nested = json{{"not", nested}};
  EXPECT_TRUE(JsonSchema::compile(nested)) << nested.dump();
  nested = json{{"not", nested}};
  EXPECT_NE(refusal(nested).find("nests deeper"), std::string::npos);
}

// --- schemas whose validation would never end ---

TEST(JsonSchemaRegex, RefusesReferenceLoops) {
  for (const char* looping : {
           R"({"$ref": "#"})",
           R"({"$ref": "#/definitions/a", "definitions": {"a": {"$ref": "#/definitions/b"},
               "b": {"$ref": "#/definitions/a"}}})",
           R"({"properties": {"x": {"$ref": "#/properties/x"}}})",
           R"({"definitions": {"a~b": {"$ref": "#/definitions/a~0b/"}}})",
       }) {
    EXPECT_NE(refusal(json::parse(looping)).find("loop of references"), std::string::npos)
        << looping;
  }
  // A remote reference is refused for being remote, not taken for a loop.
  EXPECT_NE(refusal(json::parse(R"({"$ref": "http://127.0.0.1:1/s.json"})")).find("remote"),
            std::string::npos);
  EXPECT_NE(refusal(json::parse(R"({"$id": "http://x.test/s.json",
      "properties": {"a": {"$ref": "http://x.test/s.json#/properties/a"}}})"))
                .find("loop of references"),
            std::string::npos);
  for (const char* looping : {
           R"({"allOf": [{"$ref": "#"}]})",
           R"({"$ref": "#/definitions/a", "definitions": {
               "a": {"anyOf": [{"type": "null"}, {"$ref": "#/definitions/b"}]},
               "b": {"not": {"if": {"$ref": "#/definitions/a"}}}}})",
           R"({"dependencies": {"x": {"$ref": "#"}}})",
       }) {
    EXPECT_NE(refusal(json::parse(looping)).find("never end"), std::string::npos) << looping;
  }
}

TEST(JsonSchemaRegex, AcceptsRecursionThatDescendsIntoTheData) {
  auto tree = compile_ok(json::parse(R"({
    "$ref": "#/definitions/node",
    "definitions": {"node": {"type": "object", "required": ["v"], "properties": {
      "v": {"type": "integer"},
      "kids": {"type": "array", "items": {"$ref": "#/definitions/node"}}}}}})"));
  json doc = {{"v", 0}};
  for (int i = 1; i < 20; ++i) doc = {{"v", i}, {"kids", json::array({doc})}};
  EXPECT_TRUE(tree.validate(doc).empty());
  doc["kids"][0]["kids"][0]["v"] = "x";
  auto errors = tree.validate(doc);
  ASSERT_FALSE(errors.empty());
  EXPECT_EQ(errors.front().pointer, "/kids/0/kids/0/v");
}

TEST(JsonSchemaRegex, BoundsValidationDepthWhateverTheSchema) {
  // 600 schemas, each applying the next to the same value: no loop, but deeper than the
  // bound, so validation stops with a violation instead of growing the stack.
  json defs = json::object();
  for (int i = 0; i < 600; ++i) {
    defs["d" + std::to_string(i)] = {
        {"allOf", json::array({{{"$ref", "#/definitions/d" + std::to_string(i + 1)}}})}};
  }
  defs["d600"] = {{"type", "integer"}};
  auto deep = compile_ok(json{{"definitions", defs}, {"$ref", "#/definitions/d0"}});
  auto errors = deep.validate(json(1));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors.front().reason.find("nests deeper than"), std::string::npos)
      << errors.front().reason;
  // The bound is per validation: the next one on this thread starts from zero.
  auto shallow = compile_ok(json::parse(R"({"allOf": [{"type": "integer"}]})"));
  EXPECT_TRUE(shallow.validate(json(1)).empty());
  EXPECT_FALSE(shallow.validate(json("x")).empty());
}

TEST(JsonSchemaRegex, CompilesTheDeepestSchemaTheSizeCapAllows) {
  // valijson's parser recurses per nested schema and per $ref followed: ~8000 levels here,
  // more stack than a server thread has (this crashed the process before compile() got a
  // thread of its own).
  json defs = json::object();
  json schema;
  for (int i = 0;; ++i) {
    json node = {{"$ref", "#/definitions/d" + std::to_string(i + 1)}};
    for (int level = 0; level < 28; ++level) node = json{{"not", node}};
    defs["d" + std::to_string(i)] = node;
    json next = {{"definitions", defs}, {"$ref", "#/definitions/d0"}};
    if (next.dump().size() > kMaxSchemaBytes - 64) break;
    schema = std::move(next);
  }
  const std::size_t last = schema["definitions"].size();
  schema["definitions"]["d" + std::to_string(last)] = json::object();
  ASSERT_GT(last * 28, 7000u);
  auto compiled = compile_ok(schema);
  auto errors = compiled.validate(json(1));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors.front().reason.find("nests deeper than"), std::string::npos);
}

// --- ECMAScript semantics on RE2 ---

TEST(JsonSchemaRegex, PatternsAreUnanchoredSearches) {
  EXPECT_TRUE(matches("b", "abc"));
  EXPECT_FALSE(matches("^b", "abc"));
  EXPECT_FALSE(matches("a$", "a\n"));  // ECMAScript's $ does not match before a final \n
}

TEST(JsonSchemaRegex, TranslatesEcmaScriptSyntax) {
  EXPECT_TRUE(matches(R"(^\u00e9$)", "\u00e9"));
  EXPECT_TRUE(matches(R"(^\u{1F600}$)", "\U0001F600"));
  EXPECT_TRUE(matches(R"(^\ud83d\ude00$)", "\U0001F600"));  // a UTF-16 surrogate pair
  EXPECT_TRUE(matches("^.$", "\u00e9"));                    // one code point, not one byte
  EXPECT_FALSE(matches("^.$", "\n"));
  EXPECT_FALSE(matches("^.$", "\r"));
  EXPECT_FALSE(matches("^.$", "\u2028"));
  EXPECT_TRUE(matches(R"(^\s+$)", " \t\v\f\u00a0\u2003\ufeff"));
  EXPECT_FALSE(matches(R"(^\S$)", "\u00a0"));
  EXPECT_TRUE(matches(R"(^[\s]$)", "\u3000"));
  EXPECT_FALSE(matches("[]", "anything"));
  EXPECT_TRUE(matches("^[^]$", "\n"));
  EXPECT_TRUE(matches("^[[]$", "["));
  EXPECT_TRUE(matches(R"(^[\b]$)", "\b"));
  EXPECT_TRUE(matches(R"(^\cJ$)", "\n"));
  EXPECT_TRUE(matches(R"(^\0$)", std::string(1, '\0')));
  EXPECT_TRUE(matches(R"(^a\/b$)", "a/b"));
  EXPECT_TRUE(matches(R"(^(?<year>\d{4})-\d\d$)", "2026-11"));
  EXPECT_TRUE(matches(R"(^\p{L}+$)", "\u00e9t\u00e9"));
  EXPECT_TRUE(matches(R"(^\w+\d\b)", "ab1 "));
  EXPECT_FALSE(matches(R"(^\d$)", "\u0663"));  // \d is ASCII, as in ECMAScript
}

TEST(JsonSchemaRegex, TranslationLeavesRe2SyntaxAlone) {
  EXPECT_EQ(translate_pattern("^[a-z0-9_-]{1,64}$"), "^[a-z0-9_-]{1,64}$");
  EXPECT_EQ(translate_pattern(R"(\d+\.\d+)"), R"(\d+\.\d+)");
  EXPECT_EQ(translate_pattern(R"(\u0041)"), R"(\x{41})");
  EXPECT_EQ(translate_pattern("a.b"), R"(a[^\n\r\x{2028}\x{2029}]b)");
  EXPECT_EQ(translate_pattern("[.]"), "[.]");
}

TEST(JsonSchemaRegex, ValidatesFromManyThreadsAtOnce) {
  const auto schema = compile_ok(json::parse(R"({
    "type": "object",
    "properties": {"id": {"type": "string", "pattern": "^evt_[0-9a-f]{8}$"}},
    "patternProperties": {"^x-": {"type": "string"}}})"));
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (std::size_t t = 0; t < failures.size(); ++t) {
    threads.emplace_back([&schema, &failures, t] {
      for (int i = 0; i < 200; ++i) {
        const bool ok = schema.validate(json{{"id", "evt_0123abcd"}, {"x-a", "b"}}).empty();
        const bool bad = !schema.validate(json{{"id", "evt_0123abcg"}}).empty() &&
                         !schema.validate(json{{"x-a", 1}}).empty();
        if (!ok || !bad) ++failures[t];
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int f : failures) EXPECT_EQ(f, 0);
}

}  // namespace
}  // namespace axon
