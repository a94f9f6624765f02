#include "store/sqlite/sqlite_connection.hpp"

#include <mutex>

#include "store/store.hpp"

namespace axon::sqlite {

Error to_error(int rc, sqlite3* db, std::string_view what) {
  std::string message(what);
  message += ": ";
  message += db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  switch (rc & 0xff) {
    case SQLITE_FULL:
      return storage_full_error(message);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PROTOCOL:
    case SQLITE_NOMEM:
      return Error{Errc::unavailable, "database unavailable: " + message};
    case SQLITE_CONSTRAINT:
      return Error{Errc::conflict, "conflict: " + message};
    default:
      return Error{Errc::internal, "database error: " + message};
  }
}

void throw_sql(int rc, sqlite3* db, std::string_view what) {
  throw SqlError(to_error(rc, db, what));
}

Statement::~Statement() {
  if (!stmt_) return;
  if (!in_use_) {
    sqlite3_finalize(stmt_);
    return;
  }
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  *in_use_ = false;
}

static void check_bind(int rc, sqlite3* db) {
  if (rc != SQLITE_OK) throw_sql(rc, db, "bind");
}

Statement& Statement::bind(int index, std::string_view value) {
  check_bind(
      sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8),
      db_);
  return *this;
}

Statement& Statement::bind(int index, std::int64_t value) {
  check_bind(sqlite3_bind_int64(stmt_, index, value), db_);
  return *this;
}

Statement& Statement::bind(int index, double value) {
  check_bind(sqlite3_bind_double(stmt_, index, value), db_);
  return *this;
}

Statement& Statement::bind(int index, std::nullopt_t) {
  check_bind(sqlite3_bind_null(stmt_, index), db_);
  return *this;
}

bool Statement::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  throw_sql(rc, db_, sqlite3_sql(stmt_));
}

void Statement::run() {
  while (step()) {
  }
}

bool Statement::is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
std::int64_t Statement::int64_at(int col) const { return sqlite3_column_int64(stmt_, col); }
int Statement::int_at(int col) const { return sqlite3_column_int(stmt_, col); }
double Statement::double_at(int col) const { return sqlite3_column_double(stmt_, col); }

std::string Statement::text_at(int col) const {
  const auto* data = sqlite3_column_blob(stmt_, col);
  auto size = static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col));
  return data ? std::string(static_cast<const char*>(data), size) : std::string();
}

std::optional<std::string> Statement::optional_text_at(int col) const {
  if (is_null(col)) return std::nullopt;
  return text_at(col);
}

std::optional<std::int64_t> Statement::optional_int64_at(int col) const {
  if (is_null(col)) return std::nullopt;
  return int64_at(col);
}

void configure_library() {
  static std::once_flag once;
  std::call_once(once, [] {
    // Memory statistics make every SQLite allocation take a process-wide mutex (a fifth of
    // the writer's time per outcome statement). Nothing reads them (no soft heap limit,
    // no sqlite3_memory_used). The call only works before SQLite initialises; if something
    // in the process opened a database first, it fails harmlessly and statistics stay on.
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  });
}

Result<std::unique_ptr<Connection>> Connection::open(const std::string& path,
                                                     const ConnectionOptions& options,
                                                     bool create) {
  configure_library();
  sqlite3* db = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI;
  if (create) flags |= SQLITE_OPEN_CREATE;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    Error error = to_error(rc, db, "open " + path);
    sqlite3_close_v2(db);
    return std::unexpected(error);
  }
  std::unique_ptr<Connection> conn(new Connection(db));
  sqlite3_busy_timeout(db, options.busy_timeout_ms);
  sqlite3_extended_result_codes(db, 1);
  try {
    // Durability: WAL with synchronous=NORMAL fsyncs the WAL at checkpoints, not at every
    // commit. A committed transaction survives a crash or kill -9 of the process (the OS
    // has the pages), which is what the at-least-once guarantee needs; a power loss or
    // kernel crash may lose the last few commits. `?sync=full` fsyncs every commit.
    // Space: pages freed by the retention purge go to the free list and are reused by
    // later inserts, so under a steady load the file stops growing. A new database also
    // gets incremental auto-vacuum, so surplus free pages can be handed back to the file
    // system in small steps (SqliteStore::reclaim_space). It must be set before the file
    // turns to WAL and before the first table; on an existing database it is a no-op (only
    // a full VACUUM could change it, which rewrites the whole file: an offline job).
    if (create) conn->exec("PRAGMA auto_vacuum=INCREMENTAL");
    conn->exec("PRAGMA journal_mode=WAL");
    conn->exec(options.synchronous_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
    conn->exec("PRAGMA foreign_keys=ON");
    conn->exec("PRAGMA temp_store=MEMORY");
    // A bigger page cache keeps the hot indexes (claim queue, ids) in memory across
    // transactions; the default of 2 MiB thrashes once the deliveries table grows.
    conn->exec(("PRAGMA cache_size=-" + std::to_string(options.cache_kib)).c_str());
  } catch (const SqlError& e) {
    return std::unexpected(e.error());
  }
  return conn;
}

Connection::~Connection() {
  for (auto& [sql, cached] : cache_) sqlite3_finalize(cached.stmt);
  sqlite3_close_v2(db_);
}

Statement Connection::prepare(const char* sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end() && it->second.in_use) {
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v2(db_, sql, -1, &stmt, nullptr);
    if (rc != SQLITE_OK) throw_sql(rc, db_, std::string("prepare ") + sql);
    return Statement(stmt, db_, nullptr);
  }
  if (it == cache_.end()) {
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) throw_sql(rc, db_, std::string("prepare ") + sql);
    it = cache_.emplace(sql, Cached{stmt, false}).first;
  }
  it->second.in_use = true;
  return Statement(it->second.stmt, db_, &it->second.in_use);
}

void Connection::exec(const char* sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string message = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    Error error = to_error(rc, nullptr, std::string(sql).substr(0, 60));
    error.message += " (" + message + ")";
    throw SqlError(std::move(error));
  }
}

WriteTransaction::~WriteTransaction() {
  if (!done_) sqlite3_exec(conn_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void WriteTransaction::commit() {
  conn_.exec("COMMIT");
  done_ = true;
}

ReadTransaction::~ReadTransaction() {
  sqlite3_exec(conn_.handle(), "COMMIT", nullptr, nullptr, nullptr);
}

}  // namespace axon::sqlite
