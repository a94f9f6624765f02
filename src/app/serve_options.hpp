// Options of `axon-webhooks serve` (docs/operations.md, "Configuration"): each has a flag,
// most an environment variable, and a default; the flag wins over the environment.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "store/store.hpp"

namespace axon {

struct ServeOptions {
  std::string db_url = "sqlite:./var/axon.db";          // --db / AXON_DB
  // A direct PostgreSQL connection for LISTEN when --db goes through a transaction-mode
  // pooler (which cannot hold a LISTEN session); empty = LISTEN on --db.
  std::string notify_db_url;                           // --notify-db / AXON_NOTIFY_DB
  int pg_pool_size = StoreOptions{}.pg_pool_size;      // env AXON_PG_POOL_SIZE (no flag)
  // env AXON_PG_QUEUE_VACUUM_ROWS (no flag; 0 = leave the queue to autovacuum)
  std::int64_t pg_queue_vacuum_rows = StoreOptions{}.pg_queue_vacuum_rows;
  std::string listen_host = "127.0.0.1";               // --listen / AXON_LISTEN
  std::uint16_t listen_port = 8080;
  std::optional<std::string> admin_token;              // --admin-token / AXON_ADMIN_TOKEN
  std::vector<Millis> retry_schedule;                  // --retry-schedule / AXON_RETRY_SCHEDULE
  Millis request_timeout = 15'000;                     // --request-timeout / AXON_REQUEST_TIMEOUT
  bool allow_private_targets = false;                  // --allow-private-targets
  std::optional<std::string> master_key_file;          // --master-key-file / AXON_MASTER_KEY_FILE
  std::optional<std::string> ca_file;                  // --ca-file / AXON_CA_FILE
  std::optional<std::string> egress_proxy;             // --egress-proxy / AXON_EGRESS_PROXY
  Millis auto_disable_after = 5LL * 24 * 3600 * 1000;  // --auto-disable-after
  int operational_failing_after = 3;                   // --operational-failing-after (env AXON_…)
  Millis retention = 30LL * 24 * 3600 * 1000;          // --retention / AXON_RETENTION (0 = keep all)
  std::optional<int> api_threads;                      // --api-threads (default_api_threads)
  double api_rate_limit = 1000;                        // --api-rate-limit (req/s per credential; 0 = off)
  double api_rate_burst = 0;                           // --api-rate-burst (0 = 2 x the rate)
  int max_endpoints_per_tenant = 1000;                 // --max-endpoints-per-tenant (env AXON_…)
  std::string log_level = "info";                      // --log-level / AXON_LOG_LEVEL
  std::string log_format = "text";                     // --log-format / AXON_LOG_FORMAT
};

inline constexpr const char* kDefaultRetrySchedule = "5s,5m,30m,2h,5h,10h,10h";

// --retention: a duration ("30d", "12h", "5m") or "0" to keep everything.
// HTTP threads when --api-threads is not given. SQLite: no API thread waits for a commit
// (a single event is answered from the group commit's completion), so one thread per core
// (at least 2) keeps the CPUs busy, and more would only switch contexts. PostgreSQL: single
// events go to a group commit too, but every other request holds its thread for its round
// trips to the database, so more threads than cores (8) keep those concurrent.
int default_api_threads(std::string_view db_url, unsigned cores);

Result<Millis> parse_retention(std::string_view text);

// "HOST:PORT", "[::1]:PORT" or ":PORT".
Result<std::pair<std::string, std::uint16_t>> parse_listen_address(std::string_view text);

}  // namespace axon
