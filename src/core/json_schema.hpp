// JsonSchema: a compiled JSON Schema (draft 7 semantics, via the header-only valijson) that
// validates event `data`. Compile once, validate many times.
//
// Supported: what valijson 1.0 implements for draft 7 (type, enum, const, properties,
// required, additionalProperties, patternProperties, items, contains, min/max*, multipleOf,
// pattern, allOf/anyOf/oneOf/not, if/then/else, dependencies, propertyNames, local $ref and
// definitions). Not supported: remote $ref (refused when compiling), `format` (ignored), and
// the draft 2019-09/2020-12-only keywords ($defs-only refs, unevaluated*, prefixItems,
// dependentRequired, …), which are ignored. See docs/catalogue-and-operational.md.
//
// Thread-safety: a compiled JsonSchema is immutable; validate() may run on many threads.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/result.hpp"

namespace valijson {
class Schema;
}

namespace axon {

struct SchemaViolation {
  std::string pointer;  // JSON pointer (RFC 6901) into the validated document; "" = the root
  std::string reason;
};

class JsonSchema {
 public:
  // Errc::invalid_request when `schema` is not a schema valijson can compile.
  static Result<JsonSchema> compile(const nlohmann::json& schema);

  // Every violation, most specific (deepest) first; empty when `document` is valid.
  std::vector<SchemaViolation> validate(const nlohmann::json& document) const;

 private:
  explicit JsonSchema(std::shared_ptr<const valijson::Schema> schema);
  std::shared_ptr<const valijson::Schema> schema_;
};

}  // namespace axon
