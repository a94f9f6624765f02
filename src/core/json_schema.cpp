#include "core/json_schema.hpp"

#define VALIJSON_USE_EXCEPTIONS 1
#include <nlohmann/json.hpp>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>

#include <pthread.h>

#include <algorithm>
#include <cctype>
#include <exception>
#include <functional>
#include <unordered_map>
#include <unordered_set>

#include "core/json_limits.hpp"
#include "vendor/valijson_re2_validation_visitor.hpp"
#include "core/schema_regex.hpp"

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

// The node a "$ref" names in this document, resolved as valijson resolves it (the part after
// '#', trailing '/' trimmed, RFC 6901 ~1 ~0, then %-decoding); nullptr when it names nothing.
// A reference with a document part is another document (refused by the parser) unless an
// $id makes it this one: then it is followed too, to be safe.
const nlohmann::json* ref_target(const nlohmann::json& root, const std::string& ref,
                                 bool has_ids) {
  const std::size_t hash = ref.find('#');
  if (hash != 0 && !has_ids) return nullptr;
  std::string pointer = hash == std::string::npos ? "" : ref.substr(hash + 1);
  pointer.erase(pointer.find_last_not_of('/') + 1);
  if (!pointer.empty() && pointer.front() != '/') return nullptr;
  const nlohmann::json* node = &root;
  std::size_t pos = 0;
  while (pos < pointer.size()) {
    const std::size_t end = std::min(pointer.find('/', pos + 1), pointer.size());
    std::string token = pointer.substr(pos + 1, end - pos - 1);
    pos = end;
    std::string decoded;
    for (std::size_t i = 0; i < token.size(); ++i) {
      if (token.compare(i, 2, "~1") == 0 || token.compare(i, 2, "~0") == 0) {
        decoded += token[i + 1] == '1' ? '/' : '~';
        ++i;
      } else if (token[i] == '%' && i + 2 < token.size() &&
                 std::isxdigit(static_cast<unsigned char>(token[i + 1])) &&
                 std::isxdigit(static_cast<unsigned char>(token[i + 2]))) {
        decoded += static_cast<char>(std::stoi(token.substr(i + 1, 2), nullptr, 16));
        i += 2;
      } else {
        decoded += token[i];
      }
    }
    if (node->is_object()) {
      auto it = node->find(decoded);
      if (it == node->end()) return nullptr;
      node = &*it;
    } else if (node->is_array() && !decoded.empty() &&
               decoded.find_first_not_of("0123456789") == std::string::npos &&
               decoded.size() < 10 && std::stoul(decoded) < node->size()) {
      node = &(*node)[std::stoul(decoded)];
    } else {
      return nullptr;
    }
  }
  return node;
}

const std::string* ref_of(const nlohmann::json& node) {
  if (!node.is_object()) return nullptr;
  auto it = node.find("$ref");
  return it != node.end() && it->is_string() ? it->get_ptr<const std::string*>() : nullptr;
}

// valijson follows a chain of "$ref"s recursively until it reaches a schema that is not a
// "$ref", so a chain that loops ({"$ref": "#"}, a -> b -> a) overflows the stack while
// parsing. Refuse such chains first. Every node is followed at most once over all chains.
Result<void> check_ref_chains(const nlohmann::json& root) {
  bool has_ids = false;
  for (std::vector<const nlohmann::json*> pending{&root}; !pending.empty();) {
    const nlohmann::json* node = pending.back();
    pending.pop_back();
    if (node->is_object() && node->contains("$id")) has_ids = true;
    if (node->is_structured()) {
      for (const auto& child : *node) pending.push_back(&child);
    }
  }
  std::unordered_set<const nlohmann::json*> done;
  std::vector<const nlohmann::json*> pending{&root};
  while (!pending.empty()) {
    const nlohmann::json* node = pending.back();
    pending.pop_back();
    if (node->is_structured()) {
      for (const auto& child : *node) pending.push_back(&child);
    }
    std::unordered_set<const nlohmann::json*> chain;
    for (const nlohmann::json* at = node; ref_of(*at) && !done.count(at);) {
      if (!chain.insert(at).second) {
        return fail(Errc::invalid_request, "schema cannot be compiled: \"$ref\": \"" +
                                               *ref_of(*at) +
                                               "\" is part of a loop of references that never "
                                               "reaches a schema");
      }
      at = ref_target(root, *ref_of(*at), has_ids);
      if (at == nullptr) break;
    }
    done.insert(chain.begin(), chain.end());
  }
  return {};
}

