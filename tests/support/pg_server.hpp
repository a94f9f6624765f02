// PgServer: a throwaway PostgreSQL server for tests. It runs initdb into a mkdtemp
// directory, listens only on 127.0.0.1 on a free port (and a unix socket inside the temp
// dir), with fsync off, and is stopped (pg_ctl -m immediate) and deleted on destruction.
// PostgreSQL refuses to run as root: as root, initdb/pg_ctl run as the `postgres` system
// user (or `axon-test`, created if neither exists) via runuser.
//
// One server serves the whole pg_tests binary (PgServer::shared(), started by the global
// environment in tests/store/pg_environment_pgtest.cpp); each test creates its own database.
// Failures throw std::runtime_error (test support only).
// Thread-safety: create_database may be called from several threads; stop/start/restart
// must not race with each other.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "store/postgres/pg_connection.hpp"
#include "store/store.hpp"

namespace axon::test {

class PgServer {
 public:
  PgServer();  // initdb + start
  ~PgServer();
  PgServer(const PgServer&) = delete;
  PgServer& operator=(const PgServer&) = delete;

  // Creates a new empty database (named `name`, or t_1, t_2, … when empty) and returns
  // its libpq URI.
  std::string create_database(std::string_view name = {});
  // postgres://postgres@127.0.0.1:PORT/DB
  std::string url(std::string_view database) const;
  int port() const { return port_; }

  void stop();  // immediate shutdown: clients see their connections drop
  void start();
  void restart() {
    stop();
    start();
  }

  // The server shared by the test binary; nullptr outside pg_tests or if it failed to start.
  static PgServer* shared();
  static void set_shared(PgServer* server);

 private:
  void run(const std::vector<std::string>& args) const;

  std::string bindir_;
  std::string dir_;     // temp root: data/, the socket and the log live here
  std::string run_as_;  // user to run the server binaries as ("" = ourselves)
  int port_ = 0;
  bool running_ = false;
  std::atomic<int> next_database_{0};
};

// Opens a Store on a new database of `server` and migrates it; *url_out receives the URL.
// Throws std::runtime_error when that fails.
std::unique_ptr<Store> open_migrated_pg_store(PgServer& server, std::string* url_out = nullptr);

// Small fixtures shared by the *_pgtest.cpp files (they do not need core/ids: ids here are
// a prefix and a zero-padded counter, which sort in creation order like real ones).
std::string test_id(std::string_view prefix);
Tenant add_tenant(Store& store, Millis now);
struct EndpointSpec {
  std::optional<std::vector<std::string>> event_types;
  Ordering ordering = Ordering::parallel;
  bool disabled = false;
};
Endpoint add_endpoint(Store& store, const std::string& tenant_id, Millis now,
                      const EndpointSpec& spec = {});
// Ingests an event of `type` (payload {"n":…}) due at `now`.
IngestResult add_event(Store& store, const std::string& tenant_id, std::string_view type,
                       Millis now, std::optional<std::string> idempotency_key = std::nullopt);

// What the migration tests share. A new database at schema `version` - 1, with `old_rows`
// (SQL) written as that schema's code wrote them; *url_out receives its URL. The test then
// opens a store on it and migrates. Throws std::runtime_error when that fails.
std::string database_before(PgServer& server, int version, std::string_view old_rows);
// database_before, then a Store opened on it and migrated to the latest schema (for a test
// with nothing to check before the migration). Throws std::runtime_error when that fails.
std::unique_ptr<Store> open_upgraded_pg_store(PgServer& server, int version,
                                              std::string_view old_rows,
                                              std::string* url_out = nullptr);
// The first column of the first row of `sql`, as a number (counts in the tests' checks).
std::int64_t pg_scalar(pg::PgConnection& conn, std::string_view sql);
// The outcome of attempt job.attempt, started at `at`: answered `status_code`, moving the
// delivery to `status`.
AttemptRecord attempt_outcome(const DeliveryJob& job, DeliveryStatus status, Millis at,
                              int status_code);

}  // namespace axon::test
