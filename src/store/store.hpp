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
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "store/models.hpp"
#include "store/sealed_headers.hpp"

namespace axon {

// The setting that records which master key sealed the database's secrets (a key check
// value, see app/master_key_check.hpp; never the key).
inline constexpr std::string_view kMasterKeyCheckSetting = "master_key_check";

// The error every store returns when the database cannot write for lack of space (SQLite's
// SQLITE_FULL, PostgreSQL's disk_full): nothing of the call was written, and service
// resumes by itself once space is freed. `detail` is the database's own message.
Error storage_full_error(std::string_view detail);

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
  // Set together (validated as a pair by the API); nullopt inside = remove.
  std::optional<std::optional<std::string>> tls_client_certificate;
  std::optional<std::optional<std::string>> tls_client_key_sealed;
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

// The sealed values of one endpoint that master-key rotation re-seals, and the re-sealing
// of all of them with one SecretResealer (shared by both stores).
struct SealedEndpointValues {
  std::string current;                    // secret_sealed
  std::optional<std::string> previous;    // previous_secret_sealed
  std::optional<std::string> client_key;  // tls_client_key_sealed
  std::optional<std::string> header_list;  // the sealed custom header list (a plain one: none)
};
Result<SealedEndpointValues> reseal_values(
    const SealedEndpointValues& values,
    const std::function<Result<std::string>(std::string_view sealed)>& reseal);

// The refusal both stores give when a tenant is at its endpoint cap.
Error endpoint_limit_error(int max_per_tenant);

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

// A position in the (created_at, id) order of events: where a purge sweep continues.
struct EventCursor {
  Millis created_at = 0;
  std::string id;
};

// What one purge step deleted, and where the sweep continues (nullopt = sweep finished).
struct PurgeStep {
  std::int64_t events = 0;
  std::int64_t deliveries = 0;
  std::int64_t attempts = 0;
  std::optional<EventCursor> next;
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
  std::optional<std::string> tls_client_certificate;  // PEM chain (mTLS), with its key:
  std::optional<std::string> tls_client_key_sealed;   // sealed by SecretBox
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
  // Stores a new endpoint unless its tenant already has `max_per_tenant` endpoints
  // (Errc::limit_exceeded). The count and the insert share one transaction, so concurrent
  // creates (several threads or nodes) never overshoot the cap.
  virtual Result<Endpoint> create_endpoint(const Endpoint& endpoint, int max_per_tenant) = 0;
  static constexpr int kNoEndpointLimit = std::numeric_limits<int>::max();  // fixtures, tools
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

  // --- custom headers at rest (store/sealed_headers.hpp) ---
  // From now on header lists are written sealed, and sealed ones are opened, with `sealer`
  // (which must outlive the store). Call once, before the store is shared between threads.
  virtual void seal_headers_with(const HeaderSealer& sealer) = 0;
  // Seals the plain header lists of up to `limit` endpoints (rows written before sealing);
  // returns how many it sealed, 0 when none is left. Needs seal_headers_with first.
  virtual Result<int> seal_plain_headers(int limit) = 0;

  // --- master key ---
  // The sealed current secret of one endpoint (any tenant), or nullopt when there is none:
  // enough to tell whether a master key opens this database's secrets.
  virtual Result<std::optional<std::string>> sample_sealed_secret() = 0;

  // Maps one sealed secret to its replacement (open under the old key, seal under the new).
  using SecretResealer = std::function<Result<std::string>(std::string_view sealed)>;
  // What a re-seal batch records in the kMasterKeyCheckSetting setting, in its transaction:
  // `while_resealing` while endpoints remain after the batch, `when_done` with the batch
  // that re-seals the last endpoints (fewer than `limit`, possibly none).
  struct MasterKeyCheckUpdate {
    std::string while_resealing;
    std::string when_done;
  };
  // Re-seals the current and previous secrets, the client-certificate key and the sealed
  // header list (a plain one is left as it is) of up to `limit` endpoints (all tenants) whose
  // id is greater than `after` ("" = from the start), in id order, in one transaction that
  // also records `key_check`. Returns the last endpoint id of the batch, or nullopt when
  // none was left. An error from `reseal` rolls the whole batch back and is returned.
  // Callers loop, passing the returned id, so any number of endpoints is re-sealed without
  // one long transaction.
  virtual Result<std::optional<std::string>> reseal_endpoint_secrets(
      std::string_view after, int limit, const SecretResealer& reseal,
      const MasterKeyCheckUpdate& key_check) = 0;

