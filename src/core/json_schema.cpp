#include "core/json_schema.hpp"

#define VALIJSON_USE_EXCEPTIONS 1
#include <nlohmann/json.hpp>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include <algorithm>
#include <exception>

namespace axon {
namespace {

// valijson's context is {"<root>", "[name]", "[0]", …}; a JSON pointer escapes ~ and /.
std::string to_pointer(const std::vector<std::string>& context) {
  std::string pointer;
  for (const auto& part : context) {
    if (part == "<root>") continue;
    std::string_view token = part;
    if (token.size() >= 2 && token.front() == '[' && token.back() == ']') {
      token = token.substr(1, token.size() - 2);
    }
    pointer += '/';
    for (char c : token) {
      if (c == '~') {
        pointer += "~0";
      } else if (c == '/') {
        pointer += "~1";
      } else {
        pointer += c;
      }
    }
  }
  return pointer;
}

}  // namespace

JsonSchema::JsonSchema(std::shared_ptr<const valijson::Schema> schema)
    : schema_(std::move(schema)) {}

Result<JsonSchema> JsonSchema::compile(const nlohmann::json& schema) {
  if (!schema.is_object() && !schema.is_boolean()) {
    return fail(Errc::invalid_request, "schema must be a JSON object (or a boolean)");
  }
  try {
    auto compiled = std::make_shared<valijson::Schema>();
    valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
    valijson::adapters::NlohmannJsonAdapter adapter(schema);
    // No fetchDoc: a remote $ref fails here instead of reaching the network.
    parser.populateSchema(adapter, *compiled);
    return JsonSchema(std::move(compiled));
  } catch (const std::exception& e) {
    return fail(Errc::invalid_request, std::string("schema cannot be compiled: ") + e.what());
  }
}

std::vector<SchemaViolation> JsonSchema::validate(const nlohmann::json& document) const {
  std::vector<SchemaViolation> out;
  try {
    valijson::Validator validator;  // per call: it caches regexes and is not thread-safe
    valijson::ValidationResults results;
    valijson::adapters::NlohmannJsonAdapter target(document);
    if (validator.validate(*schema_, target, &results)) return out;
    std::vector<std::pair<std::size_t, SchemaViolation>> errors;
    valijson::ValidationResults::Error error;
    while (results.popError(error)) {
      errors.emplace_back(error.context.size(),
                          SchemaViolation{to_pointer(error.context), error.description});
    }
    std::stable_sort(errors.begin(), errors.end(),
                     [](const auto& a, const auto& b) { return a.first > b.first; });
    for (auto& [depth, violation] : errors) out.push_back(std::move(violation));
    if (out.empty()) out.push_back({"", "the document does not match the schema"});
  } catch (const std::exception& e) {
    // e.g. a pattern std::regex cannot compile: the document cannot be shown valid.
    out.push_back({"", std::string("the schema could not be applied: ") + e.what()});
  }
  return out;
}

}  // namespace axon
