#include "store/sqlite/sqlite_rows.hpp"

#include <nlohmann/json.hpp>

namespace axon::sqlite {

std::optional<std::string> encode_event_types(const std::optional<std::vector<std::string>>& v) {
  if (!v) return std::nullopt;
  return nlohmann::json(*v).dump();
}

std::optional<std::vector<std::string>> decode_event_types(const std::optional<std::string>& v) {
  if (!v) return std::nullopt;
  return nlohmann::json::parse(*v).get<std::vector<std::string>>();
}

Tenant read_tenant(const Statement& st) {
  return Tenant{st.text_at(0), st.text_at(1), st.int64_at(2)};
}

ApiKey read_api_key(const Statement& st) {
  return ApiKey{st.text_at(0), st.text_at(1), st.text_at(2), st.int64_at(3),
                st.optional_int64_at(4)};
}

Endpoint read_endpoint(const Statement& st, const HeaderSealer* sealer) {
  Endpoint e;
  e.id = st.text_at(0);
  e.tenant_id = st.text_at(1);
  e.url = st.text_at(2);
  e.description = st.text_at(3);
  e.event_types = decode_event_types(st.optional_text_at(4));
  e.headers = decode_header_column(st.text_at(5), sealer);
  e.disabled = st.int_at(6) != 0;
  e.disabled_reason = st.text_at(7);
  e.max_in_flight = st.int_at(8);
  e.rate_limit = st.double_at(9);
  e.ordering = parse_ordering(st.text_at(10));
  e.secret_sealed = st.text_at(11);
  e.previous_secret_sealed = st.optional_text_at(12);
  e.previous_secret_expires_at = st.optional_int64_at(13);
  e.failing_since = st.optional_int64_at(14);
  e.created_at = st.int64_at(15);
  e.updated_at = st.int64_at(16);
  e.operational = st.int_at(17) != 0;
  e.tls_client_certificate = st.optional_text_at(18);
  e.tls_client_key_sealed = st.optional_text_at(19);
  return e;
}

Event read_event(const Statement& st) {
  Event e;
  e.id = st.text_at(0);
  e.tenant_id = st.text_at(1);
  e.type = st.text_at(2);
  e.payload = st.text_at(3);
  e.idempotency_key = st.optional_text_at(4);
  e.deliveries = st.int_at(5);
  e.created_at = st.int64_at(6);
  return e;
}

Delivery read_delivery(const Statement& st) {
  Delivery d;
  d.id = st.text_at(0);
  d.tenant_id = st.text_at(1);
  d.event_id = st.text_at(2);
  d.endpoint_id = st.text_at(3);
  d.event_type = st.text_at(4);
  d.status = parse_status(st.text_at(5));
  d.attempts = st.int_at(6);
  d.series_start = st.int_at(7);
  d.next_attempt_at = st.int64_at(8);
  d.lease_owner = st.optional_text_at(9);
  d.lease_expires_at = st.optional_int64_at(10);
  d.created_at = st.int64_at(11);
  d.updated_at = st.int64_at(12);
  return d;
}

Attempt read_attempt(const Statement& st, int first) {
  Attempt a;
  a.n = st.int_at(first);
  a.started_at = st.int64_at(first + 1);
  a.duration_ms = st.int_at(first + 2);
  a.status_code = st.int_at(first + 3);
  a.error = st.text_at(first + 4);
  a.error_message = st.text_at(first + 5);
  a.response_excerpt = st.text_at(first + 6);
  return a;
}

}  // namespace axon::sqlite
