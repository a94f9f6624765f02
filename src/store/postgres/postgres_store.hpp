// PostgresStore: the Store on PostgreSQL through libpq. Several processes may share one
// database: leases are taken with FOR UPDATE SKIP LOCKED, migrations under an advisory
// lock, and LISTEN/NOTIFY on channel `axon_work` wakes every process when work is queued
// (also by the outbox function axon.emit_event, see pg_schema.cpp).
//
// Every method runs one transaction on a pooled connection (transact()): a broken
// connection is reopened and the transaction retried once if it had not reached COMMIT;
// serialization failures and deadlocks are retried; errors map by SQLSTATE (23505 conflict,
// 53100 storage_full, 08*/57P*/other 53* unavailable, else internal). The dispatcher's hot
// path (claim, outcomes, next due time) and the API's ingest are one function call each, run
// as a single statement in autocommit (autocommit()), which saves the BEGIN and COMMIT round
// trips.
// Thread-safety: all methods may be called concurrently (see Store).
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <type_traits>

#include "store/postgres/pg_fan_out_hints.hpp"
#include "store/postgres/pg_ingest_queue.hpp"
#include "store/postgres/pg_listener.hpp"
#include "store/postgres/pg_pool.hpp"
#include "store/postgres/pg_queue_vacuum.hpp"
#include "store/rules.hpp"
#include "store/store.hpp"

namespace axon::pg {

struct PostgresOptions {
  int pool_size = 12;
  std::string notify_conninfo;  // LISTEN here; empty = the pool's conninfo
  QueueVacuum::Policy queue_vacuum;  // when outcomes trigger a VACUUM of axon.queue
};

// A logical failure raised inside a transaction body (not_found, conflict, …): the
// transaction rolls back and the method returns this error.
struct StoreFailure {
  Error error;
};
[[noreturn]] inline void raise(Errc code, std::string message) {
  throw StoreFailure{Error{code, std::move(message)}};
}
[[noreturn]] inline void raise(Error error) { throw StoreFailure{std::move(error)}; }
// What a Store method returns for a PgError raised while doing `what`.
inline Error failure(std::string_view what, const PgError& e) {
  std::string message = std::string(what) + ": " + e.what();
  if (e.errc() == Errc::storage_full) return storage_full_error(message);
  return Error{e.errc(), std::move(message)};
}
using store_rules::Resource;

class PostgresStore final : public Store {
 public:
  PostgresStore(std::string conninfo, PostgresOptions options);
  ~PostgresStore() override;

  Result<void> migrate() override;
  Result<void> ping() override;
  Result<std::optional<std::string>> get_setting(std::string_view key) override;
  Result<std::string> put_setting_if_absent(std::string_view key, std::string_view value) override;
  Result<void> put_setting(std::string_view key, std::string_view value) override;

  Result<Tenant> create_tenant(const Tenant& tenant) override;
  Result<Tenant> get_tenant(std::string_view id) override;
  Result<Page<Tenant>> list_tenants(const PageRequest& page) override;
  Result<void> delete_tenant(std::string_view id) override;
  Result<EventType> create_event_type(const EventType& type) override;
  Result<EventType> get_event_type(std::string_view tenant_id, std::string_view name) override;
  Result<Page<EventType>> list_event_types(std::string_view tenant_id,
                                           const PageRequest& page) override;
  Result<EventType> update_event_type(std::string_view tenant_id, std::string_view name,
                                      const EventTypePatch& patch, Millis now) override;
  Result<void> delete_event_type(std::string_view tenant_id, std::string_view name) override;

  Result<ApiKey> create_api_key(const ApiKey& key) override;
  Result<ApiKey> find_api_key_by_hash(std::string_view key_hash) override;
  Result<Page<ApiKey>> list_api_keys(std::string_view tenant_id, const PageRequest& page) override;
  Result<void> revoke_api_key(std::string_view tenant_id, std::string_view key_id,
                              Millis now) override;

