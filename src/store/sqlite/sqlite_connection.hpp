// A thin RAII layer over the SQLite C API for SqliteStore: one Connection (with its own cache
// of prepared statements), Statement (a borrowed cached statement, reset when it goes out of
// scope) and transaction guards that roll back unless committed.
//
// Error handling: SQL failures inside the store unwind as SqlError up to the public Store
// method, which turns them into a Result (see guarded() in sqlite_store.hpp). Nothing here
// escapes the store component.
//
// Thread-safety: a Connection and its statements are used by one thread at a time (the
// store hands connections out under a mutex); connections are opened in multi-thread mode.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "core/result.hpp"

namespace axon::sqlite {

// A failed SQL call, carrying the Error the store method will return.
class SqlError : public std::runtime_error {
 public:
  explicit SqlError(Error error) : std::runtime_error(error.message), error_(std::move(error)) {}
  const Error& error() const { return error_; }

 private:
  Error error_;
};

// Maps an SQLite result code: busy/locked/I/O/full/can't-open -> unavailable (callers may
// retry), constraint -> conflict, anything else -> internal.
Error to_error(int rc, sqlite3* db, std::string_view what);
[[noreturn]] void throw_sql(int rc, sqlite3* db, std::string_view what);

// Process-wide SQLite settings, applied once before the first database is opened (every
// open in this component calls it). Thread-safe.
void configure_library();

class Statement {
 public:
  // `in_use` is the cache entry's borrowed flag (cleared when this goes away), or null for a
  // one-off statement that this object finalizes.
  Statement(sqlite3_stmt* stmt, sqlite3* db, bool* in_use)
      : stmt_(stmt), db_(db), in_use_(in_use) {}
  Statement(Statement&& other) noexcept
      : stmt_(other.stmt_), db_(other.db_), in_use_(other.in_use_) {
    other.stmt_ = nullptr;
  }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement& operator=(Statement&&) = delete;
  ~Statement();

  // Binds parameters by 1-based position. Strings are copied (SQLITE_TRANSIENT), so binding
  // a temporary is safe.
  Statement& bind(int index, std::string_view value);
  Statement& bind(int index, const char* value) { return bind(index, std::string_view(value)); }
  Statement& bind(int index, const std::string& value) {
    return bind(index, std::string_view(value));
  }
  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, int value) { return bind(index, static_cast<std::int64_t>(value)); }
  Statement& bind(int index, bool value) { return bind(index, value ? 1 : 0); }
  Statement& bind(int index, double value);
  Statement& bind(int index, std::nullopt_t);
  template <class T>
  Statement& bind(int index, const std::optional<T>& value) {
    return value ? bind(index, *value) : bind(index, std::nullopt);
  }
  // Binds every argument in order, starting at position 1. On a temporary (the usual
  // `auto st = conn.prepare(...).bind_all(...)`) it hands the statement on.
  template <class... Args>
  Statement& bind_all(const Args&... args) & {
    int index = 0;
    (bind(++index, args), ...);
    return *this;
  }
  template <class... Args>
  Statement&& bind_all(const Args&... args) && {
    return std::move(bind_all(args...));
  }

  // Advances; true while a row is available.
  bool step();
  // Steps to completion (for statements without rows).
  void run();

  bool is_null(int col) const;
  std::int64_t int64_at(int col) const;
  int int_at(int col) const;
  double double_at(int col) const;
  std::string text_at(int col) const;  // "" for NULL
  std::optional<std::string> optional_text_at(int col) const;
  std::optional<std::int64_t> optional_int64_at(int col) const;

 private:
  sqlite3_stmt* stmt_;
  sqlite3* db_;
  bool* in_use_;
};

struct ConnectionOptions {
  bool synchronous_full = false;  // PRAGMA synchronous=FULL instead of NORMAL
  int busy_timeout_ms = 5000;
  // Page cache per connection. The writer (32 MiB) holds the hot claim-queue and id index
  // pages; readers (8 MiB each, up to 8 idle) serve API reads. Together they keep a busy
  // server under the 100 MB RSS budget (issue 6); the OS page cache holds the rest.
  int cache_kib = 32 * 1024;
};

class Connection {
 public:
  // Opens (creating if `create`) the database file and applies the per-connection pragmas.
  static Result<std::unique_ptr<Connection>> open(const std::string& path,
                                                  const ConnectionOptions& options, bool create);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // A cached prepared statement for `sql`, prepared on first use. If that statement is
  // still borrowed (the same SQL nested in itself), a one-off statement is prepared instead.
  Statement prepare(const char* sql);
  // Runs one or more statements without caching (DDL, pragmas, BEGIN/COMMIT).
  void exec(const char* sql);
  int changes() const { return sqlite3_changes(db_); }
  sqlite3* handle() const { return db_; }

 private:
  explicit Connection(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  struct Cached {
    sqlite3_stmt* stmt;
    bool in_use;
  };
  std::unordered_map<std::string, Cached> cache_;  // nodes are stable: Statement points in
};

// BEGIN IMMEDIATE: takes the write lock up front so the transaction never fails half way
// on a lock upgrade. Rolls back unless commit() was called.
class WriteTransaction {
 public:
  explicit WriteTransaction(Connection& conn) : conn_(conn) { conn_.exec("BEGIN IMMEDIATE"); }
  ~WriteTransaction();
  WriteTransaction(const WriteTransaction&) = delete;
  WriteTransaction& operator=(const WriteTransaction&) = delete;
  void commit();

 private:
  Connection& conn_;
  bool done_ = false;
};

// A deferred read transaction: several SELECTs see one snapshot.
class ReadTransaction {
 public:
  explicit ReadTransaction(Connection& conn) : conn_(conn) { conn_.exec("BEGIN"); }
  ~ReadTransaction();
  ReadTransaction(const ReadTransaction&) = delete;
  ReadTransaction& operator=(const ReadTransaction&) = delete;

 private:
  Connection& conn_;
};

}  // namespace axon::sqlite
