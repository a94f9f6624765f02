// Low-level libpq pieces behind PostgresStore: the error thrown inside the backend (and
// caught at every Store method, never crossing the component boundary), SQLSTATE
// classification, a PGresult owner with typed getters, text parameters, and one connection.
// A connection keeps no session state between transactions (no named prepared statements,
// no session SET), so `--db` may point at a transaction-mode pooler such as PgBouncer.
// Thread-safety: a PgConnection is used by one thread at a time (the pool hands it out);
// PgResult and Params are plain values.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace axon::pg {

// A failed libpq call. `sqlstate` is the server's code, or "08006" when the connection
// itself broke (libpq reports no code then).
class PgError : public std::exception {
 public:
  PgError(std::string sqlstate, std::string message)
      : sqlstate_(std::move(sqlstate)), message_(std::move(message)) {}
  const std::string& sqlstate() const { return sqlstate_; }
  const char* what() const noexcept override { return message_.c_str(); }
  // 08* (connection exception) or 57P0x (admin/crash shutdown, cannot connect now).
  bool connection_lost() const;
  // 40001 serialization failure, 40P01 deadlock: the whole transaction may be retried.
  bool retry_transaction() const;
  // The Errc a caller sees: 23505 conflict, 53100 storage_full, 08*/57P*/other 53*
  // unavailable, else internal.
  Errc errc() const;

 private:
  std::string sqlstate_;
  std::string message_;
};

// Owns one PGresult.
class PgResult {
 public:
  explicit PgResult(PGresult* result) : result_(result, &PQclear) {}
  int rows() const { return PQntuples(result_.get()); }
  bool is_null(int row, int col) const { return PQgetisnull(result_.get(), row, col) != 0; }
  std::string_view view(int row, int col) const;
  std::string text(int row, int col) const { return std::string(view(row, col)); }
  std::int64_t i64(int row, int col) const;
  int i32(int row, int col) const { return static_cast<int>(i64(row, col)); }
  double f64(int row, int col) const;
  bool boolean(int row, int col) const { return view(row, col) == "t"; }
  std::optional<std::string> opt_text(int row, int col) const;
  std::optional<std::int64_t> opt_i64(int row, int col) const;

 private:
  std::unique_ptr<PGresult, void (*)(PGresult*)> result_;
};

// Statement parameters, all sent as text (the server casts them per the statement).
class Params {
 public:
  Params() = default;
  template <class... T>
  explicit Params(const T&... values) {
    (add(values), ...);
  }
  Params& add(std::string_view value) { return push(std::string(value)); }
  Params& add(const std::string& value) { return push(value); }
  Params& add(const char* value) { return push(std::string(value)); }
  Params& add(std::int64_t value) { return push(std::to_string(value)); }
  Params& add(int value) { return push(std::to_string(value)); }
  Params& add(double value);
  Params& add(bool value) { return push(value ? "t" : "f"); }
  Params& add(std::nullopt_t) { return push(std::nullopt); }
  template <class T>
  Params& add(const std::optional<T>& value) {
    return value ? add(*value) : add(std::nullopt);
  }
  int size() const { return static_cast<int>(values_.size()); }
  std::vector<const char*> pointers() const;

 private:
  Params& push(std::optional<std::string> value) {
    values_.push_back(std::move(value));
    return *this;
  }
  std::vector<std::optional<std::string>> values_;
};

// One server connection. Statements are sent unnamed (parsed and planned per call).
class PgConnection {
 public:
  // Throws PgError ("08001") when the server cannot be reached.
  explicit PgConnection(std::string conninfo);
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  bool healthy() const { return conn_ && PQstatus(conn_) == CONNECTION_OK; }
  // Drops the session (and its prepared statements) and connects again; throws PgError.
  void reconnect();
  // A parameterised statement, planned for these values; throws PgError on failure.
  PgResult exec(std::string_view sql, const Params& params = {});
  // A parameterless script that may hold several statements (migrations, BEGIN/COMMIT).
  void exec_script(std::string_view sql);
  PGconn* raw() { return conn_; }

 private:
  void connect();
  PgError error_from(const PGresult* result) const;
  PgResult checked(PGresult* raw) const;
  std::string conninfo_;
  PGconn* conn_ = nullptr;
};

}  // namespace axon::pg
