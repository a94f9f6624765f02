// Store: everything Axon Webhooks persists, behind one interface with two implementations
// (SqliteStore, PostgresStore) and one conformance suite (tests/store) run on both.
//
// Thread-safety: every method may be called from any thread concurrently.
// Errors: Errc::not_found for missing rows (also for rows of another tenant: callers pass
// the tenant id and a mismatch looks exactly like absence), Errc::conflict for uniqueness,
// Errc::unavailable when the database cannot be reached (callers may retry), Errc::internal
// for anything else. No method throws.
//
// Pagination: lists are newest first (descending id); `after` is the id of the last item of
// the previous page (the API wraps it in an opaque cursor); `next` is set when more exist.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "store/models.hpp"

namespace axon {

struct PageRequest {
  int limit = 50;
  std::optional<std::string> after;
};

template <class T>
struct Page {
  std::vector<T> items;
  std::optional<std::string> next;  // id of the last item when another page exists
};

struct EventFilter {
  std::optional<std::string> type;
  std::optional<Millis> since;  // created_at >= since
  std::optional<Millis> until;  // created_at < until
};

struct DeliveryFilter {
  std::optional<DeliveryStatus> status;
  std::optional<std::string> endpoint_id;
  std::optional<std::string> event_id;
};

// Fields of an endpoint PATCH; unset fields keep their value.
struct EndpointPatch {
  std::optional<std::string> url;
  std::optional<std::string> description;
  std::optional<std::optional<std::vector<std::string>>> event_types;  // set to nullopt = all
  std::optional<HeaderList> headers;
  std::optional<bool> disabled;  // false re-enables and clears reason and failing_since
  std::optional<std::string> disabled_reason;
  std::optional<int> max_in_flight;
  std::optional<double> rate_limit;
  std::optional<Ordering> ordering;
};

// Fields of an event-type PATCH; unset fields keep their value.
struct EventTypePatch {
  std::optional<std::string> description;
  std::optional<bool> deprecated;
  std::optional<std::optional<std::string>> schema;  // set to nullopt = no schema
};

// A PATCH applied to the stored value; both stores read the row, apply this and write it
// back in one transaction. Re-enabling an endpoint clears its reason and failure streak; a
// changed schema bumps an event type's version.
void apply_patch(Endpoint& endpoint, const EndpointPatch& patch, Millis now);
void apply_patch(EventType& type, const EventTypePatch& patch, Millis now);

// An event to ingest. The caller built `payload` (the envelope) with the id and created_at.
struct NewEvent {
  std::string id;
  std::string tenant_id;
  std::string type;
  std::string payload;
  std::optional<std::string> idempotency_key;
  Millis created_at = 0;
  // An operational event (core/operational_events.hpp): fans out to the tenant's
  // operational endpoints only (a normal event to its normal endpoints only), and when none
  // matches nothing is stored: the result's event has deliveries = 0.
  bool operational = false;
};

struct IngestResult {
  Event event;            // the stored event (the earlier one on an idempotent repeat)
  bool replayed = false;  // true when the idempotency key matched an event of the last 24 h
};

// A leased delivery with everything the dispatcher needs to send it.
struct DeliveryJob {
  std::string delivery_id;
  std::string tenant_id;
  std::string event_id;
  std::string event_type;
  std::string endpoint_id;
  std::string url;
  HeaderList headers;
  std::vector<std::string> secrets_sealed;  // current first, then a still-valid previous one
  // The event's envelope: one copy shared by every job of the event in a claim (and by the
  // dispatcher across claims), however many endpoints it fans out to.
  std::shared_ptr<const std::string> payload;
  int attempt = 1;            // number of the attempt about to be made (1-based, whole life)
  int attempt_in_series = 1;  // number within the current retry series
  int max_in_flight = 0;
  double rate_limit = 0;
  Ordering ordering = Ordering::parallel;
  bool operational = false;  // the endpoint is operational: its outcomes emit nothing
  Millis lease_expires_at = 0;
};

// The outcome of one attempt, to be recorded by complete_attempts.
struct AttemptRecord {
  std::string delivery_id;
  std::string endpoint_id;
  Attempt attempt;
  DeliveryStatus new_status = DeliveryStatus::pending;  // pending = retry at next_attempt_at
  Millis next_attempt_at = 0;
  bool disable_endpoint = false;  // 410 Gone
  std::string disable_reason;
};

class Store {
 public:
  virtual ~Store() = default;

