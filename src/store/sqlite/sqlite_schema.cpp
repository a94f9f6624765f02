#include "store/sqlite/sqlite_schema.hpp"

namespace axon::sqlite {
namespace {

// Notes on the design (v1):
// - Times are INTEGER epoch ms. Statuses and ordering are short TEXT values, readable with
//   the sqlite3 shell.
// - Idempotency keys live in their own table, one row per (tenant, key) pointing at the
//   event that took the key. A key older than 24 h is simply overwritten by the next event
//   that uses it, so the old event keeps its idempotency_key column but no longer blocks.
// - deliveries.claimable_at is the claim queue: the time from which a delivery may be
//   leased, or NULL when it may not be leased at all (not pending, its endpoint disabled,
//   or it is not the head of a FIFO endpoint). While leased it equals the lease expiry.
//   The partial index on it holds only claimable rows, so claim_due never scans parked
//   backlogs (a disabled endpoint's or a FIFO endpoint's queue).
// - deliveries.endpoint_id has no foreign key: deleting an endpoint keeps its deliveries
//   (they become dead) so the history stays readable.
constexpr const char* kV1 = R"sql(
CREATE TABLE settings (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE tenants (
  id         TEXT PRIMARY KEY,
  name       TEXT NOT NULL,
  created_at INTEGER NOT NULL
);

CREATE TABLE api_keys (
  id         TEXT PRIMARY KEY,
  tenant_id  TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  key_hash   TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  revoked_at INTEGER
);
CREATE UNIQUE INDEX api_keys_hash ON api_keys(key_hash);
CREATE INDEX api_keys_tenant ON api_keys(tenant_id, id);

CREATE TABLE endpoints (
  id                         TEXT PRIMARY KEY,
  tenant_id                  TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  url                        TEXT NOT NULL,
  description                TEXT NOT NULL DEFAULT '',
  event_types                TEXT,                 -- JSON array, NULL = every type
  headers                    TEXT NOT NULL DEFAULT '[]',  -- JSON [[name, value], ...]
  disabled                   INTEGER NOT NULL DEFAULT 0,
  disabled_reason            TEXT NOT NULL DEFAULT '',
  max_in_flight              INTEGER NOT NULL DEFAULT 0,
  rate_limit                 REAL NOT NULL DEFAULT 0,
  ordering                   TEXT NOT NULL DEFAULT 'parallel'
                             CHECK (ordering IN ('parallel', 'fifo')),
  secret_sealed              TEXT NOT NULL,
  previous_secret_sealed     TEXT,
  previous_secret_expires_at INTEGER,
  failing_since              INTEGER,
  created_at                 INTEGER NOT NULL,
  updated_at                 INTEGER NOT NULL
);
CREATE INDEX endpoints_tenant ON endpoints(tenant_id, id);
CREATE INDEX endpoints_failing ON endpoints(failing_since) WHERE failing_since IS NOT NULL;

CREATE TABLE events (
  id              TEXT PRIMARY KEY,
  tenant_id       TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  type            TEXT NOT NULL,
  payload         TEXT NOT NULL,
  idempotency_key TEXT,
  deliveries      INTEGER NOT NULL DEFAULT 0,
  created_at      INTEGER NOT NULL
);
CREATE INDEX events_tenant ON events(tenant_id, id);

CREATE TABLE idempotency_keys (
  tenant_id  TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  key        TEXT NOT NULL,
  event_id   TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, key)
) WITHOUT ROWID;

CREATE TABLE deliveries (
  id               TEXT PRIMARY KEY,
  tenant_id        TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  event_id         TEXT NOT NULL REFERENCES events(id) ON DELETE CASCADE,
  endpoint_id      TEXT NOT NULL,
  event_type       TEXT NOT NULL,
  status           TEXT NOT NULL DEFAULT 'pending'
                   CHECK (status IN ('pending', 'succeeded', 'dead')),
  attempts         INTEGER NOT NULL DEFAULT 0,
  series_start     INTEGER NOT NULL DEFAULT 0,
  next_attempt_at  INTEGER NOT NULL,
  lease_owner      TEXT,
  lease_expires_at INTEGER,
  claimable_at     INTEGER,
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL
);
CREATE INDEX deliveries_tenant ON deliveries(tenant_id, id);
CREATE INDEX deliveries_tenant_status ON deliveries(tenant_id, status, id);
CREATE INDEX deliveries_event ON deliveries(event_id, id);
CREATE INDEX deliveries_endpoint ON deliveries(endpoint_id, status, id);
CREATE INDEX deliveries_claimable ON deliveries(claimable_at, id) WHERE claimable_at IS NOT NULL;
CREATE INDEX deliveries_leased ON deliveries(lease_owner) WHERE lease_owner IS NOT NULL;

CREATE TABLE attempts (
  delivery_id      TEXT NOT NULL REFERENCES deliveries(id) ON DELETE CASCADE,
  n                INTEGER NOT NULL,
  started_at       INTEGER NOT NULL,
  duration_ms      INTEGER NOT NULL DEFAULT 0,
  status_code      INTEGER NOT NULL DEFAULT 0,
  error            TEXT NOT NULL DEFAULT '',
  error_message    TEXT NOT NULL DEFAULT '',
  response_excerpt TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (delivery_id, n)
);
)sql";

// v2: the event-type catalogue (issue 9). Names are unique per tenant; the schema is JSON text.
constexpr const char* kV2 = R"sql(
CREATE TABLE event_types (
  tenant_id   TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  name        TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  deprecated  INTEGER NOT NULL DEFAULT 0,
  schema      TEXT,
  version     INTEGER NOT NULL DEFAULT 1,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, name)
);
)sql";

