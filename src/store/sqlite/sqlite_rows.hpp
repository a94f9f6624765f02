// Column lists and row readers shared by the SqliteStore queries, plus the text encodings of
// enums and JSON-valued columns. A query selects AXON_SQL_<X>_COLS first, so read_<x>(st)
// reads columns 0..k-1 and any extra columns follow.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/models.hpp"
#include "store/sealed_headers.hpp"
#include "store/sqlite/sqlite_connection.hpp"

#define AXON_SQL_TENANT_COLS "id, name, created_at"
#define AXON_SQL_API_KEY_COLS "id, tenant_id, key_hash, created_at, revoked_at"
#define AXON_SQL_ENDPOINT_COLS                                                         \
  "id, tenant_id, url, description, event_types, headers, disabled, disabled_reason, " \
  "max_in_flight, rate_limit, ordering, secret_sealed, previous_secret_sealed, "       \
  "previous_secret_expires_at, failing_since, created_at, updated_at, operational, "     \
  "tls_client_certificate, tls_client_key_sealed"
#define AXON_SQL_EVENT_COLS "id, tenant_id, type, payload, idempotency_key, deliveries, created_at"
#define AXON_SQL_DELIVERY_COLS                                                           \
  "d.id, d.tenant_id, d.event_id, d.endpoint_id, d.event_type, d.status, d.attempts, "   \
  "d.series_start, d.next_attempt_at, d.lease_owner, d.lease_expires_at, d.created_at, " \
  "d.updated_at"
#define AXON_SQL_DELIVERY_NCOLS 13
#define AXON_SQL_ATTEMPT_COLS \
  "n, started_at, duration_ms, status_code, error, error_message, response_excerpt"

namespace axon::sqlite {

// status_name/parse_status and ordering_name/parse_ordering live in store/models.hpp.

std::optional<std::string> encode_event_types(const std::optional<std::vector<std::string>>& v);
std::optional<std::vector<std::string>> decode_event_types(const std::optional<std::string>& v);

Tenant read_tenant(const Statement& st);
ApiKey read_api_key(const Statement& st);
// Opens a sealed header list with `sealer` (store/sealed_headers.hpp).
Endpoint read_endpoint(const Statement& st, const HeaderSealer* sealer);
Event read_event(const Statement& st);
Delivery read_delivery(const Statement& st);
// An attempt whose columns start at `first`.
Attempt read_attempt(const Statement& st, int first);

}  // namespace axon::sqlite
