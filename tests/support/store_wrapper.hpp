// StoreWrapper: a Store that forwards every method to another Store. Test doubles derive from
// it and override only what they change (fail a call, count calls), so no method is ever
// left answering something a real store would not. Every Store method is pure virtual, so a
// new one fails to compile here until it is forwarded.
// Thread-safety: that of the wrapped store (a subclass adds its own).
#pragma once

#include "store/store.hpp"

namespace axon::test {

class StoreWrapper : public Store {
 public:
  explicit StoreWrapper(Store& inner) : inner_(inner) {}

  Result<void> migrate() override { return inner_.migrate(); }
  Result<void> ping() override { return inner_.ping(); }
  Result<std::optional<std::string>> get_setting(std::string_view key) override {
    return inner_.get_setting(key);
  }
  Result<std::string> put_setting_if_absent(std::string_view key,
                                            std::string_view value) override {
    return inner_.put_setting_if_absent(key, value);
  }
  Result<void> put_setting(std::string_view key, std::string_view value) override {
    return inner_.put_setting(key, value);
  }

  Result<Tenant> create_tenant(const Tenant& tenant) override {
    return inner_.create_tenant(tenant);
  }
  Result<Tenant> get_tenant(std::string_view id) override { return inner_.get_tenant(id); }
  Result<Page<Tenant>> list_tenants(const PageRequest& page) override {
    return inner_.list_tenants(page);
  }
  Result<void> delete_tenant(std::string_view id) override { return inner_.delete_tenant(id); }

  Result<ApiKey> create_api_key(const ApiKey& key) override { return inner_.create_api_key(key); }
  Result<ApiKey> find_api_key_by_hash(std::string_view key_hash) override {
    return inner_.find_api_key_by_hash(key_hash);
  }
  Result<Page<ApiKey>> list_api_keys(std::string_view tenant_id,
                                     const PageRequest& page) override {
    return inner_.list_api_keys(tenant_id, page);
  }
  Result<void> revoke_api_key(std::string_view tenant_id, std::string_view key_id,
                              Millis now) override {
    return inner_.revoke_api_key(tenant_id, key_id, now);
  }

  Result<Endpoint> create_endpoint(const Endpoint& endpoint, int max_per_tenant) override {
    return inner_.create_endpoint(endpoint, max_per_tenant);
  }
  Result<Endpoint> get_endpoint(std::string_view tenant_id, std::string_view id) override {
    return inner_.get_endpoint(tenant_id, id);
  }
  Result<Page<Endpoint>> list_endpoints(std::string_view tenant_id,
                                        const PageRequest& page) override {
    return inner_.list_endpoints(tenant_id, page);
  }
  Result<Endpoint> update_endpoint(std::string_view tenant_id, std::string_view id,
                                   const EndpointPatch& patch, Millis now) override {
    return inner_.update_endpoint(tenant_id, id, patch, now);
  }
  Result<void> delete_endpoint(std::string_view tenant_id, std::string_view id) override {
    return inner_.delete_endpoint(tenant_id, id);
  }
  Result<Endpoint> rotate_endpoint_secret(std::string_view tenant_id, std::string_view id,
                                          std::string_view new_secret_sealed,
                                          Millis previous_expires_at, Millis now) override {
    return inner_.rotate_endpoint_secret(tenant_id, id, new_secret_sealed, previous_expires_at,
                                         now);
  }
  void seal_headers_with(const HeaderSealer& sealer) override { inner_.seal_headers_with(sealer); }
  Result<int> seal_plain_headers(int limit) override { return inner_.seal_plain_headers(limit); }
  Result<std::optional<std::string>> sample_sealed_secret() override {
    return inner_.sample_sealed_secret();
  }
  Result<std::optional<std::string>> reseal_endpoint_secrets(
      std::string_view after, int limit, const SecretResealer& reseal,
      const MasterKeyCheckUpdate& key_check) override {
    return inner_.reseal_endpoint_secrets(after, limit, reseal, key_check);
  }

  Result<EventType> create_event_type(const EventType& type) override {
    return inner_.create_event_type(type);
  }
  Result<EventType> get_event_type(std::string_view tenant_id, std::string_view name) override {
    return inner_.get_event_type(tenant_id, name);
  }
  Result<Page<EventType>> list_event_types(std::string_view tenant_id,
                                           const PageRequest& page) override {
    return inner_.list_event_types(tenant_id, page);
  }
  Result<EventType> update_event_type(std::string_view tenant_id, std::string_view name,
                                      const EventTypePatch& patch, Millis now) override {
    return inner_.update_event_type(tenant_id, name, patch, now);
  }
  Result<void> delete_event_type(std::string_view tenant_id, std::string_view name) override {
    return inner_.delete_event_type(tenant_id, name);
  }