  Result<Endpoint> create_endpoint(const Endpoint& endpoint, int max_per_tenant) override;
  Result<Endpoint> get_endpoint(std::string_view tenant_id, std::string_view id) override;
  Result<Page<Endpoint>> list_endpoints(std::string_view tenant_id,
                                        const PageRequest& page) override;
  Result<Endpoint> update_endpoint(std::string_view tenant_id, std::string_view id,
                                   const EndpointPatch& patch, Millis now) override;
  Result<void> delete_endpoint(std::string_view tenant_id, std::string_view id) override;
  Result<Endpoint> rotate_endpoint_secret(std::string_view tenant_id, std::string_view id,
                                          std::string_view new_secret_sealed,
                                          Millis previous_expires_at, Millis now) override;
  Result<std::optional<std::string>> sample_sealed_secret() override;
  Result<std::optional<std::string>> reseal_endpoint_secrets(
      std::string_view after, int limit, const SecretResealer& reseal,
      const MasterKeyCheckUpdate& key_check) override;
  void seal_headers_with(const HeaderSealer& sealer) override { header_sealer_ = &sealer; }
  Result<int> seal_plain_headers(int limit) override;

  Result<IngestResult> ingest_event(const NewEvent& event, Millis now,
                                    const std::function<std::string()>& new_delivery_id) override;
  Result<std::vector<IngestResult>> ingest_events(
      std::span<const NewEvent> events, Millis now,
      const std::function<std::string()>& new_delivery_id) override;
  // ingest_event and ingest_events run on the caller's thread, one function call each in
  // autocommit (call_with_delivery_ids). ingest_event_async is queued for a group commit
  // (pg_ingest_queue.hpp, commit_ingests), which stores a tenant's events with ingest_events.
  void ingest_event_async(NewEvent event, Millis now,
                          std::function<std::string()> new_delivery_id,
                          IngestDone done) override;
  Result<Event> get_event(std::string_view tenant_id, std::string_view id) override;
  Result<Page<Event>> list_events(std::string_view tenant_id, const EventFilter& filter,
                                  const PageRequest& page) override;

  Result<Delivery> get_delivery(std::string_view tenant_id, std::string_view id) override;
  Result<Page<Delivery>> list_deliveries(std::string_view tenant_id, const DeliveryFilter& filter,
                                         const PageRequest& page) override;
  Result<Delivery> replay_delivery(std::string_view tenant_id, std::string_view id,
                                   Millis now) override;
  Result<int> replay_dead_since(std::string_view tenant_id, std::string_view endpoint_id,
                                Millis since, Millis now, int limit) override;

  Result<std::vector<DeliveryJob>> claim_due(std::string_view owner, Millis now, Millis lease_ms,
                                             int limit) override;
  Result<void> complete_attempts(std::string_view owner, std::span<const AttemptRecord> records,
                                 Millis now) override;
  Result<void> release_leases(std::string_view owner) override;
  Result<void> release_deliveries(std::string_view owner, std::span<const std::string> delivery_ids,
                                  Millis due_at) override;
  Result<int> bring_forward_deliveries(std::span<const std::string> delivery_ids,
                                       Millis handed_back_due, Millis due_at) override;
  Result<std::optional<Millis>> next_due_at() override;
  Result<std::vector<Endpoint>> disable_failing_endpoints(Millis now, Millis period) override;
  Result<PurgeStep> purge_finished_events(Millis cutoff, const std::optional<EventCursor>& after,
                                          int scan_limit) override;
  Result<int> purge_idempotency_keys(Millis cutoff, int limit) override;
  Result<void> reclaim_space() override;
  Result<std::int64_t> storage_bytes() override;
  Result<Counts> delivery_counts(Millis now) override;

  void set_work_callback(std::function<void()> on_work) override;

 private:
  // Runs once(bool& committing) until it succeeds or may not be retried (the rules above);
  // `once` sets `committing` when a lost connection leaves the outcome unknown.
  template <class Once>
  auto with_retries(std::string_view what, Once&& once)
      -> Result<std::invoke_result_t<Once&, bool&>>;
  // Runs body(Transaction&) in one transaction with the retry rules above.
  template <class F>
  auto transact(std::string_view what, F&& body) -> Result<std::invoke_result_t<F&, Transaction&>>;
  // Runs body(PgConnection&), which sends ONE statement: the server runs it as a transaction
  // of its own. Retried as transact() does, including once after the connection broke during
  // the statement, whose outcome is then unknown: only for statements that may run twice.
  template <class F>
  auto autocommit(std::string_view what, F&& body)
      -> Result<std::invoke_result_t<F&, PgConnection&>>;

