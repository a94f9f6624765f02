// What the two ingest handlers (one event, a batch) share: turning checked input into a
// NewEvent with its envelope, and shaping an accepted event for the answer.
// Thread-safety: stateless; safe on any I/O thread.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "api/event_input.hpp"
#include "api/server.hpp"
#include "store/store.hpp"

namespace axon::api {

// A new event of `tenant_id` with a fresh id, created `now`; its envelope embeds
// `input.data` as given (the exact bytes that will be signed and sent).
NewEvent new_event(const ApiContext& ctx, const std::string& tenant_id, EventInput input,
                   Millis now);

// {id, type, created_at, deliveries} of an accepted event.
nlohmann::json accepted_json(const Event& event);

}  // namespace axon::api