  // --- event-type catalogue ---
  // Names are unique per tenant (Errc::conflict); lists are by name, ascending, and `after`
  // is the last name of the previous page. A schema change bumps `version`.
  virtual Result<EventType> create_event_type(const EventType& type) = 0;
  virtual Result<EventType> get_event_type(std::string_view tenant_id, std::string_view name) = 0;
  virtual Result<Page<EventType>> list_event_types(std::string_view tenant_id,
                                                   const PageRequest& page) = 0;
  virtual Result<EventType> update_event_type(std::string_view tenant_id, std::string_view name,
                                              const EventTypePatch& patch, Millis now) = 0;
  virtual Result<void> delete_event_type(std::string_view tenant_id, std::string_view name) = 0;

  // --- events ---
  // In one transaction: idempotency check (same tenant + key within 24 h of `now` returns
  // the earlier event, creates nothing), the event row, and one pending delivery (due now)
  // per enabled endpoint of the tenant whose subscriptions match the type and whose
  // `operational` flag equals the event's (see NewEvent::operational). Delivery ids come
  // from `new_delivery_id`, called once per delivery.
  virtual Result<IngestResult> ingest_event(const NewEvent& event, Millis now,
                                            const std::function<std::string()>& new_delivery_id) = 0;
  // Many events of one tenant (none operational) in one transaction, in order, each as
  // ingest_event would: an idempotency key taken by an earlier event of the same call is
  // seen like any other (the later event is a replay of the earlier). Answers one result per
  // event, in order. All or nothing: when any event cannot be stored (the tenant is gone, an
  // id is taken) the call fails and nothing of it is written.
  virtual Result<std::vector<IngestResult>> ingest_events(
      std::span<const NewEvent> events, Millis now,
      const std::function<std::string()>& new_delivery_id) = 0;
  // ingest_event without waiting for it: `done` runs exactly once with what ingest_event
  // would answer, only after the event is durable (or refused), possibly on another caller's
  // thread and possibly before this call returns. Lets an API thread hand an event to a group
  // commit and serve other requests meanwhile. `done` must be quick and must not call back
  // into the store. A store without a group commit runs ingest_event on the calling thread.
  using IngestDone = std::function<void(Result<IngestResult>)>;
  virtual void ingest_event_async(NewEvent event, Millis now,
                                  std::function<std::string()> new_delivery_id,
                                  IngestDone done) = 0;
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
  // Deliveries handed back with release_deliveries(…, handed_back_due) that nobody touched
  // since (still pending, unleased and due at handed_back_due) become due at `due_at`; any
  // other is left alone (attempted or retrying since, leased again, finished, deleted).
  // Returns how many moved.
  virtual Result<int> bring_forward_deliveries(std::span<const std::string> delivery_ids,
                                               Millis handed_back_due, Millis due_at) = 0;
  // The earliest time a pending delivery of an enabled endpoint becomes claimable
  // (max(next_attempt_at, lease_expires_at)), or nullopt when there is none.
  virtual Result<std::optional<Millis>> next_due_at() = 0;
  // Disables endpoints whose failing_since <= now - period, with a reason; returns them.
  virtual Result<std::vector<Endpoint>> disable_failing_endpoints(Millis now, Millis period) = 0;