using valijson::Subschema;
namespace vc = valijson::constraints;

// Walks the compiled schema (what validation will really visit, $ref targets included):
// compiles every regex of `pattern` and `patternProperties` on RE2, and refuses a loop of
// subschemas that apply to the same value (allOf/anyOf/oneOf/not/if/then/else/dependencies
// reached again through a $ref), which validation would follow for ever. Stops at the first
// error.
class SchemaInspector : public vc::ConstraintVisitor {
 public:
  explicit SchemaInspector(SchemaRegexes& regexes) : regexes_(regexes) {}

  Result<void> inspect(const Subschema* root) {
    walk(root);
    if (result_ && loops_on_same_value()) {
      result_ = fail(Errc::invalid_request,
                     "a $ref loops back to an enclosing schema that applies to the same value "
                     "(through allOf/anyOf/oneOf/not/if/then/else/dependencies), so validation "
                     "would never end");
    }
    return std::move(result_);
  }

 private:
  void walk(const Subschema* subschema) {
    if (subschema == nullptr || !result_ || !seen_.insert(subschema).second) return;
    const Subschema* parent = current_;
    current_ = subschema;
    Subschema::ApplyFunction visit_each = [this](const vc::Constraint& c) {
      c.accept(*this);
      return static_cast<bool>(result_);
    };
    subschema->apply(visit_each);
    current_ = parent;
  }
  // A child schema applied to the value itself / to a part of it (an item, a property...).
  void same_value(const Subschema* child) {
    if (child == nullptr) return;
    same_value_children_[current_].push_back(child);
    walk(child);
  }
  void part_of_value(const Subschema* child) { walk(child); }

  // Iterative depth-first search for a cycle of same_value edges.
  bool loops_on_same_value() const {
    enum class Mark { open, closed };
    std::unordered_map<const Subschema*, Mark> marks;
    for (const auto& [start, unused] : same_value_children_) {
      if (marks.count(start)) continue;
      std::vector<std::pair<const Subschema*, std::size_t>> stack{{start, 0}};
      marks[start] = Mark::open;
      while (!stack.empty()) {
        auto& [node, next] = stack.back();
        auto it = same_value_children_.find(node);
        if (it == same_value_children_.end() || next == it->second.size()) {
          marks[node] = Mark::closed;
          stack.pop_back();
          continue;
        }
        const Subschema* child = it->second[next++];
        auto mark = marks.find(child);
        if (mark == marks.end()) {
          marks[child] = Mark::open;
          stack.emplace_back(child, 0);
        } else if (mark->second == Mark::open) {
          return true;
        }
      }
    }
    return false;
  }

  void add(const std::string& pattern) {
    if (!result_) return;
    result_ = regexes_.add(pattern);
    if (result_ && regexes_.size() > kMaxSchemaPatterns) {
      result_ =
          fail(Errc::invalid_request,
               "schema has more than " + std::to_string(kMaxSchemaPatterns) + " distinct patterns");
    }
  }

  template <typename Indexed>
  void same_value_all(const Indexed& constraint) {
    constraint.applyToSubschemas([this](auto, const Subschema* child) {
      same_value(child);
      return true;
    });
  }

