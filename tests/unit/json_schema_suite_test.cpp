// The validator wrapper (core/json_schema) against the official JSON-Schema-Test-Suite
// (Debian package json-schema-test-suite, installed by scripts/deps.sh test), draft 7, plus
// the wrapper's own error reporting.
//
// Skip-list: groups/cases valijson 1.0 does not support, each with the reason. Anything not
// on it must pass; a case that starts passing should be taken off the list.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/json_schema.hpp"

namespace axon {
namespace {

namespace fs = std::filesystem;

const fs::path kSuiteDir = "/usr/share/json-schema-test-suite/tests/draft7";

// Whole files that need features we deliberately do not offer.
const std::set<std::string> kSkippedFiles = {
    "refRemote.json",  // remote $ref: schemas never fetch documents (no network from the API)
};

// "file / group description" -> why it is skipped.
const std::map<std::string, std::string> kSkippedGroups = {
#include "json_schema_suite_skips.inc"
};

std::vector<std::string> suite_files() {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(kSuiteDir, ec)) {
    if (entry.is_regular_file() && entry.path().extension() == ".json") {
      files.push_back(entry.path().filename().string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

class JsonSchemaSuite : public ::testing::TestWithParam<std::string> {};

TEST_P(JsonSchemaSuite, Draft7) {
  const std::string file = GetParam();
  if (kSkippedFiles.count(file)) GTEST_SKIP() << file << " is on the skip-list";
  std::ifstream in(kSuiteDir / file);
  ASSERT_TRUE(in) << "cannot read " << file;
  const auto groups = nlohmann::json::parse(in);
  int checked = 0;
  for (const auto& group : groups) {
    const std::string key = file + " / " + group.at("description").get<std::string>();
    if (kSkippedGroups.count(key)) continue;
    auto schema = JsonSchema::compile(group.at("schema"));
    ASSERT_TRUE(schema.has_value()) << key << ": " << schema.error().message;
    for (const auto& test : group.at("tests")) {
      const bool expected = test.at("valid").get<bool>();
      const bool valid = schema->validate(test.at("data")).empty();
      EXPECT_EQ(valid, expected) << key << " / " << test.at("description").get<std::string>();
      ++checked;
    }
  }
  RecordProperty("cases", checked);
}

std::string file_test_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = info.param.substr(0, info.param.size() - 5);
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Official, JsonSchemaSuite, ::testing::ValuesIn(suite_files()),
                         file_test_name);

TEST(JsonSchemaSuiteInstalled, HasDraft7Files) {
  EXPECT_GE(suite_files().size(), 30u) << "install json-schema-test-suite (scripts/deps.sh test)";
}

// --- the wrapper's own reporting ---

TEST(JsonSchema, ReportsTheFailingPointerDeepestFirst) {
  auto schema = JsonSchema::compile(nlohmann::json::parse(R"({
    "type": "object",
    "required": ["order"],
    "properties": {"order": {"type": "object", "properties": {
      "items": {"type": "array", "items": {"type": "object", "properties": {
        "qty": {"type": "integer", "minimum": 1}}}}}}}})"));
  ASSERT_TRUE(schema.has_value());
  EXPECT_TRUE(schema->validate(nlohmann::json::parse(R"({"order":{"items":[{"qty":2}]}})")).empty());
  auto errors = schema->validate(nlohmann::json::parse(R"({"order":{"items":[{"qty":2},{"qty":0}]}})"));
  ASSERT_FALSE(errors.empty());
  EXPECT_EQ(errors.front().pointer, "/order/items/1/qty");
  EXPECT_NE(errors.front().reason.find("1"), std::string::npos) << errors.front().reason;
  auto missing = schema->validate(nlohmann::json::object());
  ASSERT_FALSE(missing.empty());
  EXPECT_EQ(missing.front().pointer, "");
  EXPECT_NE(missing.front().reason.find("order"), std::string::npos) << missing.front().reason;
}

TEST(JsonSchema, EscapesPointerTokens) {
  auto schema = JsonSchema::compile(
      nlohmann::json::parse(R"({"properties": {"a/b~c": {"type": "string"}}})"));
  ASSERT_TRUE(schema.has_value());
  auto errors = schema->validate(nlohmann::json::parse(R"({"a/b~c": 1})"));
  ASSERT_FALSE(errors.empty());
  EXPECT_EQ(errors.front().pointer, "/a~1b~0c");
}

TEST(JsonSchema, RefusesWhatCannotBeCompiled) {
  EXPECT_FALSE(JsonSchema::compile(nlohmann::json(42)).has_value());
  EXPECT_FALSE(JsonSchema::compile(nlohmann::json::parse(R"({"type": 7})")).has_value());
  EXPECT_FALSE(
      JsonSchema::compile(nlohmann::json::parse(R"({"$ref": "http://127.0.0.1:1/s.json"})"))
          .has_value());
}

}  // namespace
}  // namespace axon
