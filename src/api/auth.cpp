#include "api/auth.hpp"

#include "core/encoding.hpp"

namespace axon::api {

std::optional<std::string_view> bearer_token(const ApiRequest& request) {
  auto header = request.header("Authorization");
  if (!header) return std::nullopt;
  std::string_view value = *header;
  constexpr std::string_view kScheme = "bearer";
  if (value.size() <= kScheme.size() || !iequals(value.substr(0, kScheme.size()), kScheme) ||
      (value[kScheme.size()] != ' ' && value[kScheme.size()] != '\t')) {
    return std::nullopt;
  }
  value.remove_prefix(kScheme.size());
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  return value;
}

std::string_view scope_name(AuthScope scope) {
  switch (scope) {
    case AuthScope::anyone:
      return "public";
    case AuthScope::admin:
      return "admin";
    case AuthScope::tenant:
      return "tenant";
  }
  return "admin";
}

std::string generate_api_key(Random& random) {
  return std::string(kApiKeyPrefix) + base64url_encode(random.bytes(32));
}

std::string api_key_hash(std::string_view key) { return sha256_hex(key); }

Result<Principal> authenticate(const ApiContext& context,
                               ExpiringCache<std::string, Principal>& verified,
                               const ApiRequest& request) {
  auto token = bearer_token(request);
  if (!token) {
    return fail(Errc::unauthorized, "missing credential: send Authorization: Bearer <token>");
  }
  const std::string hash =
      request.credential_hash.empty() ? sha256_hex(*token) : request.credential_hash;
  if (!context.admin_token_hash.empty() && constant_time_equal(hash, context.admin_token_hash)) {
    Principal admin;
    admin.admin = true;
    return admin;
  }
  if (!token->starts_with(kApiKeyPrefix)) {
    return fail(Errc::unauthorized, "invalid credential");
  }
  const Millis now = context.clock.steady_ms();
  if (auto known = verified.get(hash, now)) return std::move(*known);
  const auto generation = verified.generation();
  auto key = context.store.find_api_key_by_hash(hash);
  if (!key) {
    if (key.error().code == Errc::not_found) {
      return fail(Errc::unauthorized, "invalid credential");
    }
    return std::unexpected(key.error());
  }
  // The store looked the hash up by equality; compare again in constant time anyway.
  if (!constant_time_equal(key->key_hash, hash)) {
    return fail(Errc::unauthorized, "invalid credential");
  }
  if (key->revoked_at) return fail(Errc::unauthorized, "this API key has been revoked");
  Principal principal{.admin = false, .tenant_id = key->tenant_id, .api_key_id = key->id};
  verified.put(hash, principal, now, generation);
  return principal;
}

Result<void> authorize(const ApiContext& context, const Principal& principal, AuthScope scope,
                       std::optional<std::string_view> path_tenant_id) {
  switch (scope) {
    case AuthScope::anyone:
      return {};
    case AuthScope::admin:
      if (!principal.admin) {
        return fail(Errc::forbidden, "this call needs the admin token, not a tenant API key");
      }
      return {};
    case AuthScope::tenant:
      break;
  }
  if (!path_tenant_id) return fail(Errc::internal, "tenant route without {tid}");
  if (principal.admin) {
    auto tenant = context.store.get_tenant(*path_tenant_id);
    if (!tenant) {
      if (tenant.error().code == Errc::not_found) return fail(Errc::not_found, "no such tenant");
      return std::unexpected(tenant.error());
    }
    return {};
  }
  if (principal.tenant_id != *path_tenant_id) return fail(Errc::not_found, "no such tenant");
  return {};
}

}  // namespace axon::api
