#include "delivery/operational_emitter.hpp"

#include <spdlog/spdlog.h>

#include "core/envelope.hpp"
#include "core/log.hpp"

namespace axon {

Result<int> ingest_operational_event(Store& store, IdGenerator& ids, const OperationalEvent& event,
                                     Millis now) {
  int deliveries = 0;
  // The tenant's copy, then the operator's (one copy when it is about the operator's own).
  std::vector<std::string_view> tenants{event.tenant_id};
  if (event.tenant_id != kOperatorTenantId) tenants.push_back(kOperatorTenantId);
  for (std::string_view tenant_id : tenants) {
    NewEvent ev;
    ev.id = ids.next(id_prefix::event);
    ev.tenant_id = std::string(tenant_id);
    ev.type = event.type;
    ev.created_at = now;
    ev.idempotency_key = event.idempotency_key;
    ev.operational = true;
    // The envelope names the receiving tenant; `data` names the one it is about.
    ev.payload = build_envelope(ev.id, ev.type, ev.tenant_id, now, event.data_json);
    auto ingested = store.ingest_event(ev, now, [&ids] { return ids.next(id_prefix::delivery); });
    if (!ingested) {
      if (ingested.error().code == Errc::not_found) continue;  // no such tenant (any more)
      return std::unexpected(ingested.error());
    }
    if (!ingested->replayed) deliveries += ingested->event.deliveries;
  }
  return deliveries;
}

Result<void> ensure_operator_tenant(Store& store, Millis now) {
  auto found = store.get_tenant(kOperatorTenantId);
  if (found) return {};
  if (found.error().code != Errc::not_found) return std::unexpected(found.error());
  auto created = store.create_tenant(
      Tenant{std::string(kOperatorTenantId), std::string(kOperatorTenantName), now});
  if (!created && created.error().code != Errc::conflict) {
    return std::unexpected(created.error());
  }
  return {};  // created, or another process just did
}

OperationalEmitter::OperationalEmitter(Store& store, const Clock& clock, int failing_after,
                                       std::function<void()> on_work)
    : store_(store),
      clock_(clock),
      failing_after_(failing_after),
      on_work_(std::move(on_work)),
      ids_(clock, random_) {}

void OperationalEmitter::collect(const AttemptContext& context, const AttemptRecord& record) {
  if (context.operational) return;  // no loops (and nothing to build)
  AttemptFacts facts;
  facts.tenant_id = context.tenant_id;
  facts.endpoint_id = context.endpoint_id;
  facts.endpoint_url = context.url;
  facts.delivery_id = context.delivery_id;
  facts.event_id = context.event_id;
  facts.event_type = context.event_type;
  facts.operational = context.operational;
  facts.attempt = context.attempt;
  facts.attempt_in_series = context.attempt_in_series;
  facts.status_code = record.attempt.status_code;
  facts.error = record.attempt.error;
  facts.started_at = record.attempt.started_at;
  facts.outcome = record.new_status == DeliveryStatus::succeeded ? AttemptFacts::Outcome::succeeded
                  : record.new_status == DeliveryStatus::dead    ? AttemptFacts::Outcome::dead
                                                                 : AttemptFacts::Outcome::retry;
  facts.endpoint_gone = record.disable_endpoint;
  facts.disable_reason = record.disable_reason;
  auto events = attempt_operational_events(facts, failing_after_);
  if (events.empty()) return;
  std::lock_guard lock(mu_);
  for (auto& event : events) {
    // Several attempts in flight to one endpoint may all answer 410: one endpoint.disabled.
    if (event.type == operational_type::endpoint_disabled) {
      bool duplicate = false;
      for (const auto& p : pending_) {
        duplicate = duplicate || (p.type == event.type && p.data_json == event.data_json);
      }
      if (duplicate) continue;
    }
    pending_.push_back(std::move(event));
  }
}

void OperationalEmitter::endpoint_auto_disabled(const Endpoint& endpoint) {
  if (endpoint.operational) return;  // no loops
  {
    std::lock_guard lock(mu_);
    pending_.push_back(endpoint_disabled_event(
        EndpointChange{endpoint.tenant_id, endpoint.id, endpoint.url, endpoint.disabled_reason,
                       EndpointChangeSource::automatic, std::to_string(endpoint.updated_at)}));
  }
  if (auto r = emit_pending(); !r) {
    spdlog::warn("operational events: emission failed ({}); retried with the next outcomes",
                 r.error().message);
  }
}

Result<void> OperationalEmitter::emit_pending() {
  std::lock_guard emitting(emit_mu_);
  std::vector<OperationalEvent> batch;
  {
    std::lock_guard lock(mu_);
    batch.swap(pending_);
  }
  int deliveries = 0;
  Result<void> outcome;
  std::size_t done = 0;
  for (; done < batch.size(); ++done) {
    const OperationalEvent& event = batch[done];
    auto r = ingest_operational_event(store_, ids_, event, clock_.now_ms());
    if (r) {
      deliveries += *r;
      continue;
    }
    if (is_store_outage(r.error().code)) {
      outcome = std::unexpected(r.error());
      break;
    }
    log_event(spdlog::level::err, "operational event dropped",
              {{"tenant_id", event.tenant_id},
               {"event_type", event.type},
               {"idempotency_key", event.idempotency_key},
               {"error", r.error().message}});
  }
  if (done < batch.size()) {
    // Put the rest back ahead of anything collected meanwhile, oldest first.
    std::lock_guard lock(mu_);
    batch.erase(batch.begin(), batch.begin() + static_cast<std::ptrdiff_t>(done));
    batch.insert(batch.end(), std::make_move_iterator(pending_.begin()),
                 std::make_move_iterator(pending_.end()));
    pending_ = std::move(batch);
  }
  if (deliveries > 0 && on_work_) on_work_();
  return outcome;
}

std::size_t OperationalEmitter::pending_count() const {
  std::lock_guard lock(mu_);
  return pending_.size();
}

}  // namespace axon