  // --- retention (contract: serve --retention) ---
  // Examines up to `scan_limit` events created before `cutoff`, in (created_at, id) order
  // after `after` (nullopt = from the oldest), and deletes, in one transaction, each one
  // whose deliveries are all finished (succeeded or dead), with its deliveries and their
  // attempts. An event with a pending delivery is kept, also when a replay makes one
  // pending concurrently (the check and the delete are atomic). `next` is where the next
  // step continues, nullopt once the sweep reached `cutoff`. Callers loop with small limits,
  // so no step holds the writers up for long.
  virtual Result<PurgeStep> purge_finished_events(Millis cutoff,
                                                  const std::optional<EventCursor>& after,
                                                  int scan_limit) = 0;
  // Deletes up to `limit` idempotency keys taken before `cutoff`; returns how many.
  virtual Result<int> purge_idempotency_keys(Millis cutoff, int limit) = 0;
  // One bounded housekeeping step after a purge: SQLite hands surplus free pages back to the
  // file system (incremental vacuum), PostgreSQL folds the counters of ended sessions.
  virtual Result<void> reclaim_space() = 0;
  // Bytes the store's data takes (SQLite: used pages; PostgreSQL: the axon tables and their
  // indexes). Costs the same at any row count.
  virtual Result<std::int64_t> storage_bytes() = 0;

  // --- operator counters (dashboard, /metrics) ---
  // Maintained incrementally in the transactions that change a delivery's status, so
  // reading them costs the same at any row count. `pending_due` (claimable now) is counted
  // on the claim index up to kDueCountCap; the rest of the pending deliveries, including
  // any due ones beyond the cap, are `pending_scheduled`.
  // PostgreSQL fetches a heap row per counted entry (the claim index is on an expression,
  // so no index-only scan): the cap keeps a scrape in milliseconds with any backlog.
  static constexpr std::int64_t kDueCountCap = 10'000;
  struct Counts {
    std::int64_t pending_due = 0;
    std::int64_t pending_scheduled = 0;
    std::int64_t succeeded = 0;
    std::int64_t dead = 0;
  };
  virtual Result<Counts> delivery_counts(Millis now) = 0;

  // Seconds a store with one writer for every write (SQLite) has had it held since it
  // opened, by whose writes: foreground (API changes a client waits on, such as ingest) and
  // background (the dispatcher's claims and outcomes, retention). nullopt where writes run
  // side by side (PostgreSQL). Together near 1 s per second: writes queue for the writer.
  struct WriterBusy {
    double foreground_s = 0;
    double background_s = 0;
  };
  virtual std::optional<WriterBusy> writer_busy() { return std::nullopt; }

  // Called (from a store-owned thread) when another process may have queued work, e.g. a
  // PostgreSQL NOTIFY from the outbox or another node. SQLite has no other writers: no-op.
  virtual void set_work_callback(std::function<void()> on_work) { (void)on_work; }
};

// How to open a store, beyond its URL. The caller (app) reads flags and the environment;
// the store libraries never do.
struct StoreOptions {
  // PostgreSQL: a direct connection (not through a transaction-mode pooler) for LISTEN,
  // which needs a session of its own. Empty: LISTEN on --db itself.
  std::string notify_db_url;
  int pg_pool_size = 12;  // 8 API threads + the dispatcher lane, with spare
  // PostgreSQL: outcomes between the node's own VACUUMs of axon.queue; 0 = leave it to
  // autovacuum (store/postgres/pg_queue_vacuum.hpp).
  std::int64_t pg_queue_vacuum_rows = 5'000;
};

// Opens the store named by a --db URL: "sqlite:PATH" or "postgres://…"/"postgresql://…".
// Does not migrate.
Result<std::unique_ptr<Store>> open_store(std::string_view db_url, const StoreOptions& options = {});
Result<std::unique_ptr<Store>> open_sqlite_store(std::string_view path);  // sqlite/
Result<std::unique_ptr<Store>> open_postgres_store(std::string_view conninfo,
                                                   const StoreOptions& options = {});  // postgres/

}  // namespace axon
