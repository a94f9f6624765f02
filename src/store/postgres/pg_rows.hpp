// Column lists and row decoders shared by the PostgresStore methods, plus the JSON
// encodings of the jsonb columns (endpoint headers and subscriptions).
// Thread-safety: stateless functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/models.hpp"
#include "store/sealed_headers.hpp"
#include "store/postgres/pg_connection.hpp"

namespace axon::pg {

// SELECT lists; each decoder reads the columns of its list starting at column `col`.
inline constexpr std::string_view kTenantColumns = "t.id, t.name, t.created_at";
inline constexpr std::string_view kApiKeyColumns =
    "k.id, k.tenant_id, k.key_hash, k.created_at, k.revoked_at";
inline constexpr std::string_view kEndpointColumns =
    "e.id, e.tenant_id, e.url, e.description, e.event_types::text, e.headers::text, "
    "e.disabled, e.disabled_reason, e.max_in_flight, e.rate_limit, e.ordering, "
    "e.secret_sealed, e.previous_secret_sealed, e.previous_secret_expires_at, "
    "e.failing_since, e.created_at, e.updated_at, e.operational, e.tls_client_certificate, "
    "e.tls_client_key_sealed";
inline constexpr std::string_view kEventColumns =
    "v.id, v.tenant_id, v.type, v.payload, v.idempotency_key, v.deliveries, v.created_at";
// A delivery `d` with its newest attempt `a` and its lease from its queue row `q` (both
// joined by kDeliveryJoins): a lease lives in axon.queue only.
inline constexpr std::string_view kDeliveryColumns =
    "d.id, d.tenant_id, d.event_id, d.endpoint_id, d.event_type, d.status, d.attempts, "
    "d.series_start, d.next_attempt_at, q.lease_owner, q.lease_expires_at, d.created_at, "
    "d.updated_at, a.n, a.started_at, a.duration_ms, a.status_code, a.error, "
    "a.error_message, a.response_excerpt";
inline constexpr std::string_view kDeliveryJoins =
    "LEFT JOIN axon.queue q ON q.delivery_id = d.id "
    "LEFT JOIN LATERAL (SELECT * FROM axon.attempts la WHERE la.delivery_id = d.id "
    "ORDER BY la.n DESC LIMIT 1) a ON true";
inline constexpr std::string_view kAttemptColumns =
    "a.n, a.started_at, a.duration_ms, a.status_code, a.error, a.error_message, "
    "a.response_excerpt";

Tenant read_tenant(const PgResult& r, int row);
ApiKey read_api_key(const PgResult& r, int row);
// Opens a sealed header list with `sealer` (store/sealed_headers.hpp).
Endpoint read_endpoint(const PgResult& r, int row, const HeaderSealer* sealer, int col = 0);
Event read_event(const PgResult& r, int row);
Delivery read_delivery(const PgResult& r, int row);
// Reads kAttemptColumns starting at `col`.
Attempt read_attempt(const PgResult& r, int row, int col);

// status_name/parse_status and ordering_name/parse_ordering live in store/models.hpp.

std::optional<std::string> event_types_to_json(
    const std::optional<std::vector<std::string>>& event_types);

// Text PostgreSQL accepts: valid UTF-8 (bad sequences become U+FFFD) without NUL bytes.
// Used for data we did not produce ourselves, e.g. a receiver's response excerpt.
std::string clean_text(std::string_view bytes);

}  // namespace axon::pg
