// The Store conformance suite on PostgresStore: every test gets a fresh database (CREATE
// DATABASE t_N on the server the environment started) with the schema migrated.
#include "store/store_conformance.hpp"
#include "support/pg_server.hpp"

namespace axon::test {
namespace {

std::unique_ptr<Store> fresh_postgres_store() {
  PgServer* server = PgServer::shared();
  if (!server) throw std::runtime_error("no PostgreSQL server (see pg_environment_pgtest.cpp)");
  return open_migrated_pg_store(*server);
}

}  // namespace

AXON_INSTANTIATE_STORE_CONFORMANCE(Postgres, (StoreFactory{"postgres", fresh_postgres_store}));

}  // namespace axon::test
