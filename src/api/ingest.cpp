#include "api/ingest.hpp"

#include "api/json_codec.hpp"
#include "core/envelope.hpp"
#include "core/ids.hpp"

namespace axon::api {

NewEvent new_event(const ApiContext& ctx, const std::string& tenant_id, EventInput input,
                   Millis now) {
  NewEvent event;
  event.id = ctx.ids.next(id_prefix::event);
  event.tenant_id = tenant_id;
  event.created_at = now;
  event.payload = build_envelope(event.id, input.type, tenant_id, now, input.data);
  event.type = std::move(input.type);
  event.idempotency_key = std::move(input.idempotency_key);
  return event;
}

// Ids, event types and times are ours and plain ASCII (ids are base32, types match
// ^[A-Za-z0-9_.]+$, times are RFC 3339), so they are quoted without escaping.
std::string accepted_text(const Event& event, std::optional<bool> replayed) {
  std::string out;
  out.reserve(160);
  out += "{\"created_at\":\"";
  out += format_rfc3339_ms(event.created_at);
  out += "\",\"deliveries\":";
  out += std::to_string(event.deliveries);
  out += ",\"id\":\"";
  out += event.id;
  if (replayed) {
    out += "\",\"idempotent_replayed\":";
    out += *replayed ? "true" : "false";
    out += ",\"type\":\"";
  } else {
    out += "\",\"type\":\"";
  }
  out += event.type;
  out += "\"}";
  return out;
}

std::string refused_text(const Error& error) {
  std::string out = "{\"error\":{\"code\":\"";
  out += errc_name(error.code);
  out += "\",\"message\":";
  out += dump_json(nlohmann::json(error.message));
  out += "}}";
  return out;
}

}  // namespace axon::api
