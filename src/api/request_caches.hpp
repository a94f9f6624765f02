// What nearly every request reads from the store and rarely changes, cached per server:
// verified tenant API keys (by the token's SHA-256) and the catalogue rule of each
// (tenant, event type), compiled JSON Schema included.
//
// Staleness bound: an entry lives at most kTtlMs (1 s). A key revoked, a tenant deleted or a
// catalogue changed through this server is forgotten at once (the handlers call forget_*
// after the store change); a change made through another node or the CLI is seen within 1 s.
// Only positive credential lookups are cached: an unknown or revoked key always reads the store.
//
// Thread-safety: every member may be used from any thread (ExpiringCache locks).
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "api/auth.hpp"
#include "api/catalogue.hpp"
#include "api/expiring_cache.hpp"

namespace axon::api {

struct RequestCaches {
  static constexpr Millis kTtlMs = 1000;
  static constexpr std::size_t kMaxEntries = 10'000;

  ExpiringCache<std::string, Principal> credentials{kTtlMs, kMaxEntries};
  EventTypeRuleCache event_types{kTtlMs, kMaxEntries};

  void forget_api_key(std::string_view key_id) {
    credentials.forget_if([&](const auto&, const Principal& p) { return p.api_key_id == key_id; });
  }
  void forget_catalogue(std::string_view tenant_id) {
    event_types.forget_if([&](const auto& key, const auto&) { return key.first == tenant_id; });
  }
  void forget_tenant(std::string_view tenant_id) {
    credentials.forget_if([&](const auto&, const Principal& p) { return p.tenant_id == tenant_id; });
    forget_catalogue(tenant_id);
  }
};

}  // namespace axon::api