// v3: operational endpoints (issue 9) receive only operational events, normal ones never.
constexpr const char* kV3 = R"sql(
ALTER TABLE endpoints ADD COLUMN operational INTEGER NOT NULL DEFAULT 0;
)sql";

// Retention and counters that cost the same at any size (issue 15).
// - events_created: the purge sweeps events in (created_at, id) order from a cursor.
// - idempotency_keys_created: keys older than 24 h are purged in batches.
// - delivery_counts: deliveries per status, kept in step by triggers in the same
//   transaction as every insert, status change and delete (ingest, outcomes, replays,
//   endpoint and tenant deletion, the purge), so /metrics reads three rows instead of
//   counting the table. Initialised here from the rows already stored.
constexpr const char* kRetention = R"sql(
CREATE INDEX events_created ON events(created_at, id);
CREATE INDEX idempotency_keys_created ON idempotency_keys(created_at);

CREATE TABLE delivery_counts (
  status TEXT PRIMARY KEY,
  n      INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO delivery_counts (status, n) VALUES ('pending', 0), ('succeeded', 0), ('dead', 0);
UPDATE delivery_counts
   SET n = (SELECT count(*) FROM deliveries d WHERE d.status = delivery_counts.status);

CREATE TRIGGER deliveries_count_insert AFTER INSERT ON deliveries BEGIN
  UPDATE delivery_counts SET n = n + 1 WHERE status = new.status;
END;
CREATE TRIGGER deliveries_count_delete AFTER DELETE ON deliveries BEGIN
  UPDATE delivery_counts SET n = n - 1 WHERE status = old.status;
END;
CREATE TRIGGER deliveries_count_status AFTER UPDATE OF status ON deliveries
  WHEN old.status <> new.status BEGIN
  UPDATE delivery_counts SET n = n - 1 WHERE status = old.status;
  UPDATE delivery_counts SET n = n + 1 WHERE status = new.status;
END;
)sql";


// Client certificates of endpoints (mTLS, issue 16): the PEM chain, and its private key
// sealed under the master key like the signing secrets. Existing endpoints have none.
constexpr const char* kClientCertificates = R"sql(
ALTER TABLE endpoints ADD COLUMN tls_client_certificate TEXT;
ALTER TABLE endpoints ADD COLUMN tls_client_key_sealed TEXT;
)sql";

// Claims shared among tenants: the claim finds the tenants with claimable work by a skip
// scan and takes each one's oldest due deliveries from this index.
constexpr const char* kClaimByTenant = R"sql(
CREATE INDEX deliveries_claimable_by_tenant ON deliveries(tenant_id, claimable_at, id)
  WHERE claimable_at IS NOT NULL;
)sql";

// Delivery counters kept by the statements that insert deliveries or change their status
// (count_deliveries in the same transaction) instead of row triggers: a trigger on the
// deliveries table made each insert and outcome update open a statement journal, which
// copied every page it touched (a third of an outcome's cost). Deletes are rare (purge,
// tenant deletion cascades) and keep their trigger, so cascades stay counted.
constexpr const char* kCountsInStatements = R"sql(
DROP TRIGGER IF EXISTS deliveries_count_insert;
DROP TRIGGER IF EXISTS deliveries_count_status;
)sql";

constexpr const char* kMigrations[] = {kV1,        kV2,           kV3,
                                       kRetention, kClientCertificates, kClaimByTenant,
                                       kCountsInStatements};

}  // namespace

std::span<const char* const> migrations() { return kMigrations; }

}  // namespace axon::sqlite
