#include "store/store.hpp"

namespace axon {

Error endpoint_limit_error(int max_per_tenant) {
  return Error{Errc::limit_exceeded,
               "this tenant already has the maximum of " + std::to_string(max_per_tenant) +
                   " endpoints; delete one first, or ask the operator to raise "
                   "--max-endpoints-per-tenant"};
}

void apply_patch(Endpoint& e, const EndpointPatch& patch, Millis now) {
  if (patch.url) e.url = *patch.url;
  if (patch.description) e.description = *patch.description;
  if (patch.event_types) e.event_types = *patch.event_types;
  if (patch.headers) e.headers = *patch.headers;
  if (patch.max_in_flight) e.max_in_flight = *patch.max_in_flight;
  if (patch.rate_limit) e.rate_limit = *patch.rate_limit;
  if (patch.ordering) e.ordering = *patch.ordering;
  if (patch.tls_client_certificate) e.tls_client_certificate = *patch.tls_client_certificate;
  if (patch.tls_client_key_sealed) e.tls_client_key_sealed = *patch.tls_client_key_sealed;
  if (patch.disabled_reason) e.disabled_reason = *patch.disabled_reason;
  if (patch.disabled) {
    e.disabled = *patch.disabled;
    if (!e.disabled) {  // re-enabling starts afresh: no reason, no failure streak
      e.disabled_reason.clear();
      e.failing_since.reset();
    }
  }
  e.updated_at = now;
}

Result<SealedEndpointValues> reseal_values(
    const SealedEndpointValues& values,
    const std::function<Result<std::string>(std::string_view sealed)>& reseal) {
  SealedEndpointValues out;
  auto current = reseal(values.current);
  if (!current) return std::unexpected(current.error());
  out.current = std::move(*current);
  for (auto [from, to] : {std::pair{&values.previous, &out.previous},
                          std::pair{&values.client_key, &out.client_key},
                          std::pair{&values.header_list, &out.header_list}}) {
    if (!*from) continue;
    auto resealed = reseal(**from);
    if (!resealed) return std::unexpected(resealed.error());
    *to = std::move(*resealed);
  }
  return out;
}

void apply_patch(EventType& t, const EventTypePatch& patch, Millis now) {
  if (patch.description) t.description = *patch.description;
  if (patch.deprecated) t.deprecated = *patch.deprecated;
  if (patch.schema && *patch.schema != t.schema) {
    t.schema = *patch.schema;
    ++t.version;
  }
  t.updated_at = now;
}

}  // namespace axon
