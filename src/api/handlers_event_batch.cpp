// Batch ingest: POST /v1/tenants/{tid}/events/batch {"events": [{type, data, idempotency_key?}]}.
// Each event is checked exactly as a single one would be; the valid ones are stored in one
// store call (one transaction: durable when answered), and the answer has one entry per event
// in the order sent — the accepted event or the reason it was refused.
#include <map>

#include "api/catalogue.hpp"
#include "api/handlers.hpp"
#include "api/ingest.hpp"
#include "api/json_codec.hpp"
#include "core/ids.hpp"
#include "core/json_text.hpp"
#include "core/log.hpp"

namespace axon::api {
namespace {

// The tenant's catalogue rules, looked up once per type of the batch.
class RulesByType {
 public:
  RulesByType(const Services& services, const std::string& tenant_id)
      : services_(services), tenant_id_(tenant_id) {}
  Result<const EventTypeRule*> get(const std::string& type) {
    auto it = rules_.find(type);
    if (it == rules_.end()) {
      const ApiContext& ctx = services_.context;
      auto rule = cached_event_type_rule(services_.caches->event_types, ctx.store, tenant_id_,
                                         type, ctx.clock.steady_ms());
      if (!rule) return std::unexpected(rule.error());
      it = rules_.emplace(type, std::move(*rule)).first;
    }
    return &it->second;
  }

 private:
  const Services& services_;
  const std::string& tenant_id_;
  std::map<std::string, EventTypeRule, std::less<>> rules_;
};

}  // namespace

Result<ApiResponse> ingest_event_batch(const Services& services, const RouteRequest& request) {
  const ApiContext& ctx = services.context;
  const std::string& tid = request.param("tid");
  AXON_TRY(elements, read_batch_events(request.body_text));
  const Millis now = ctx.clock.now_ms();

  std::vector<std::optional<Error>> refused(elements->size());
  std::vector<NewEvent> accepted;
  accepted.reserve(elements->size());
  RulesByType rules(services, tid);
  for (std::size_t i = 0; i < elements->size(); ++i) {
    std::string_view element = (*elements)[i];
    if (json_kind(element) != JsonKind::object) {
      refused[i] = Error{Errc::invalid_request,
                         "an event must be an object, not " +
                             std::string(json_kind_name(json_kind(element)))};
      continue;
    }
    auto input = read_event_input(element, /*key_in_body=*/true);
    if (!input) {
      refused[i] = std::move(input.error());
      continue;
    }
    AXON_TRY(rule, rules.get(input->type));  // a store failure fails the whole request
    if (auto checked = check_event_data(**rule, input->data); !checked) {
      refused[i] = std::move(checked.error());
      continue;
    }
    accepted.push_back(new_event(ctx, tid, std::move(*input), now));
  }

  std::vector<IngestResult> stored;
  if (!accepted.empty()) {
    AXON_TRY(results, ctx.store.ingest_events(accepted, now, [&] {
      return ctx.ids.next(id_prefix::delivery);
    }));
    stored = std::move(*results);
  }

  std::string answer = "{\"data\":[";
  answer.reserve(answer.size() + refused.size() * 160);
  std::size_t next = 0, created = 0, replayed = 0, deliveries = 0;
  for (const auto& refusal : refused) {
    if (&refusal != &refused.front()) answer += ',';
    if (refusal) {
      answer += refused_text(*refusal);
      continue;
    }
    const IngestResult& result = stored[next++];
    answer += accepted_text(result.event, result.replayed);
    if (result.replayed) {
      ++replayed;
    } else {
      ++created;
      deliveries += static_cast<std::size_t>(result.event.deliveries);
      if (ctx.metrics) ctx.metrics->event_ingested();
    }
  }
  log_event(spdlog::level::info, "event batch ingested",
            {{"request_id", request.http.request_id},
             {"tenant_id", std::string_view(tid)},
             {"accepted", static_cast<std::int64_t>(created)},
             {"replayed", static_cast<std::int64_t>(replayed)},
             {"refused", static_cast<std::int64_t>(refused.size() - next)},
             {"deliveries", static_cast<std::int64_t>(deliveries)}});
  if (deliveries > 0 && ctx.on_events_ingested) ctx.on_events_ingested();
  answer += "]}";
  return json_text_response(200, std::move(answer));
}

}  // namespace axon::api