  // Creates or upgrades the schema. Idempotent; safe when several processes race.
  virtual Result<void> migrate() = 0;
  virtual Result<void> ping() = 0;

  // Key/value settings (e.g. the admin token hash).
  virtual Result<std::optional<std::string>> get_setting(std::string_view key) = 0;
  // Sets only if absent; returns the value now stored.
  virtual Result<std::string> put_setting_if_absent(std::string_view key,
                                                    std::string_view value) = 0;
  virtual Result<void> put_setting(std::string_view key, std::string_view value) = 0;

  // --- tenants ---
  virtual Result<Tenant> create_tenant(const Tenant& tenant) = 0;
  virtual Result<Tenant> get_tenant(std::string_view id) = 0;
  virtual Result<Page<Tenant>> list_tenants(const PageRequest& page) = 0;
  // Deletes the tenant and everything it owns.
  virtual Result<void> delete_tenant(std::string_view id) = 0;

  // --- API keys ---
  virtual Result<ApiKey> create_api_key(const ApiKey& key) = 0;
  virtual Result<ApiKey> find_api_key_by_hash(std::string_view key_hash) = 0;
  virtual Result<Page<ApiKey>> list_api_keys(std::string_view tenant_id,
                                             const PageRequest& page) = 0;
  virtual Result<void> revoke_api_key(std::string_view tenant_id, std::string_view key_id,
                                      Millis now) = 0;

  // --- endpoints ---
  virtual Result<Endpoint> create_endpoint(const Endpoint& endpoint) = 0;
  virtual Result<Endpoint> get_endpoint(std::string_view tenant_id, std::string_view id) = 0;
  virtual Result<Page<Endpoint>> list_endpoints(std::string_view tenant_id,
                                                const PageRequest& page) = 0;
  virtual Result<Endpoint> update_endpoint(std::string_view tenant_id, std::string_view id,
                                           const EndpointPatch& patch, Millis now) = 0;
  // Deletes the endpoint; its pending deliveries become dead ("endpoint deleted").
  virtual Result<void> delete_endpoint(std::string_view tenant_id, std::string_view id) = 0;
  // Makes `new_secret_sealed` current; the current one stays valid until previous_expires_at.
  virtual Result<Endpoint> rotate_endpoint_secret(std::string_view tenant_id,
                                                  std::string_view id,
                                                  std::string_view new_secret_sealed,
                                                  Millis previous_expires_at, Millis now) = 0;

  // --- master key rotation ---
  // Maps one sealed secret to its replacement (open under the old key, seal under the new).
  using SecretResealer = std::function<Result<std::string>(std::string_view sealed)>;
  // Re-seals the current and previous secrets of up to `limit` endpoints (all tenants) whose
  // id is greater than `after` ("" = from the start), in id order, in one transaction.
  // Returns the last endpoint id of the batch, or nullopt when none was left. An error from
  // `reseal` rolls the whole batch back and is returned. Callers loop, passing the returned
  // id, so any number of endpoints is re-sealed without one long transaction.
  virtual Result<std::optional<std::string>> reseal_endpoint_secrets(
      std::string_view after, int limit, const SecretResealer& reseal) = 0;

  // --- event-type catalogue ---
  // Names are unique per tenant (Errc::conflict); lists are by name, ascending, and `after`
  // is the last name of the previous page. A schema change bumps `version`. Defaults answer
  // Errc::internal so test doubles need not implement them.
  virtual Result<EventType> create_event_type(const EventType& type) {
    (void)type;
    return fail(Errc::internal, "event types not supported by this store");
  }
  virtual Result<EventType> get_event_type(std::string_view tenant_id, std::string_view name) {
    (void)tenant_id, (void)name;
    return fail(Errc::internal, "event types not supported by this store");
  }
  virtual Result<Page<EventType>> list_event_types(std::string_view tenant_id,
                                                   const PageRequest& page) {
    (void)tenant_id, (void)page;
    return fail(Errc::internal, "event types not supported by this store");
  }
  virtual Result<EventType> update_event_type(std::string_view tenant_id, std::string_view name,
                                              const EventTypePatch& patch, Millis now) {
    (void)tenant_id, (void)name, (void)patch, (void)now;
    return fail(Errc::internal, "event types not supported by this store");
  }
  virtual Result<void> delete_event_type(std::string_view tenant_id, std::string_view name) {
    (void)tenant_id, (void)name;
    return fail(Errc::internal, "event types not supported by this store");
  }

