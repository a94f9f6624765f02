// The product's nouns as plain values: tenant, API key, endpoint (with its subscriptions),
// event (with its payload), delivery, attempt. Times are epoch ms.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/clock.hpp"

namespace axon {

struct Tenant {
  std::string id;
  std::string name;
  Millis created_at = 0;
};

struct ApiKey {
  std::string id;
  std::string tenant_id;
  std::string key_hash;  // sha256 hex of the key; the key itself is never stored
  Millis created_at = 0;
  std::optional<Millis> revoked_at;
};

using HeaderList = std::vector<std::pair<std::string, std::string>>;

enum class Ordering { parallel, fifo };

// The text forms of Ordering, as stored and as the API shows them: "parallel" | "fifo".
// Unknown text parses as parallel.
std::string_view ordering_name(Ordering ordering);
Ordering parse_ordering(std::string_view text);

struct Endpoint {
  std::string id;
  std::string tenant_id;
  std::string url;
  std::string description;
  // Subscriptions: exact types or "prefix.*"; nullopt = every event type.
  std::optional<std::vector<std::string>> event_types;
  HeaderList headers;  // custom headers sent with every delivery
  bool disabled = false;
  std::string disabled_reason;
  int max_in_flight = 0;  // 0 = unlimited
  double rate_limit = 0;  // attempts per second; 0 = unlimited
  Ordering ordering = Ordering::parallel;
  // Receives only operational events (core/operational_events.hpp); fixed at creation.
  bool operational = false;
  // Signing secrets, sealed by SecretBox. During a rotation the previous one stays valid
  // until previous_secret_expires_at.
  std::string secret_sealed;
  std::optional<std::string> previous_secret_sealed;
  std::optional<Millis> previous_secret_expires_at;
  // Client certificate presented to the receiver (mTLS): a PEM chain, and its private key
  // sealed by SecretBox like the secrets. Both set or both absent.
  std::optional<std::string> tls_client_certificate;
  std::optional<std::string> tls_client_key_sealed;
  // Start of the current run of consecutive failed attempts (nullopt after a success);
  // drives auto-disable.
  std::optional<Millis> failing_since;
  Millis created_at = 0;
  Millis updated_at = 0;
};

struct Event {
  std::string id;
  std::string tenant_id;
  std::string type;
  std::string payload;  // the exact envelope bytes that are signed and sent
  std::optional<std::string> idempotency_key;
  int deliveries = 0;  // how many endpoints it fanned out to
  Millis created_at = 0;
};

// A catalogued event type of a tenant (name unique per tenant). `schema` is a JSON Schema
// (JSON text) for the event's data; `version` grows with every change of the schema, so a
// compiled schema can be cached under (tenant, name, version).
struct EventType {
  std::string tenant_id;
  std::string name;
  std::string description;
  bool deprecated = false;
  std::optional<std::string> schema;
  int version = 1;
  Millis created_at = 0;
  Millis updated_at = 0;
};

enum class DeliveryStatus { pending, succeeded, dead };

// The text forms of DeliveryStatus: "pending" | "succeeded" | "dead". Unknown text parses as
// pending.
std::string_view status_name(DeliveryStatus status);
DeliveryStatus parse_status(std::string_view text);

struct Attempt {
  int n = 0;  // 1, 2, … across the whole life of the delivery (replays continue the count)
  Millis started_at = 0;
  int duration_ms = 0;
  int status_code = 0;      // 0 when no response
  std::string error;        // error class: "", timeout, dns, connect, tls, http, blocked
  std::string error_message;
  std::string response_excerpt;  // first 4 KiB of the response body
};

struct Delivery {
  std::string id;
  std::string tenant_id;
  std::string event_id;
  std::string endpoint_id;
  std::string event_type;
  DeliveryStatus status = DeliveryStatus::pending;
  int attempts = 0;       // attempts made so far (all series)
  int series_start = 0;   // attempts made before the current series began (replay)
  Millis next_attempt_at = 0;
  std::optional<std::string> lease_owner;
  std::optional<Millis> lease_expires_at;
  Millis created_at = 0;
  Millis updated_at = 0;
  std::optional<Attempt> last_attempt;
  std::vector<Attempt> attempt_log;  // filled by get_delivery only
};

}  // namespace axon
