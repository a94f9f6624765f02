// Online backup of a SQLite store: a consistent copy of a database that `serve` keeps
// writing, taken with SQLite's backup API. The copy is read from one snapshot (a read
// transaction held on the source for the whole copy; in WAL mode readers never block the
// writer, so ingest and delivery go on), page batch by page batch, into `to`.partial, which
// is checked and then renamed to `to`: `to` is either absent or a complete database.
//
// Thread-safety: a free function; it opens its own connections.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace axon::sqlite {

struct BackupStats {
  std::int64_t pages = 0;
  std::int64_t bytes = 0;
  int steps = 0;
};

// Copies the database at `source_path` (a file path, not a URL) to `to` (created 0600;
// an existing `to` is replaced only once the copy is complete). `pages_per_step` bounds the
// work between two steps.
Result<BackupStats> backup_database(const std::string& source_path, const std::string& to,
                                    int pages_per_step = 1024);

}  // namespace axon::sqlite