  bool visit(const vc::AllOfConstraint& c) override { return same_value_all(c), true; }
  bool visit(const vc::AnyOfConstraint& c) override { return same_value_all(c), true; }
  bool visit(const vc::OneOfConstraint& c) override { return same_value_all(c), true; }
  bool visit(const vc::ConditionalConstraint& c) override {
    same_value(c.getIfSubschema());
    same_value(c.getThenSubschema());
    same_value(c.getElseSubschema());
    return true;
  }
  bool visit(const vc::NotConstraint& c) override { return same_value(c.getSubschema()), true; }
  bool visit(const vc::DependenciesConstraint& c) override {
    c.applyToSchemaDependencies([this](const auto&, const Subschema* child) {
      same_value(child);
      return true;
    });
    return true;
  }
  bool visit(const vc::TypeConstraint& c) override {  // draft 3 schema types
    c.applyToSchemaTypes([this](auto, const Subschema* child) {
      same_value(child);
      return true;
    });
    return true;
  }
  bool visit(const vc::ContainsConstraint& c) override {
    return part_of_value(c.getSubschema()), true;
  }
  bool visit(const vc::PropertyNamesConstraint& c) override {
    return part_of_value(c.getSubschema()), true;
  }
  bool visit(const vc::SingularItemsConstraint& c) override {
    return part_of_value(c.getItemsSubschema()), true;
  }
  bool visit(const vc::LinearItemsConstraint& c) override {
    c.applyToItemSubschemas([this](auto, const Subschema* child) {
      part_of_value(child);
      return true;
    });
    part_of_value(c.getAdditionalItemsSubschema());
    return true;
  }
  bool visit(const vc::PropertiesConstraint& c) override {
    c.applyToProperties([this](const auto&, const Subschema* child) {
      part_of_value(child);
      return true;
    });
    c.applyToPatternProperties([this](const auto& pattern, const Subschema* child) {
      add(std::string(pattern.c_str()));
      part_of_value(child);
      return static_cast<bool>(result_);
    });
    part_of_value(c.getAdditionalPropertiesSubschema());
    return true;
  }
  bool visit(const vc::PatternConstraint& c) override {
    add(c.getPattern<std::string::allocator_type>());
    return true;
  }
  // No regex and no child schema in the others.
  bool visit(const vc::ConstConstraint&) override { return true; }
  bool visit(const vc::EnumConstraint&) override { return true; }
  bool visit(const vc::FormatConstraint&) override { return true; }
  bool visit(const vc::MaximumConstraint&) override { return true; }
  bool visit(const vc::MaxItemsConstraint&) override { return true; }
  bool visit(const vc::MaxLengthConstraint&) override { return true; }
  bool visit(const vc::MaxPropertiesConstraint&) override { return true; }
  bool visit(const vc::MinimumConstraint&) override { return true; }
  bool visit(const vc::MinItemsConstraint&) override { return true; }
  bool visit(const vc::MinLengthConstraint&) override { return true; }
  bool visit(const vc::MinPropertiesConstraint&) override { return true; }
  bool visit(const vc::MultipleOfDoubleConstraint&) override { return true; }
  bool visit(const vc::MultipleOfIntConstraint&) override { return true; }
  bool visit(const vc::PolyConstraint&) override { return true; }
  bool visit(const vc::RequiredConstraint&) override { return true; }
  bool visit(const vc::UniqueItemsConstraint&) override { return true; }

  SchemaRegexes& regexes_;
  std::unordered_set<const Subschema*> seen_;  // $ref cycles reach a subschema again
  const Subschema* current_ = nullptr;
  std::unordered_map<const Subschema*, std::vector<const Subschema*>> same_value_children_;
  Result<void> result_;
};

// valijson parses recursively, one level per nested schema *and* per $ref followed: a 64 kB
// schema can nest ~8000 levels (chains of {"not": ...} through $refs), ~16 MB of stack,
// more than a server thread has. So compile on a thread of our own with room for the worst
// the size cap allows (reserved address space; only the pages used are backed).
#if defined(__SANITIZE_ADDRESS__)
// AddressSanitizer builds (make asan) use several times the stack per frame (redzones, no
// inlining); reserving more is only address space.
constexpr std::size_t kCompileStackBytes = std::size_t{1024} << 20;
#else
constexpr std::size_t kCompileStackBytes = std::size_t{128} << 20;
#endif

