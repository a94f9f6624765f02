#include "core/json_text.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace axon {
namespace {

std::string minified(std::string_view text, int max_depth = 64) {
  auto r = minify_json(text, max_depth);
  EXPECT_TRUE(r) << text << ": " << r.error().message;
  return r ? *r : std::string();
}

Error refused(std::string_view text, int max_depth = 64) {
  auto r = minify_json(text, max_depth);
  EXPECT_FALSE(r) << text << " was accepted as " << *r;
  return r ? Error{} : r.error();
}

TEST(JsonText, DropsWhitespaceBetweenTokensOnly) {
  EXPECT_EQ(minified(" { \"a b\" : [ 1 ,\t2.5 ,\n\"x  y\" , null , true , false ] ,\r\"c\":{ } } "),
            R"({"a b":[1,2.5,"x  y",null,true,false],"c":{}})");
  EXPECT_EQ(minified("[ ]"), "[]");
  EXPECT_EQ(minified(" 42 "), "42");
}

TEST(JsonText, KeepsNumbersExactlyAsWritten) {
  for (std::string_view number :
       {"123456789012345678901234567890", "1e-400", "-0", "0.10", "1E+2", "-1.5e10",
        "18446744073709551616", "3.141592653589793238462643383279"}) {
    EXPECT_EQ(minified(number), number);
    EXPECT_EQ(minified(std::string("{\"n\": ") + std::string(number) + "}"),
              std::string("{\"n\":") + std::string(number) + "}");
  }
}

TEST(JsonText, RefusesMalformedNumbers) {
  for (std::string_view bad : {"01", "1.", ".5", "+1", "1e", "1e+", "-", "0x10", "NaN", "Infinity",
                               "-Infinity", "1.5.2"}) {
    EXPECT_EQ(refused(bad).code, Errc::invalid_json) << bad;
  }
}

TEST(JsonText, KeepsStringEscapesAsWritten) {
  EXPECT_EQ(minified(R"(["\u00e9", "\n\t\"\\\/", "\ud83d\ude00", "é ✓ 😀", "\u0000"])"),
            R"(["\u00e9","\n\t\"\\\/","\ud83d\ude00","é ✓ 😀","\u0000"])");
}

TEST(JsonText, RefusesBadStringsAndUtf8) {
  for (std::string_view bad : {
           "\"unterminated",
           "\"tab\tinside\"",          // raw control character
           R"("\x")",                  // unknown escape
           R"("\u12")",                // short \u
           R"("\ud83d")",              // lone high surrogate
           R"("\ude00")",              // lone low surrogate
           R"("\ud83d\u0041")",        // high surrogate then not a low one
           "\"\xC3\"",                 // truncated sequence
           "\"\xC0\xAF\"",             // overlong '/'
           "\"\xED\xA0\x80\"",         // encoded surrogate
           "\"\xF4\x90\x80\x80\"",     // above U+10FFFF
           "\"\xFF\"",
       }) {
    EXPECT_EQ(refused(bad).code, Errc::invalid_json) << bad;
  }
}

TEST(JsonText, RefusesWhatIsNotOneJsonValue) {
  for (std::string_view bad : {"", "   ", "{", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "{1:2}", "[1 2]",
                               "tru", "nul", "{} {}", "[1] x", "// c\n1", "'a'", "\xEF\xBB\xBF{}"}) {
    EXPECT_EQ(refused(bad).code, Errc::invalid_json) << bad;
  }
}

TEST(JsonText, RefusesDuplicateNamesAtAnyDepthNamingThem) {
  Error top = refused(R"({"x":1,"x":2})");
  EXPECT_EQ(top.code, Errc::invalid_json);
  EXPECT_NE(top.message.find("duplicate member name \"x\""), std::string::npos) << top.message;
  EXPECT_NE(top.message.find(" at $"), std::string::npos) << top.message;

  Error deep = refused(R"({"data":{"items":[{"ok":1},{"a":1,"b":2,"a":3}]}})");
  EXPECT_NE(deep.message.find("\"a\""), std::string::npos) << deep.message;
  EXPECT_NE(deep.message.find("$.data.items[1]"), std::string::npos) << deep.message;

  // The same name spelled with an escape is still the same name.
  EXPECT_EQ(refused(R"({"a":1,"\u0061":2})").code, Errc::invalid_json);
  // Equal names in different objects are fine, and so are many distinct ones.
  EXPECT_EQ(minified(R"({"a":{"a":{"a":1}},"b":[{"a":1},{"a":2}]})"),
            R"({"a":{"a":{"a":1}},"b":[{"a":1},{"a":2}]})");
  std::string many = "{";
  for (int i = 0; i < 500; ++i) many += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":1";
  EXPECT_EQ(minified(many + "}"), many + "}");
  EXPECT_EQ(refused(many + ",\"k250\":2}").code, Errc::invalid_json);
}