  Result<IngestResult> ingest_event(const NewEvent& event, Millis now,
                                    const std::function<std::string()>& new_delivery_id) override {
    return inner_.ingest_event(event, now, new_delivery_id);
  }
  Result<std::vector<IngestResult>> ingest_events(
      std::span<const NewEvent> events, Millis now,
      const std::function<std::string()>& new_delivery_id) override {
    return inner_.ingest_events(events, now, new_delivery_id);
  }
  void ingest_event_async(NewEvent event, Millis now,
                          std::function<std::string()> new_delivery_id,
                          IngestDone done) override {
    inner_.ingest_event_async(std::move(event), now, std::move(new_delivery_id), std::move(done));
  }
  Result<Event> get_event(std::string_view tenant_id, std::string_view id) override {
    return inner_.get_event(tenant_id, id);
  }
  Result<Page<Event>> list_events(std::string_view tenant_id, const EventFilter& filter,
                                  const PageRequest& page) override {
    return inner_.list_events(tenant_id, filter, page);
  }

  Result<Delivery> get_delivery(std::string_view tenant_id, std::string_view id) override {
    return inner_.get_delivery(tenant_id, id);
  }
  Result<Page<Delivery>> list_deliveries(std::string_view tenant_id, const DeliveryFilter& filter,
                                         const PageRequest& page) override {
    return inner_.list_deliveries(tenant_id, filter, page);
  }
  Result<Delivery> replay_delivery(std::string_view tenant_id, std::string_view id,
                                   Millis now) override {
    return inner_.replay_delivery(tenant_id, id, now);
  }
  Result<int> replay_dead_since(std::string_view tenant_id, std::string_view endpoint_id,
                                Millis since, Millis now, int limit) override {
    return inner_.replay_dead_since(tenant_id, endpoint_id, since, now, limit);
  }

  Result<std::vector<DeliveryJob>> claim_due(std::string_view owner, Millis now, Millis lease_ms,
                                             int limit) override {
    return inner_.claim_due(owner, now, lease_ms, limit);
  }
  Result<void> complete_attempts(std::string_view owner, std::span<const AttemptRecord> records,
                                 Millis now) override {
    return inner_.complete_attempts(owner, records, now);
  }
  Result<void> release_leases(std::string_view owner) override {
    return inner_.release_leases(owner);
  }
  Result<void> release_deliveries(std::string_view owner,
                                  std::span<const std::string> delivery_ids,
                                  Millis due_at) override {
    return inner_.release_deliveries(owner, delivery_ids, due_at);
  }
  Result<int> bring_forward_deliveries(std::span<const std::string> delivery_ids,
                                       Millis handed_back_due, Millis due_at) override {
    return inner_.bring_forward_deliveries(delivery_ids, handed_back_due, due_at);
  }
  Result<std::optional<Millis>> next_due_at() override { return inner_.next_due_at(); }
  Result<std::vector<Endpoint>> disable_failing_endpoints(Millis now, Millis period) override {
    return inner_.disable_failing_endpoints(now, period);
  }

  Result<Counts> delivery_counts(Millis now) override { return inner_.delivery_counts(now); }
  Result<PurgeStep> purge_finished_events(Millis cutoff, const std::optional<EventCursor>& after,
                                          int scan_limit) override {
    return inner_.purge_finished_events(cutoff, after, scan_limit);
  }
  Result<int> purge_idempotency_keys(Millis cutoff, int limit) override {
    return inner_.purge_idempotency_keys(cutoff, limit);
  }
  Result<void> reclaim_space() override { return inner_.reclaim_space(); }
  Result<std::int64_t> storage_bytes() override { return inner_.storage_bytes(); }
  std::optional<WriterBusy> writer_busy() override { return inner_.writer_busy(); }
  void set_work_callback(std::function<void()> on_work) override {
    inner_.set_work_callback(std::move(on_work));
  }

 protected:
  Store& inner() { return inner_; }

 private:
  Store& inner_;
};

}  // namespace axon::test
