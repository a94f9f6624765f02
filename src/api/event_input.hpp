// Reading events from request bodies (POST …/events and …/events/batch), without turning
// `data` into a document: it stays the producer's JSON text, minified, so every number and
// string arrives exactly as sent (core/json_text.hpp).
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "core/json_limits.hpp"
#include "core/result.hpp"

namespace axon::api {

inline constexpr std::size_t kMaxBatchEvents = 1000;
inline constexpr std::size_t kMaxBatchBodyBytes = 4 * 1024 * 1024;
// {"events":[{"data":…}]} puts data three levels down; the body may nest deeper than that
// so each event's data is checked (and refused) on its own.
inline constexpr int kMaxBatchBodyDepth = 2 * kMaxJsonDepth;

// One event as given: `data` views the minified body text it was read from.
struct EventInput {
  std::string type;
  std::string_view data;
  std::optional<std::string> idempotency_key;
};

// The event object `object` (minified JSON text of an object): `type` (400 when missing or
// not a string, 422 when not a valid type), `data` (400 when missing, 422 when nested deeper
// than kMaxJsonDepth) and, when `key_in_body`, an optional `idempotency_key`.
Result<EventInput> read_event_input(std::string_view object, bool key_in_body);

// An idempotency key: 1 to 255 printable ASCII characters (400 otherwise).
Result<std::string> checked_idempotency_key(std::string_view key, std::string_view field);

// The `events` array of a batch body (400 when absent, not an array, empty or too long).
Result<std::vector<std::string_view>> read_batch_events(std::string_view body);

}  // namespace axon::api