  // ingest_event's and ingest_events' calls with the delivery ids they need (the template is
  // defined and used in pg_store_events.cpp).
  template <class T, class Call>
  Result<T> call_with_delivery_ids(std::string_view what, std::size_t wanted,
                                   const std::function<std::string()>& new_delivery_id,
                                   Call&& call);

  // The group commit of ingest_event_async: each tenant's events of the batch go in through
  // ingest_events (one transaction); a group that fails is stored again one event at a time,
  // so one event's refusal does not refuse the others.
  void commit_ingests(std::vector<IngestQueue::Pending>& batch);
  // VACUUM of axon.queue (QueueVacuum's thread); a failure is logged, the next one retries.
  // False when this role may not vacuum the table.
  bool vacuum_queue();

  PgPool pool_;
  const bool notify_is_separate_;      // --notify-db was given
  const std::string notify_conninfo_;  // where the listener connects
  std::atomic<const HeaderSealer*> header_sealer_{nullptr};  // set once, before serving
  std::mutex listener_mu_;
  std::mutex claim_cursor_mu_;
  std::string claim_cursor_;  // guarded by claim_cursor_mu_: the claim turn starts after this tenant
  std::unique_ptr<PgListener> listener_;
  FanOutHints fan_out_hints_;  // ingest_event's delivery ids to draw per tenant
  std::optional<bool> may_vacuum_queue_;  // only touched by queue_vacuum_'s thread
  QueueVacuum queue_vacuum_;   // fed by complete_attempts
  // Last: destroyed first, while the pool its committers use is still there.
  IngestQueue ingest_queue_;
};

template <class Once>
auto PostgresStore::with_retries(std::string_view what, Once&& once)
    -> Result<std::invoke_result_t<Once&, bool&>> {
  using T = std::invoke_result_t<Once&, bool&>;
  constexpr int kMaxAttempts = 5;  // for serialization failures and deadlocks
  bool reconnected = false;
  for (int attempt = 1;; ++attempt) {
    bool committing = false;
    try {
      if constexpr (std::is_void_v<T>) {
        once(committing);
        return {};
      } else {
        return once(committing);
      }
    } catch (const PgError& e) {
      if (e.retry_transaction() && !committing && attempt < kMaxAttempts) continue;
      if (e.connection_lost()) {
        // A restart kills every pooled connection: drop the idle ones too, so the retry
        // (and later calls) get a fresh session instead of another dead one.
        pool_.drop_idle();
        if (committing) {
          return fail(Errc::unavailable,
                      std::string(what) + ": connection lost during COMMIT: " + e.what());
        }
        if (!reconnected) {
          reconnected = true;
          continue;
        }
      }
      return std::unexpected(failure(what, e));
    } catch (const StoreFailure& f) {
      return std::unexpected(f.error);
    } catch (const std::exception& e) {
      return fail(Errc::internal, std::string(what) + ": " + e.what());
    }
  }
}

template <class F>
auto PostgresStore::transact(std::string_view what, F&& body)
    -> Result<std::invoke_result_t<F&, Transaction&>> {
  return with_retries(what, [&](bool& committing) {
    PgPool::Lease conn = pool_.acquire();
    Transaction tx(*conn);
    if constexpr (std::is_void_v<std::invoke_result_t<F&, Transaction&>>) {
      body(tx);
      committing = true;
      tx.commit();
    } else {
      auto value = body(tx);
      committing = true;
      tx.commit();
      return value;
    }
  });
}

template <class F>
auto PostgresStore::autocommit(std::string_view what, F&& body)
    -> Result<std::invoke_result_t<F&, PgConnection&>> {
  return with_retries(what, [&](bool&) {
    PgPool::Lease conn = pool_.acquire();
    return body(*conn);
  });
}

}  // namespace axon::pg
