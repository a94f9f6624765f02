// SqliteStore: the embedded Store, one SQLite database file in WAL mode.
//
// Checkpoints run on a background thread (sqlite_checkpointer.hpp), not inside COMMIT.
// Ingests share group commits (sqlite_events.cpp); a committer thread, started on the first
// ingest_event_async, writes them for async callers so those never wait for the writer.
//
// Connections: one writer connection, guarded by writer_turns_, through which every write
// goes as a BEGIN IMMEDIATE transaction (SQLite allows one writer at a time anyway; taking
// the lock up front means a transaction never fails half way). The dispatcher's writes and
// retention are background writes: a group commit that API clients wait on takes turns with
// them instead of queueing behind them (writer_turns.hpp). Reads use a small pool of
// reader connections, so a long list or count never waits for, or blocks, the writer (WAL
// gives each reader a consistent snapshot). An in-memory database (":memory:") has a single
// connection that serves reads too.
//
// Spec string given to open(): "PATH" or "PATH?sync=full" (fsync every commit; the default,
// synchronous=NORMAL, survives process crashes but may lose the last commits on power loss,
// see sqlite_connection.cpp).
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <tuple>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "store/sqlite/sqlite_checkpointer.hpp"
#include "store/sqlite/sqlite_connection.hpp"
#include "store/sqlite/writer_turns.hpp"
#include "store/store.hpp"

namespace axon::sqlite {

class SqliteStore final : public Store {
 public:
  static Result<std::unique_ptr<SqliteStore>> open(std::string_view spec);
  ~SqliteStore() override;

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
  std::optional<WriterBusy> writer_busy() override;

 private:
  // An ingest waiting for its group commit (see ingest_events).
  struct PendingIngest {
    std::span<const NewEvent> events;  // one call's events: stored all or nothing
    Millis now = 0;
    const std::function<std::string()>* new_delivery_id = nullptr;
    // Runs once, after the commit, without ingest_mu_ held; must not throw.
    std::function<void(Result<std::vector<IngestResult>>)> done;
    // What `events` and `new_delivery_id` point to when the caller does not wait (async).
    NewEvent owned_event;
    std::function<std::string()> owned_new_delivery_id;
  };
  // Queues `call`. With `may_lead`, a caller that finds no commit running writes batches
  // until the queue is empty, then returns; without (async callers: API threads must not wait
  // for the writer), the committer thread does (see ingest_events).
  void enqueue_ingest(std::unique_ptr<PendingIngest> call, bool may_lead);
  // Under ingest_mu_ (held by `lock`): writes batches until the queue is empty.
  void lead_ingest(std::unique_lock<std::mutex>& lock);
  void run_committer();
  std::vector<Result<std::vector<IngestResult>>> ingest_batch(
      const std::vector<std::unique_ptr<PendingIngest>>& batch);
  // Where events of one (tenant, operational, type) fan out to, looked up once per batch: the
  // endpoints cannot change while the writer holds the transaction (a call rolled back to its
  // savepoint undoes only its own writes, never what an entry was read from). An entry also
  // means the tenant exists.
  struct FanOutTarget {
    std::string endpoint_id;
    bool fifo;
  };
  using FanOutCache =
      std::map<std::tuple<std::string, bool, std::string>, std::vector<FanOutTarget>>;
  Result<std::vector<IngestResult>> ingest_call(Connection& c, const PendingIngest& call,
                                                FanOutCache& fan_out);
  Result<IngestResult> ingest_one(Connection& c, const NewEvent& event, Millis now,
                                  const std::function<std::string()>& new_delivery_id,
                                  FanOutCache& fan_out);

  SqliteStore(std::string path, ConnectionOptions options, std::unique_ptr<Connection> writer,
              std::unique_ptr<Checkpointer> checkpointer);

  // Runs fn(connection) with the writer connection, holding writer_turns_ as a foreground
  // writer, turning SqlError and other exceptions into an Error.
  template <class F>
  auto write(F&& fn) -> decltype(fn(std::declval<Connection&>()));
  // The same for work nobody waits on by the millisecond (dispatcher, retention).
  template <class F>
  auto background_write(F&& fn) -> decltype(fn(std::declval<Connection&>()));
  // Runs fn(connection) on a pooled reader connection.
  template <class F>
  auto read(F&& fn) -> decltype(fn(std::declval<Connection&>()));

  std::unique_ptr<Connection> acquire_reader();
  void release_reader(std::unique_ptr<Connection> conn);

  // Subscriptions of an endpoint, parsed once per distinct JSON text (writer side only).
  const std::optional<std::vector<std::string>>& subscriptions(
      const std::string& endpoint_id, const std::optional<std::string>& json);

  const std::string path_;
  const ConnectionOptions options_;
  const bool in_memory_;

  std::atomic<const HeaderSealer*> header_sealer_{nullptr};  // set once, before serving

  WriterTurns writer_turns_;
  std::unique_ptr<Connection> writer_;  // guarded by writer_turns_
  std::unique_ptr<Checkpointer> checkpointer_;  // null for an in-memory database
  struct CachedSubscriptions {
    std::optional<std::string> json;
    std::optional<std::vector<std::string>> patterns;
  };
  std::unordered_map<std::string, CachedSubscriptions> subscriptions_;  // guarded by writer_turns_
  std::string claim_cursor_;  // guarded by writer_turns_: the claim turn starts after this tenant

  std::mutex ingest_mu_;
  std::condition_variable ingest_cv_;
  std::vector<std::unique_ptr<PendingIngest>> ingest_queue_;  // guarded by ingest_mu_
  bool ingest_leader_ = false;  // guarded by ingest_mu_: a caller is writing batches
  std::condition_variable committer_cv_;  // wakes committer_ (with ingest_mu_)
  bool committer_stopping_ = false;       // guarded by ingest_mu_
  std::thread committer_;  // leads for async calls; started on the first one (ingest_mu_)

  std::mutex readers_mu_;
  std::vector<std::unique_ptr<Connection>> idle_readers_;  // guarded by readers_mu_
};

}  // namespace axon::sqlite
