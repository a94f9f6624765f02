#include "api/json_codec.hpp"

#include "core/client_certificate.hpp"
#include "core/envelope.hpp"

namespace axon::api {

namespace {
json string_or_null(const std::string& text) { return text.empty() ? json(nullptr) : json(text); }

}  // namespace

std::string dump_json(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

ApiResponse json_response(int status, const json& body) {
  ApiResponse response;
  response.status = status;
  response.body = dump_json(body);
  return response;
}

ApiResponse json_text_response(int status, std::string body) {
  ApiResponse response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

ApiResponse no_content_response() {
  ApiResponse response;
  response.status = 204;
  response.content_type.clear();
  return response;
}

json time_json(Millis ms) { return format_rfc3339_ms(ms); }

// The client certificate as reads show it: the PEM, its subject and expiry, and whether a
// key is stored (the key itself is write-only).
static void add_client_certificate_json(json& body, const Endpoint& endpoint) {
  json subject = nullptr, expires_at = nullptr;
  if (endpoint.tls_client_certificate) {
    if (auto summary = summarize_certificate_chain(*endpoint.tls_client_certificate)) {
      subject = summary->subject;
      expires_at = time_json(summary->expires_at);
    }
  }
  body["tls_client_certificate"] =
      endpoint.tls_client_certificate ? json(*endpoint.tls_client_certificate) : json(nullptr);
  body["tls_client_certificate_subject"] = std::move(subject);
  body["tls_client_certificate_expires_at"] = std::move(expires_at);
  body["tls_client_key"] = endpoint.tls_client_key_sealed.has_value();
}

json tenant_json(const Tenant& tenant) {
  return {{"id", tenant.id}, {"name", tenant.name}, {"created_at", time_json(tenant.created_at)}};
}

json api_key_json(const ApiKey& key) {
  return {{"id", key.id},
          {"tenant_id", key.tenant_id},
          {"created_at", time_json(key.created_at)},
          {"revoked_at", key.revoked_at ? time_json(*key.revoked_at) : json(nullptr)}};
}

json endpoint_json(const Endpoint& endpoint) {
  json headers = json::object();
  for (const auto& [name, value] : endpoint.headers) headers[name] = value;
  json body = {{"id", endpoint.id},
          {"tenant_id", endpoint.tenant_id},
          {"url", endpoint.url},
          {"description", endpoint.description},
          {"event_types", endpoint.event_types ? json(*endpoint.event_types) : json(nullptr)},
          {"headers", std::move(headers)},
          {"disabled", endpoint.disabled},
          {"disabled_reason", string_or_null(endpoint.disabled_reason)},
          {"max_in_flight", endpoint.max_in_flight},
          {"rate_limit", endpoint.rate_limit},
          {"ordering", ordering_name(endpoint.ordering)},
          {"operational", endpoint.operational},
          {"created_at", time_json(endpoint.created_at)},
          {"updated_at", time_json(endpoint.updated_at)}};
  add_client_certificate_json(body, endpoint);
  return body;
}

json attempt_json(const Attempt& attempt) {
  return {{"n", attempt.n},
          {"started_at", time_json(attempt.started_at)},
          {"duration_ms", attempt.duration_ms},
          {"status_code", attempt.status_code > 0 ? json(attempt.status_code) : json(nullptr)},
          {"error", string_or_null(attempt.error)},
          {"error_message", string_or_null(attempt.error_message)},
          {"response_excerpt", attempt.response_excerpt}};
}

json delivery_json(const Delivery& delivery) {
  const bool pending = delivery.status == DeliveryStatus::pending;
  return {{"id", delivery.id},
          {"tenant_id", delivery.tenant_id},
          {"event_id", delivery.event_id},
          {"endpoint_id", delivery.endpoint_id},
          {"event_type", delivery.event_type},
          {"status", status_name(delivery.status)},
          {"attempt_count", delivery.attempts},
          {"next_attempt_at", pending ? time_json(delivery.next_attempt_at) : json(nullptr)},
          {"created_at", time_json(delivery.created_at)},
          {"updated_at", time_json(delivery.updated_at)},
          {"last_attempt",
           delivery.last_attempt ? attempt_json(*delivery.last_attempt) : json(nullptr)}};
}

namespace {

// The envelope's "data" text: the envelope is minified JSON built at ingest (or by the
// PostgreSQL outbox) in one fixed shape, "data" last; the members before it are ours (ids, a
// type, a time), none of which can hold `,"data":`, so its first occurrence is the one.
std::string_view stored_data_text(const Event& event) {
  constexpr std::string_view kData = ",\"data\":";
  auto at = event.payload.find(kData);
  if (at == std::string::npos || event.payload.empty() || event.payload.back() != '}') {
    return "null";
  }
  std::string_view data(event.payload);
  data = data.substr(at + kData.size());
  data.remove_suffix(1);
  return data;
}

}  // namespace

std::string event_text(const Event& event, const json& extra) {
  json body = {{"id", event.id},
               {"tenant_id", event.tenant_id},
               {"type", event.type},
               {"created_at", time_json(event.created_at)},
               {"idempotency_key",
                event.idempotency_key ? json(*event.idempotency_key) : json(nullptr)},
               {"deliveries", event.deliveries}};
  body.update(extra);
  std::string text = dump_json(body);
  text.pop_back();  // the closing brace: "data" goes last, as stored
  text += ",\"data\":";
  text += stored_data_text(event);
  text += '}';
  return text;
}

std::string event_page_text(const Page<Event>& page) {
  std::string text = "{\"data\":[";
  for (std::size_t i = 0; i < page.items.size(); ++i) {
    if (i) text += ',';
    text += event_text(page.items[i]);
  }
  text += "],\"next\":";
  text += page.next ? dump_json(json(encode_cursor(*page.next))) : std::string("null");
  text += '}';
  return text;
}

}  // namespace axon::api
