// A migrated SqliteStore for tests, the SQLite counterpart of open_migrated_pg_store
// (support/pg_server.hpp).
#pragma once

#include <memory>
#include <string>

#include "store/store.hpp"

namespace axon::test {

// Opens the SQLite database at `path` (created if absent) and migrates it. Throws
// std::runtime_error when that fails (GoogleTest reports it as the test's failure).
std::unique_ptr<Store> open_migrated_sqlite_store(const std::string& path);

}  // namespace axon::test
