// Events: ingest (with Idempotency-Key), list, get with deliveries.
#include "api/catalogue.hpp"
#include "api/handlers.hpp"
#include "api/ingest.hpp"
#include "api/json_codec.hpp"
#include "api/pagination.hpp"
#include "core/envelope.hpp"
#include "core/ids.hpp"
#include "core/log.hpp"

namespace axon::api {

namespace {

Result<std::optional<std::string>> idempotency_key(const ApiRequest& http) {
  auto key = http.header("Idempotency-Key");
  if (!key) return std::optional<std::string>();
  auto checked = checked_idempotency_key(*key, "Idempotency-Key");
  if (!checked) return std::unexpected(checked.error());
  return std::optional<std::string>(std::move(*checked));
}

}  // namespace

namespace {

// The request's event, checked (input, catalogue, schema) and ready to store.
Result<NewEvent> checked_event(const Services& services, const RouteRequest& request,
                               Millis now) {
  const ApiContext& ctx = services.context;
  const std::string& tid = request.param("tid");
  AXON_TRY(key, idempotency_key(request.http));
  AXON_TRY(input, read_event_input(request.body_text, /*key_in_body=*/false));
  AXON_TRY(rule, cached_event_type_rule(services.caches->event_types, ctx.store, tid,
                                        input->type, ctx.clock.steady_ms()));
  AXON_TRY(checked, check_event_data(*rule, input->data));
  input->idempotency_key = std::move(*key);
  return new_event(ctx, tid, std::move(*input), now);
}

// 202 for an event the store has committed (or replayed).
Result<ApiResponse> accepted_response(const ApiContext& ctx, std::string_view request_id,
                                      Result<IngestResult> ingested) {
  if (!ingested) return std::unexpected(std::move(ingested.error()));
  ApiResponse response = json_text_response(202, accepted_text(ingested->event));
  if (ingested->replayed) {
    response.headers.emplace_back("Idempotent-Replayed", "true");
    return response;
  }
  if (ctx.metrics) ctx.metrics->event_ingested();
  log_event(spdlog::level::info, "event ingested",
            {{"request_id", request_id},
             {"tenant_id", ingested->event.tenant_id},
             {"event_id", ingested->event.id},
             {"event_type", ingested->event.type},
             {"deliveries", static_cast<std::int64_t>(ingested->event.deliveries)}});
  if (ingested->event.deliveries > 0 && ctx.on_events_ingested) ctx.on_events_ingested();
  return response;
}

}  // namespace

// Answered from the group commit's completion: the 202 leaves only once the event is durable,
// and the I/O thread serves other requests meanwhile.
void ingest_event(const Services& services, const RouteRequest& request, Respond respond) {
  const ApiContext& ctx = services.context;
  const Millis now = ctx.clock.now_ms();
  auto event = checked_event(services, request, now);
  if (!event) return respond(std::unexpected(std::move(event.error())));
  ctx.store.ingest_event_async(
      std::move(*event), now, [&ids = ctx.ids] { return ids.next(id_prefix::delivery); },
      [&ctx, request_id = request.http.request_id,
       respond = std::move(respond)](Result<IngestResult> ingested) {
        respond(accepted_response(ctx, request_id, std::move(ingested)));
      });
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
  return json_text_response(200, event_page_text(*events));
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
  return json_text_response(
      200, event_text(*event, {{"delivery_count", event->deliveries},
                               {"deliveries", std::move(deliveries)}}));
}

}  // namespace axon::api
