#include "api/catalogue.hpp"

#include <map>
#include <memory>
#include <mutex>
#include <tuple>

#include "api/json_codec.hpp"
#include "core/json_schema.hpp"
#include "core/subscription.hpp"

namespace axon::api {
namespace {

constexpr std::size_t kMaxCachedSchemas = 4096;
constexpr std::size_t kMaxReportedViolations = 10;

std::string settings_key(std::string_view tenant_id) {
  return "tenant_settings:" + std::string(tenant_id);
}

// Compiled schemas keyed by (tenant, type, version): a schema change bumps the version, so
// a stale entry is never used (and is dropped when the cache is full).
class SchemaCache {
 public:
  Result<std::shared_ptr<const JsonSchema>> get(const EventType& type) {
    auto key = std::make_tuple(type.tenant_id, type.name, type.version);
    {
      std::lock_guard lock(mu_);
      if (auto it = cache_.find(key); it != cache_.end()) return it->second;
    }
    auto parsed = nlohmann::json::parse(type.schema.value_or("true"), nullptr, false);
    if (parsed.is_discarded()) return fail(Errc::internal, "stored schema is not JSON");
    auto compiled = JsonSchema::compile(parsed);
    // A schema stored before a stricter compile rule (e.g. lookaround, which the linear-time
    // regex engine refuses) is the tenant's to fix: answer 422, never 5xx.
    if (!compiled) {
      return fail(Errc::validation_failed, "the schema of event type '" + type.name +
                                               "' can no longer be used (" +
                                               compiled.error().message +
                                               "); update the event type's schema");
    }
    auto shared = std::make_shared<const JsonSchema>(std::move(*compiled));
    std::lock_guard lock(mu_);
    if (cache_.size() >= kMaxCachedSchemas) cache_.clear();
    cache_.emplace(std::move(key), shared);
    return shared;
  }

 private:
  std::mutex mu_;
  std::map<std::tuple<std::string, std::string, int>, std::shared_ptr<const JsonSchema>> cache_;
};

SchemaCache& schema_cache() {
  static SchemaCache cache;
  return cache;
}

// Every catalogued name of the tenant (catalogues are small: names only, paged through).
Result<std::vector<std::string>> catalogued_names(Store& store, std::string_view tenant_id) {
  std::vector<std::string> names;
  PageRequest page{.limit = 1000, .after = std::nullopt};
  for (;;) {
    auto batch = store.list_event_types(tenant_id, page);
    if (!batch) return std::unexpected(batch.error());
    for (auto& type : batch->items) names.push_back(std::move(type.name));
    if (!batch->next) break;
    page.after = batch->next;
  }
  return names;
}

}  // namespace

Result<TenantSettings> load_tenant_settings(Store& store, std::string_view tenant_id) {
  auto stored = store.get_setting(settings_key(tenant_id));
  if (!stored) return std::unexpected(stored.error());
  TenantSettings settings;
  if (!*stored) return settings;
  auto parsed = nlohmann::json::parse(**stored, nullptr, false);
  if (parsed.is_object()) {
    settings.require_catalogued_types = parsed.value("require_catalogued_types", false);
    settings.restrict_subscriptions_to_catalogue =
        parsed.value("restrict_subscriptions_to_catalogue", false);
  }
  return settings;
}

Result<void> save_tenant_settings(Store& store, std::string_view tenant_id,
                                  const TenantSettings& settings) {
  return store.put_setting(settings_key(tenant_id), tenant_settings_json(settings).dump());
}

nlohmann::json tenant_settings_json(const TenantSettings& settings) {
  return {{"require_catalogued_types", settings.require_catalogued_types},
          {"restrict_subscriptions_to_catalogue", settings.restrict_subscriptions_to_catalogue}};
}

Result<EventTypeRule> lookup_event_type_rule(Store& store, std::string_view tenant_id,
                                             std::string_view type) {
  EventTypeRule rule;
  rule.type = std::string(type);
  auto found = store.get_event_type(tenant_id, type);
  if (!found) {
    if (found.error().code != Errc::not_found) return std::unexpected(found.error());
    auto settings = load_tenant_settings(store, tenant_id);
    if (!settings) return std::unexpected(settings.error());
    if (settings->require_catalogued_types) {
      rule.refusal = "type '" + rule.type + "' is not in the tenant's event-type catalogue";
    }
    return rule;
  }
  if (!found->schema) return rule;
  auto schema = schema_cache().get(*found);
  if (!schema) {
    if (schema.error().code != Errc::validation_failed) return std::unexpected(schema.error());
    rule.refusal = schema.error().message;
    return rule;
  }
  rule.schema = std::move(*schema);
  return rule;
}

Result<EventTypeRule> cached_event_type_rule(EventTypeRuleCache& cache, Store& store,
                                             const std::string& tenant_id,
                                             const std::string& type, Millis steady_now) {
  auto key = std::make_pair(tenant_id, type);
  if (auto cached = cache.get(key, steady_now)) return std::move(*cached);
  const auto generation = cache.generation();
  auto rule = lookup_event_type_rule(store, tenant_id, type);
  if (rule) cache.put(std::move(key), *rule, steady_now, generation);
  return rule;
}

Result<void> check_event_data(const EventTypeRule& rule, std::string_view data_json) {
  if (rule.refusal) return fail(Errc::validation_failed, *rule.refusal);
  if (!rule.schema) return {};
  auto data = nlohmann::json::parse(data_json, nullptr, /*allow_exceptions=*/false);
  if (data.is_discarded()) {  // valid JSON the checker cannot hold: a number beyond a double
    return fail(Errc::validation_failed, "data holds a number too large to check against the "
                                         "schema of '" + rule.type + "'");
  }
  auto violations = rule.schema->validate(data);
  if (violations.empty()) return {};
  const auto& first = violations.front();
  std::string message = "data does not match the schema of '" + rule.type + "' at '" +
                        first.pointer + "': " + first.reason;
  if (violations.size() > 1) {
    message += " (" + std::to_string(violations.size() - 1) + " more:";
    for (std::size_t i = 1; i < violations.size() && i < kMaxReportedViolations; ++i) {
      message += " '" + violations[i].pointer + "': " + violations[i].reason + ";";
    }
    message += ")";
  }
  return fail(Errc::validation_failed, std::move(message));
}

Result<void> check_subscriptions(Store& store, std::string_view tenant_id,
                                 const std::optional<std::vector<std::string>>& patterns) {
  auto settings = load_tenant_settings(store, tenant_id);
  if (!settings) return std::unexpected(settings.error());
  if (!settings->restrict_subscriptions_to_catalogue) return {};
  if (!patterns) {
    return fail(Errc::validation_failed,
                "this tenant restricts subscriptions to its catalogue: event_types must list "
                "catalogued types");
  }
  auto names = catalogued_names(store, tenant_id);
  if (!names) return std::unexpected(names.error());
  for (const auto& pattern : *patterns) {
    bool matched = false;
    for (const auto& name : *names) matched = matched || pattern_matches(pattern, name);
    if (!matched) {
      return fail(Errc::validation_failed, "event_types: '" + pattern +
                                               "' matches no type of the tenant's catalogue");
    }
  }
  return {};
}

Result<std::string> compile_schema_text(const nlohmann::json& schema) {
  auto compiled = JsonSchema::compile(schema);
  if (!compiled) return fail(Errc::validation_failed, compiled.error().message);
  return dump_json(schema);
}

}  // namespace axon::api
