// Events: ingest (with Idempotency-Key), list, get with deliveries.
#include "api/catalogue.hpp"
#include "api/handlers.hpp"
#include "api/json_codec.hpp"
#include "api/pagination.hpp"
#include "core/envelope.hpp"
#include "core/ids.hpp"
#include "core/json_limits.hpp"
#include "core/log.hpp"

namespace axon::api {

namespace {

constexpr std::size_t kMaxIdempotencyKeyChars = 255;

Result<std::optional<std::string>> idempotency_key(const ApiRequest& http) {
  auto key = http.header("Idempotency-Key");
  if (!key) return std::optional<std::string>();
  bool printable = !key->empty() && key->size() <= kMaxIdempotencyKeyChars;
  for (char c : *key) printable = printable && c >= 0x20 && c <= 0x7E;
  if (!printable) {
    return fail(Errc::invalid_request,
                "Idempotency-Key must be 1 to 255 printable ASCII characters");
  }
  return std::optional<std::string>(std::string(*key));
}

nlohmann::json ingest_json(const Event& event) {
  return {{"id", event.id},
          {"type", event.type},
          {"created_at", time_json(event.created_at)},
          {"deliveries", event.deliveries}};
}

}  // namespace

Result<ApiResponse> ingest_event(const Services& services, const RouteRequest& request) {
  const ApiContext& ctx = services.context;
  AXON_TRY(key, idempotency_key(request.http));
  AXON_TRY(type, required_string(request.body, "type"));
  if (!is_valid_event_type(*type)) {
    return fail(Errc::validation_failed,
                "type must match ^[A-Za-z0-9_]+(\\.[A-Za-z0-9_]+)*$ and be at most 128 "
                "characters");
  }
  auto data = request.body.find("data");
  if (data == request.body.end()) return fail(Errc::invalid_request, "data is required");
  if (!json_depth_within(*data, kMaxJsonDepth)) {
    return fail(Errc::validation_failed, "data is nested deeper than 64 levels");
  }
  AXON_TRY(catalogued,
           check_event_against_catalogue(ctx.store, request.param("tid"), *type, *data));

  NewEvent event;
  event.id = ctx.ids.next(id_prefix::event);
  event.tenant_id = request.param("tid");
  event.type = *type;
  event.created_at = ctx.clock.now_ms();
  event.idempotency_key = std::move(*key);
  event.payload =
      build_envelope(event.id, event.type, event.tenant_id, event.created_at, dump_json(*data));

  AXON_TRY(ingested, ctx.store.ingest_event(event, event.created_at,
                                            [&] { return ctx.ids.next(id_prefix::delivery); }));
  ApiResponse response = json_response(202, ingest_json(ingested->event));
  if (ingested->replayed) {
    response.headers.emplace_back("Idempotent-Replayed", "true");
  } else {
    if (ctx.metrics) ctx.metrics->event_ingested();
    log_event(spdlog::level::info, "event ingested",
              {{"request_id", request.http.request_id},
               {"tenant_id", ingested->event.tenant_id},
               {"event_id", ingested->event.id},
               {"event_type", ingested->event.type},
               {"deliveries", static_cast<std::int64_t>(ingested->event.deliveries)}});
    if (ingested->event.deliveries > 0 && ctx.on_events_ingested) ctx.on_events_ingested();
  }
  return response;
}

Result<ApiResponse> list_events(const Services& services, const RouteRequest& request) {
  AXON_TRY(page, parse_page_request(request.query, id_prefix::event));
  EventFilter filter;
  if (auto type = request.query.get("type")) {
    if (!is_valid_event_type(*type)) {
      return fail(Errc::invalid_request, "type is not a valid event type");
    }
    filter.type = std::string(*type);
  }
  AXON_TRY(since, optional_time_param(request.query, "since"));
  AXON_TRY(until, optional_time_param(request.query, "until"));
  filter.since = *since;
  filter.until = *until;
  AXON_TRY(events, services.context.store.list_events(request.param("tid"), filter, *page));
  return json_response(200, page_json(*events, event_json));
}

Result<ApiResponse> get_event(const Services& services, const RouteRequest& request) {
  const ApiContext& ctx = services.context;
  const std::string& tid = request.param("tid");
  const std::string& evid = request.param("evid");
  if (!is_valid_id(evid, id_prefix::event)) return fail(Errc::not_found, "no such event");
  AXON_TRY(event, ctx.store.get_event(tid, evid));

  // Every delivery of the event (one per endpoint it fanned out to), newest first.
  nlohmann::json deliveries = nlohmann::json::array();
  DeliveryFilter filter;
  filter.event_id = evid;
  PageRequest page{.limit = kMaxPageLimit, .after = std::nullopt};
  for (;;) {
    AXON_TRY(batch, ctx.store.list_deliveries(tid, filter, page));
    for (const Delivery& delivery : batch->items) deliveries.push_back(delivery_json(delivery));
    if (!batch->next) break;
    page.after = batch->next;
  }
  nlohmann::json body = event_json(*event);
  body["delivery_count"] = event->deliveries;
  body["deliveries"] = std::move(deliveries);
  return json_response(200, body);
}

}  // namespace axon::api
