// The payload envelope a receiver gets (docs/receiving.md), built once at ingest and stored, so
// the dispatcher signs and sends the stored bytes without re-serialising:
//   {"id":"evt_…","type":"order.updated","tenant_id":"ten_…","created_at":"…Z","data":{…}}
#pragma once

#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "core/result.hpp"

namespace axon {

// `data_json` must already be minified JSON (see json_limits.hpp).
std::string build_envelope(std::string_view event_id, std::string_view type,
                           std::string_view tenant_id, Millis created_at_ms,
                           std::string_view data_json);

// RFC 3339 UTC with milliseconds: 2026-11-29T01:02:03.456Z
std::string format_rfc3339_ms(Millis epoch_ms);
// Parses RFC 3339 (with 'Z' or an offset, optional fraction). nullopt-like error on failure.
Result<Millis> parse_rfc3339(std::string_view text);

// Event type rule: ^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$, at most 128 characters.
bool is_valid_event_type(std::string_view type);

}  // namespace axon
