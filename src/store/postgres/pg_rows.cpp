#include "store/postgres/pg_rows.hpp"

#include <nlohmann/json.hpp>

namespace axon::pg {

Tenant read_tenant(const PgResult& r, int row) {
  return Tenant{r.text(row, 0), r.text(row, 1), r.i64(row, 2)};
}

ApiKey read_api_key(const PgResult& r, int row) {
  return ApiKey{r.text(row, 0), r.text(row, 1), r.text(row, 2), r.i64(row, 3), r.opt_i64(row, 4)};
}

Endpoint read_endpoint(const PgResult& r, int row, const HeaderSealer* sealer, int col) {
  Endpoint e;
  e.id = r.text(row, col + 0);
  e.tenant_id = r.text(row, col + 1);
  e.url = r.text(row, col + 2);
  e.description = r.text(row, col + 3);
  if (!r.is_null(row, col + 4)) {
    e.event_types = nlohmann::json::parse(r.view(row, col + 4)).get<std::vector<std::string>>();
  }
  e.headers = decode_header_column(r.view(row, col + 5), sealer);
  e.disabled = r.boolean(row, col + 6);
  e.disabled_reason = r.text(row, col + 7);
  e.max_in_flight = r.i32(row, col + 8);
  e.rate_limit = r.f64(row, col + 9);
  e.ordering = parse_ordering(r.view(row, col + 10));
  e.secret_sealed = r.text(row, col + 11);
  e.previous_secret_sealed = r.opt_text(row, col + 12);
  e.previous_secret_expires_at = r.opt_i64(row, col + 13);
  e.failing_since = r.opt_i64(row, col + 14);
  e.created_at = r.i64(row, col + 15);
  e.updated_at = r.i64(row, col + 16);
  e.operational = r.boolean(row, col + 17);
  e.tls_client_certificate = r.opt_text(row, col + 18);
  e.tls_client_key_sealed = r.opt_text(row, col + 19);
  return e;
}

Event read_event(const PgResult& r, int row) {
  Event e;
  e.id = r.text(row, 0);
  e.tenant_id = r.text(row, 1);
  e.type = r.text(row, 2);
  e.payload = r.text(row, 3);
  e.idempotency_key = r.opt_text(row, 4);
  e.deliveries = r.i32(row, 5);
  e.created_at = r.i64(row, 6);
  return e;
}

Attempt read_attempt(const PgResult& r, int row, int col) {
  Attempt a;
  a.n = r.i32(row, col + 0);
  a.started_at = r.i64(row, col + 1);
  a.duration_ms = r.i32(row, col + 2);
  a.status_code = r.i32(row, col + 3);
  a.error = r.text(row, col + 4);
  a.error_message = r.text(row, col + 5);
  a.response_excerpt = r.text(row, col + 6);
  return a;
}

Delivery read_delivery(const PgResult& r, int row) {
  Delivery d;
  d.id = r.text(row, 0);
  d.tenant_id = r.text(row, 1);
  d.event_id = r.text(row, 2);
  d.endpoint_id = r.text(row, 3);
  d.event_type = r.text(row, 4);
  d.status = parse_status(r.view(row, 5));
  d.attempts = r.i32(row, 6);
  d.series_start = r.i32(row, 7);
  d.next_attempt_at = r.i64(row, 8);
  d.lease_owner = r.opt_text(row, 9);
  d.lease_expires_at = r.opt_i64(row, 10);
  d.created_at = r.i64(row, 11);
  d.updated_at = r.i64(row, 12);
  if (!r.is_null(row, 13)) d.last_attempt = read_attempt(r, row, 13);
  return d;
}

std::optional<std::string> event_types_to_json(
    const std::optional<std::vector<std::string>>& event_types) {
  if (!event_types) return std::nullopt;
  return nlohmann::json(*event_types)
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string clean_text(std::string_view s) {
  static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
  std::string out;
  out.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = c < 0x80           ? 1
                      : (c >> 5) == 0x6  ? 2
                      : (c >> 4) == 0xE  ? 3
                      : (c >> 3) == 0x1E ? 4
                                         : 0;
    bool ok = len != 0 && i + len <= s.size();
    for (std::size_t k = 1; ok && k < len; ++k) {
      ok = (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
    }
    if (ok && len > 1) {
      // Reject overlong forms, surrogates and code points above U+10FFFF.
      std::uint32_t cp = c & (0xFF >> (len + 1));
      for (std::size_t k = 1; k < len; ++k) cp = (cp << 6) | (s[i + k] & 0x3F);
      static constexpr std::uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
      ok = cp >= kMin[len] && cp <= 0x10FFFF && (cp < 0xD800 || cp > 0xDFFF);
    }
    if (!ok) {
      out += kReplacement;
      ++i;
    } else if (c == 0) {
      ++i;  // PostgreSQL text cannot hold NUL
    } else {
      out.append(s.substr(i, len));
      i += len;
    }
  }
  return out;
}

}  // namespace axon::pg
