// The event-type catalogue as the API applies it: per-tenant catalogue settings, schema
// validation of event data (schemas compiled once per (tenant, type, version) and cached),
// and the subscription restriction for endpoints.
// Thread-safety: every function may run on many threads (the cache has its own lock).
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/expiring_cache.hpp"
#include "core/json_schema.hpp"
#include "core/result.hpp"
#include "store/store.hpp"

namespace axon::api {

// Stored as JSON under the store setting "tenant_settings:<tid>".
struct TenantSettings {
  bool require_catalogued_types = false;             // POST …/events of an unknown type: 422
  bool restrict_subscriptions_to_catalogue = false;  // endpoint event_types must be catalogued
};

Result<TenantSettings> load_tenant_settings(Store& store, std::string_view tenant_id);
Result<void> save_tenant_settings(Store& store, std::string_view tenant_id,
                                  const TenantSettings& settings);
nlohmann::json tenant_settings_json(const TenantSettings& settings);

// What the catalogue says about events of one type of a tenant, looked up once and applied
// to any number of events of that type (a batch looks each of its types up once).
struct EventTypeRule {
  std::string type;
  std::optional<std::string> refusal;       // why events of this type are refused (422)
  std::shared_ptr<const JsonSchema> schema;  // their data must match it; null: any data
};
Result<EventTypeRule> lookup_event_type_rule(Store& store, std::string_view tenant_id,
                                             std::string_view type);
// Rules by (tenant, type) for a short while (api/request_caches.hpp says how long and when
// they are forgotten); `steady_now` is monotonic milliseconds.
using EventTypeRuleCache = ExpiringCache<std::pair<std::string, std::string>, EventTypeRule>;
Result<EventTypeRule> cached_event_type_rule(EventTypeRuleCache& cache, Store& store,
                                             const std::string& tenant_id,
                                             const std::string& type, Millis steady_now);

// An event's data (minified JSON text, parsed only when a schema applies) against the rule:
// Errc::validation_failed naming the JSON pointer and reason when it breaks the schema.
Result<void> check_event_data(const EventTypeRule& rule, std::string_view data_json);

// When the tenant restricts subscriptions: every exact pattern must be catalogued and every
// wildcard must match at least one catalogued type; "all types" (nullopt) is refused.
Result<void> check_subscriptions(Store& store, std::string_view tenant_id,
                                 const std::optional<std::vector<std::string>>& patterns);

// Compiles a schema given in a request (422 when it cannot be compiled); returns its text.
Result<std::string> compile_schema_text(const nlohmann::json& schema);

}  // namespace axon::api