TEST(JsonText, DepthLimit) {
  auto nested = [](int n) { return std::string(n, '[') + std::string(n, ']'); };
  EXPECT_TRUE(minify_json(nested(64), 64));
  EXPECT_EQ(refused(nested(65), 64).code, Errc::validation_failed);
  EXPECT_EQ(refused(std::string(1'000'000, '['), 64).code, Errc::validation_failed);
  EXPECT_TRUE(minify_json("1", 0));
  EXPECT_EQ(refused("{}", 0).code, Errc::validation_failed);
}

TEST(JsonText, AgreesWithAFullParserOnValues) {
  std::string text = R"( {"a": [1, -2.5e3, "x\ny", {"b": null}], "c": true, "d": "\u00e9"} )";
  auto ours = minified(text);
  EXPECT_EQ(nlohmann::json::parse(ours), nlohmann::json::parse(text));
}

TEST(JsonText, ReadsMembersAndElementsOfMinifiedText) {
  std::string text = minified(R"({"type":"a.b","data":{"n":1e-400,"s":"}]\""},"l":[1,[2,3],{}],
                                   "e\u0073c":"v\u00e9"})");
  auto members = json_members(text);
  ASSERT_EQ(members.size(), 4u);
  EXPECT_EQ(members[0].name, "type");
  EXPECT_EQ(members[1].value, R"({"n":1e-400,"s":"}]\""})");
  EXPECT_EQ(members[3].name, "esc");
  EXPECT_EQ(json_member(text, "data"), members[1].value);
  EXPECT_EQ(json_member(text, "esc"), R"("v\u00e9")");
  EXPECT_EQ(json_string_value(*json_member(text, "esc")), "v\u00e9");
  EXPECT_FALSE(json_member(text, "missing"));
  auto list = json_elements(*json_member(text, "l"));
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[1], "[2,3]");
  EXPECT_EQ(list[2], "{}");
  EXPECT_TRUE(json_elements("[]").empty());
  EXPECT_TRUE(json_members("{}").empty());
  EXPECT_EQ(json_kind(members[0].value), JsonKind::string);
  EXPECT_EQ(json_kind(list[1]), JsonKind::array);
  EXPECT_EQ(json_kind("-1"), JsonKind::number);
  EXPECT_EQ(json_kind("false"), JsonKind::boolean);
  EXPECT_EQ(json_kind("null"), JsonKind::null);
  EXPECT_EQ(json_string_value(R"("\ud83d\ude00\t")"), "😀\t");
}

// Long strings are scanned eight bytes at a time: a special byte (quote, backslash, control
// character, non-ASCII) at every offset of a long run is still seen, and an escaped quote
// or a string ending in an escaped backslash ends where it should.
TEST(JsonText, LongStringsAreScannedAsCarefullyAsShortOnes) {
  const std::string run(37, 'x');
  for (std::size_t at = 0; at <= run.size(); ++at) {
    const std::string head = run.substr(0, at), tail = run.substr(at);
    EXPECT_EQ(minified("\"" + head + "\\\"" + tail + "\""), "\"" + head + "\\\"" + tail + "\"");
    EXPECT_EQ(minified("\"" + head + "é" + tail + "\""), "\"" + head + "é" + tail + "\"");
    EXPECT_EQ(refused("\"" + head + "\x01" + tail + "\"").code, Errc::invalid_json) << at;
    EXPECT_EQ(refused("\"" + head + "\xFF" + tail + "\"").code, Errc::invalid_json) << at;
    EXPECT_EQ(refused("\"" + head + "\"" + tail + "\"").code, Errc::invalid_json) << at;
  }
  const std::string text = minified(
      R"({"a":"xxxxxxxxxxxxxxxxxxxx\\","b":"yyyyyyyyyyyy\"yyyyyyyyyy\\\"","c":3})");
  EXPECT_EQ(json_member(text, "a"), R"("xxxxxxxxxxxxxxxxxxxx\\")");
  EXPECT_EQ(json_member(text, "b"), R"("yyyyyyyyyyyy\"yyyyyyyyyy\\\"")");
  EXPECT_EQ(json_member(text, "c"), "3");
}

}  // namespace
}  // namespace axon
