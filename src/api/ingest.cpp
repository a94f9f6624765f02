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

nlohmann::json accepted_json(const Event& event) {
  return {{"id", event.id},
          {"type", event.type},
          {"created_at", time_json(event.created_at)},
          {"deliveries", event.deliveries}};
}

}  // namespace axon::api
