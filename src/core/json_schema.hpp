// JsonSchema: a compiled JSON Schema (draft 7 semantics, via the header-only valijson) that
// validates event `data`. Compile once, validate many times.
//
// Supported: what valijson 1.0 implements for draft 7 (type, enum, const, properties,
// required, additionalProperties, patternProperties, items, contains, min/max*, multipleOf,
// pattern, allOf/anyOf/oneOf/not, if/then/else, dependencies, propertyNames, local $ref and
// definitions; `format` date, time and date-time). Not supported: remote $ref (refused when
// compiling), other `format`s (ignored), and the draft 2019-09/2020-12-only keywords
// ($defs-only refs, unevaluated*, prefixItems, dependentRequired, …), which are ignored. See
// docs/catalogue-and-operational.md.
//
// Schemas come from tenants, so compiling bounds what validation may cost: the schema's size
// and nesting are capped, $ref loops are refused, every `pattern`/`patternProperties` regex
// is compiled up front on RE2 (core/schema_regex: linear time, no recursion), refusing what
// RE2 cannot run, and validation's recursion is bounded (vendor/valijson_re2_validation_visitor.hpp).
// compile() parses on a thread of its own with a large stack (valijson's parser recurses).
//
// Thread-safety: a compiled JsonSchema is immutable; validate() may run on many threads.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/result.hpp"

namespace valijson {
class Schema;
}

namespace axon {

class SchemaRegexes;

inline constexpr std::size_t kMaxSchemaBytes = 64 * 1024;  // as serialised (minified) JSON
inline constexpr int kMaxSchemaDepth = 32;                 // JSON nesting of the schema
inline constexpr std::size_t kMaxSchemaPatterns = 64;      // distinct regexes per schema

struct SchemaViolation {
  std::string pointer;  // JSON pointer (RFC 6901) into the validated document; "" = the root
  std::string reason;
};

class JsonSchema {
 public:
  // Errc::invalid_request when `schema` is not a schema valijson can compile, exceeds the
  // limits above, loops, or has a pattern RE2 refuses (the message says which and why);
  // Errc::unavailable when no thread can be started to compile it on.
  static Result<JsonSchema> compile(const nlohmann::json& schema);

  // Every violation, most specific (deepest) first; empty when `document` is valid.
  std::vector<SchemaViolation> validate(const nlohmann::json& document) const;

 private:
  JsonSchema(std::shared_ptr<const valijson::Schema> schema,
             std::shared_ptr<const SchemaRegexes> regexes);
  std::shared_ptr<const valijson::Schema> schema_;
  std::shared_ptr<const SchemaRegexes> regexes_;
};

}  // namespace axon