Result<void> run_with_stack(std::size_t stack_bytes, std::function<void()> work) {
  pthread_attr_t attr;
  if (pthread_attr_init(&attr) != 0) return fail(Errc::unavailable, "cannot compile now");
  pthread_attr_setstacksize(&attr, stack_bytes);
  pthread_t thread;
  auto trampoline = [](void* arg) -> void* {
    (*static_cast<std::function<void()>*>(arg))();
    return nullptr;
  };
  const int created = pthread_create(&thread, &attr, trampoline, &work);
  pthread_attr_destroy(&attr);
  if (created != 0) {
    return fail(Errc::unavailable, "cannot start a thread to compile the schema; retry later");
  }
  pthread_join(thread, nullptr);
  return {};
}

}  // namespace

JsonSchema::JsonSchema(std::shared_ptr<const valijson::Schema> schema,
                       std::shared_ptr<const SchemaRegexes> regexes)
    : schema_(std::move(schema)), regexes_(std::move(regexes)) {}

Result<JsonSchema> JsonSchema::compile(const nlohmann::json& schema) {
  if (!schema.is_object() && !schema.is_boolean()) {
    return fail(Errc::invalid_request, "schema must be a JSON object (or a boolean)");
  }
  // Checked before valijson parses (recursively) what a tenant uploaded.
  if (!json_depth_within(schema, kMaxSchemaDepth)) {
    return fail(Errc::invalid_request,
                "schema nests deeper than " + std::to_string(kMaxSchemaDepth) + " levels");
  }
  if (const std::size_t bytes = schema.dump().size(); bytes > kMaxSchemaBytes) {
    return fail(Errc::invalid_request, "schema is " + std::to_string(bytes) +
                                           " bytes, more than the limit of " +
                                           std::to_string(kMaxSchemaBytes));
  }
  if (auto refs = check_ref_chains(schema); !refs) return std::unexpected(refs.error());
  Result<JsonSchema> result = fail(Errc::internal, "schema compilation did not run");
  auto parse = [&] {
    try {
      auto compiled = std::make_shared<valijson::Schema>();
      valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
      valijson::adapters::NlohmannJsonAdapter adapter(schema);
      // No fetchDoc: a remote $ref fails here instead of reaching the network.
      parser.populateSchema(adapter, *compiled);
      auto regexes = std::make_shared<SchemaRegexes>();
      if (auto inspected = SchemaInspector(*regexes).inspect(compiled.get()); !inspected) {
        result =
            fail(Errc::invalid_request, "schema cannot be compiled: " + inspected.error().message);
        return;
      }
      result = JsonSchema(std::move(compiled), std::move(regexes));
    } catch (const std::exception& e) {
      result = fail(Errc::invalid_request, std::string("schema cannot be compiled: ") + e.what());
    } catch (...) {  // nothing may escape a thread's start routine
      result = fail(Errc::internal, "schema compilation failed");
    }
  };
  if (auto ran = run_with_stack(kCompileStackBytes, parse); !ran) {
    return std::unexpected(ran.error());
  }
  return result;
}

std::vector<SchemaViolation> JsonSchema::validate(const nlohmann::json& document) const {
  std::vector<SchemaViolation> out;
  try {
    // What valijson::Validator::validate does, with the RE2 visitor (strict types).
    valijson::ValidationResults results;
    valijson::adapters::NlohmannJsonAdapter target(document);
    valijson::axon_re2::ValidationVisitor<valijson::adapters::NlohmannJsonAdapter> visitor(
        target, std::vector<std::string>(1, "<root>"), true, &results, *regexes_);
    if (visitor.validateSchema(*schema_)) return out;
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
    // e.g. a value valijson cannot handle: the document cannot be shown valid.
    out.push_back({"", std::string("the schema could not be applied: ") + e.what()});
  }
  return out;
}

}  // namespace axon
