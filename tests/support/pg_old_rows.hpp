// Rows that the migration tests write under an older schema before migrating (with
// database_before, pg_server.hpp): the columns they name exist in every schema version since
// the delivery queue (migration 12).
#pragma once

namespace axon::test {

// ten_1 (endpoints ep_a, ep_b) stored evt_1 (type a.b, payload {"n":1}) under the key "k-1"
// a minute before 1,764,000,000,000 ms; its two deliveries, dlv_1 and dlv_2, are pending.
inline constexpr const char* kTenantWithAKeyedEvent = R"sql(
INSERT INTO axon.tenants VALUES ('ten_1', 'acme', 0);
INSERT INTO axon.endpoints (id, tenant_id, url, secret_sealed, created_at, updated_at)
VALUES ('ep_a', 'ten_1', 'http://127.0.0.1:9/a', 'sealed', 0, 0),
       ('ep_b', 'ten_1', 'http://127.0.0.1:9/b', 'sealed', 0, 0);
INSERT INTO axon.events (id, tenant_id, type, payload, idempotency_key, deliveries, created_at)
VALUES ('evt_1', 'ten_1', 'a.b', '{"n":1}', 'k-1', 2, 1763999940000);
INSERT INTO axon.idempotency_keys (tenant_id, key, event_id, created_at)
VALUES ('ten_1', 'k-1', 'evt_1', 1763999940000);
INSERT INTO axon.deliveries (id, tenant_id, event_id, endpoint_id, event_type, status, attempts,
                             series_start, next_attempt_at, created_at, updated_at) VALUES
  ('dlv_1', 'ten_1', 'evt_1', 'ep_a', 'a.b', 'pending', 0, 0, 1763999940000, 0, 0),
  ('dlv_2', 'ten_1', 'evt_1', 'ep_b', 'a.b', 'pending', 0, 0, 1763999940000, 0, 0);
INSERT INTO axon.queue (delivery_id, tenant_id, endpoint_id, due_at) VALUES
  ('dlv_1', 'ten_1', 'ep_a', 1763999940000), ('dlv_2', 'ten_1', 'ep_b', 1763999940000);
)sql";

}  // namespace axon::test
