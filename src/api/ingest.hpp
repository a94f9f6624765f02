// What the two ingest handlers (one event, a batch) share: turning checked input into a
// NewEvent with its envelope, and shaping an accepted event for the answer.
// Thread-safety: stateless; safe on any I/O thread.
#pragma once

#include <optional>
#include <string>

#include "api/event_input.hpp"
#include "api/server.hpp"
#include "store/store.hpp"

namespace axon::api {

// A new event of `tenant_id` with a fresh id, created `now`; its envelope embeds
// `input.data` as given (the exact bytes that will be signed and sent).
NewEvent new_event(const ApiContext& ctx, const std::string& tenant_id, EventInput input,
                   Millis now);

// {created_at, deliveries, id, type} of an accepted event as JSON text, plus
// idempotent_replayed when given (batch answers). Built as text: it is on every ingest's path.
std::string accepted_text(const Event& event, std::optional<bool> replayed = std::nullopt);

// {"error":{"code","message"}} as JSON text (a refused event of a batch).
std::string refused_text(const Error& error);

}  // namespace axon::api
