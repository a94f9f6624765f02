// PostgresStore: the group commit of single events handed over without waiting
// (ingest_event_async; the queue and its threads are pg_ingest_queue.hpp).
#include <map>

#include "store/postgres/postgres_store.hpp"

namespace axon::pg {

void PostgresStore::ingest_event_async(NewEvent event, Millis now,
                                       std::function<std::string()> new_delivery_id,
                                       IngestDone done) {
  ingest_queue_.push({std::move(event), now, std::move(new_delivery_id), std::move(done)});
}

// A tenant's events (in the order they were queued) go in as one ingest_events call: the
// set-based batch path, with the same idempotency, fan-out and refusals as ingest_event.
// An operational event goes alone (ingest_events takes normal events only), as does a lone
// event. The batch's ids come from its first call's generator and its time is its first
// call's `now`: callers queue at most a few milliseconds apart. If the batch's transaction
// fails (the tenant is gone, the database refused it), each of its events is stored again on
// its own, so each answer is exactly what ingest_event would have said.
void PostgresStore::commit_ingests(std::vector<IngestQueue::Pending>& batch) {
  std::map<std::string_view, std::vector<std::size_t>> by_tenant;
  std::vector<std::size_t> alone;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (batch[i].event.operational) {
      alone.push_back(i);
    } else {
      by_tenant[batch[i].event.tenant_id].push_back(i);
    }
  }
  auto one_by_one = [&](const std::vector<std::size_t>& members) {
    for (std::size_t i : members) {
      IngestQueue::Pending& p = batch[i];
      p.done(ingest_event(p.event, p.now, p.new_delivery_id));
    }
  };
  for (const auto& [tenant, members] : by_tenant) {
    if (members.size() == 1) {
      one_by_one(members);
      continue;
    }
    std::vector<NewEvent> events;
    events.reserve(members.size());
    for (std::size_t i : members) events.push_back(batch[i].event);
    const IngestQueue::Pending& first = batch[members.front()];
    auto results = ingest_events(events, first.now, first.new_delivery_id);
    if (!results) {
      one_by_one(members);
      continue;
    }
    for (std::size_t k = 0; k < members.size(); ++k) {
      batch[members[k]].done(std::move((*results)[k]));
    }
  }
  one_by_one(alone);
}

}  // namespace axon::pg
