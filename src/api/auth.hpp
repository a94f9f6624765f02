// Who is calling: `Authorization: Bearer <token>` is either the admin token (compared as a
// SHA-256 hash in constant time) or a tenant API key ("axk_" + base64url of 32 random bytes,
// stored only as its SHA-256 hex). Then what they may touch:
//   - missing, malformed, unknown or revoked credential   -> 401 unauthorized
//   - tenant key on an admin-only route                    -> 403 forbidden
//   - tenant key on another tenant's path                  -> 404 not_found (no existence leak)
//   - admin on a tenant path whose tenant does not exist   -> 404 not_found
// Thread-safety: stateless functions; the Store is thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "api/api_context.hpp"
#include "api/expiring_cache.hpp"
#include "api/http_types.hpp"

namespace axon::api {

enum class AuthScope { anyone, admin, tenant };
std::string_view scope_name(AuthScope scope);  // "public", "admin", "tenant"

struct Principal {
  bool admin = false;
  std::string tenant_id;   // for a tenant key
  std::string api_key_id;  // for a tenant key
};

inline constexpr std::string_view kApiKeyPrefix = "axk_";

// A new tenant API key: "axk_" + base64url(32 random bytes).
std::string generate_api_key(Random& random);
std::string api_key_hash(std::string_view key);

// The token of `Authorization: Bearer <token>` (scheme case-insensitive, blanks trimmed).
std::optional<std::string_view> bearer_token(const ApiRequest& request);

// A tenant key verified within the last second is taken from `verified` (see
// api/request_caches.hpp for how a revoked key is forgotten).
Result<Principal> authenticate(const ApiContext& context,
                               ExpiringCache<std::string, Principal>& verified,
                               const ApiRequest& request);

// `path_tenant_id` is the {tid} of the route, if it has one.
Result<void> authorize(const ApiContext& context, const Principal& principal, AuthScope scope,
                       std::optional<std::string_view> path_tenant_id);

}  // namespace axon::api