  // --- events ---
  // In one transaction: idempotency check (same tenant + key within 24 h of `now` returns
  // the earlier event, creates nothing), the event row, and one pending delivery (due now)
  // per enabled endpoint of the tenant whose subscriptions match the type and whose
  // `operational` flag equals the event's (see NewEvent::operational). Delivery ids come
  // from `new_delivery_id`, called once per delivery.
  virtual Result<IngestResult> ingest_event(const NewEvent& event, Millis now,
                                            const std::function<std::string()>& new_delivery_id) = 0;
  virtual Result<Event> get_event(std::string_view tenant_id, std::string_view id) = 0;
  virtual Result<Page<Event>> list_events(std::string_view tenant_id, const EventFilter& filter,
                                          const PageRequest& page) = 0;

  // --- deliveries ---
  // With its full attempt log.
  virtual Result<Delivery> get_delivery(std::string_view tenant_id, std::string_view id) = 0;
  // With last_attempt only.
  virtual Result<Page<Delivery>> list_deliveries(std::string_view tenant_id,
                                                 const DeliveryFilter& filter,
                                                 const PageRequest& page) = 0;
  // A dead delivery becomes pending, due now, with a fresh series (series_start = attempts).
  // Errc::conflict if it is not dead.
  virtual Result<Delivery> replay_delivery(std::string_view tenant_id, std::string_view id,
                                           Millis now) = 0;
  // Replays up to `limit` of the endpoint's dead deliveries created at or after `since`,
  // oldest first; returns how many. Callers loop until it returns 0 to recover any number
  // without holding one long transaction.
  virtual Result<int> replay_dead_since(std::string_view tenant_id, std::string_view endpoint_id,
                                        Millis since, Millis now, int limit) = 0;

  // --- dispatcher side ---
  // Leases up to `limit` pending deliveries that are due (next_attempt_at <= now), whose
  // lease is absent or expired, and whose endpoint is enabled; oldest due first. Sets
  // lease_owner = owner, lease_expires_at = now + lease_ms. Two concurrent callers never
  // get the same delivery.
  virtual Result<std::vector<DeliveryJob>> claim_due(std::string_view owner, Millis now,
                                                     Millis lease_ms, int limit) = 0;
  // Records attempts and their outcomes in one transaction: appends each attempt, updates
  // the delivery (status, attempts, next_attempt_at; clears the lease), updates the
  // endpoint's failing_since, disables the endpoint when asked. A record whose delivery is no
  // longer leased by `owner` still has its attempt appended (at-least-once).
  virtual Result<void> complete_attempts(std::string_view owner,
                                         std::span<const AttemptRecord> records, Millis now) = 0;
  // Gives back every lease held by `owner` (graceful shutdown).
  virtual Result<void> release_leases(std::string_view owner) = 0;
  // Gives back specific leases without recording an attempt (e.g. a job the dispatcher
  // could not start before shutdown); they become due at `due_at`.
  virtual Result<void> release_deliveries(std::string_view owner,
                                          std::span<const std::string> delivery_ids,
                                          Millis due_at) = 0;
  // The earliest time a pending delivery of an enabled endpoint becomes claimable
  // (max(next_attempt_at, lease_expires_at)), or nullopt when there is none.
  virtual Result<std::optional<Millis>> next_due_at() = 0;
  // Disables endpoints whose failing_since <= now - period, with a reason; returns them.
  virtual Result<std::vector<Endpoint>> disable_failing_endpoints(Millis now, Millis period) = 0;

  // --- operator counters (dashboard, /metrics) ---
  struct Counts {
    std::int64_t pending_due = 0;
    std::int64_t pending_scheduled = 0;
    std::int64_t succeeded = 0;
    std::int64_t dead = 0;
  };
  virtual Result<Counts> delivery_counts(Millis now) = 0;

  // Called (from a store-owned thread) when another process may have queued work, e.g. a
  // PostgreSQL NOTIFY from the outbox or another node. SQLite has no other writers: no-op.
  virtual void set_work_callback(std::function<void()> on_work) { (void)on_work; }
};

// Opens the store named by a --db URL: "sqlite:PATH" or "postgres://…"/"postgresql://…".
// Does not migrate.
Result<std::unique_ptr<Store>> open_store(std::string_view db_url);
Result<std::unique_ptr<Store>> open_sqlite_store(std::string_view path);      // sqlite/
Result<std::unique_ptr<Store>> open_postgres_store(std::string_view conninfo);  // postgres/

}  // namespace axon
