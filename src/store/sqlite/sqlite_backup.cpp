#include "store/sqlite/sqlite_backup.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <thread>

#include "store/sqlite/sqlite_connection.hpp"

namespace axon::sqlite {
namespace {

struct CloseDb {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using Db = std::unique_ptr<sqlite3, CloseDb>;

Result<Db> open_db(const std::string& path, int flags) {
  configure_library();
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  Db db(raw);
  if (rc != SQLITE_OK) {
    return fail(Errc::unavailable, "cannot open " + path + ": " +
                                       (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  }
  sqlite3_busy_timeout(raw, 5'000);
  return db;
}

Result<void> exec(sqlite3* db, const char* sql, std::string_view what) {
  char* message = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &message) == SQLITE_OK) return {};
  std::string text = message ? message : sqlite3_errmsg(db);
  sqlite3_free(message);
  return fail(Errc::internal, std::string(what) + ": " + text);
}

// The copy is a plain rollback-journal file with nothing pending: restoring it is copying
// one file, and SQLite vouches for its pages before it replaces anything.
Result<void> finish_copy(sqlite3* copy) {
  if (auto r = exec(copy, "PRAGMA journal_mode=DELETE", "backup: journal mode"); !r) return r;
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(copy, "PRAGMA quick_check", -1, &st, nullptr) != SQLITE_OK) {
    return fail(Errc::internal, std::string("backup: check: ") + sqlite3_errmsg(copy));
  }
  std::string verdict;
  if (sqlite3_step(st) == SQLITE_ROW) {
    verdict = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
  }
  sqlite3_finalize(st);
  if (verdict != "ok") return fail(Errc::internal, "backup: the copy failed its check: " + verdict);
  return {};
}

}  // namespace

Result<BackupStats> backup_database(const std::string& source_path, const std::string& to,
                                    int pages_per_step) {
  if (::access(source_path.c_str(), R_OK) != 0) {
    return fail(Errc::invalid_request, "backup: no database at " + source_path);
  }
  auto source = open_db(source_path, SQLITE_OPEN_READONLY);
  if (!source) return std::unexpected(source.error());
  // One snapshot for every step: the writer goes on, the copy does not restart.
  if (auto r = exec(source->get(), "BEGIN; SELECT count(*) FROM sqlite_schema", "backup: snapshot");
      !r) {
    return std::unexpected(r.error());
  }

  const std::string partial = to + ".partial";
  std::remove(partial.c_str());
  if (int fd = ::open(partial.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600); fd >= 0) {
    ::close(fd);  // created owner-only; SQLite keeps the mode
  } else {
    return fail(Errc::unavailable, "backup: cannot create " + partial);
  }
  auto copy = open_db(partial, SQLITE_OPEN_READWRITE);
  if (!copy) return std::unexpected(copy.error());

  sqlite3_backup* backup = sqlite3_backup_init(copy->get(), "main", source->get(), "main");
  if (!backup) {
    std::remove(partial.c_str());
    return fail(Errc::internal, std::string("backup: ") + sqlite3_errmsg(copy->get()));
  }
  BackupStats stats;
  int rc = SQLITE_OK;
  do {
    rc = sqlite3_backup_step(backup, pages_per_step);
    ++stats.steps;
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
  stats.pages = sqlite3_backup_pagecount(backup);
  sqlite3_backup_finish(backup);
  exec(source->get(), "COMMIT", "backup: end snapshot");
  if (rc != SQLITE_DONE) {
    std::string message = sqlite3_errstr(rc);
    copy.value().reset();
    std::remove(partial.c_str());
    return fail(rc == SQLITE_FULL ? Errc::storage_full : Errc::internal,
                "backup: copy failed: " + message);
  }
  if (auto checked = finish_copy(copy->get()); !checked) {
    copy.value().reset();
    std::remove(partial.c_str());
    return std::unexpected(checked.error());
  }
  copy.value().reset();  // closes: everything is on disk before the rename
  if (std::rename(partial.c_str(), to.c_str()) != 0) {
    std::remove(partial.c_str());
    return fail(Errc::unavailable, "backup: cannot rename the copy to " + to);
  }
  std::error_code ec;
  stats.bytes = static_cast<std::int64_t>(std::filesystem::file_size(to, ec));
  return stats;
}

}  // namespace axon::sqlite
