#include "store/postgres/pg_connection.hpp"

#include <charconv>
#include <cstdio>

namespace axon::pg {

bool PgError::connection_lost() const {
  return sqlstate_.starts_with("08") || sqlstate_ == "57P01" || sqlstate_ == "57P02" ||
         sqlstate_ == "57P03";
}

bool PgError::retry_transaction() const { return sqlstate_ == "40001" || sqlstate_ == "40P01"; }

Errc PgError::errc() const {
  if (sqlstate_ == "23505") return Errc::conflict;
  if (sqlstate_ == "53100") return Errc::storage_full;  // disk_full
  // Other insufficient resources (out of memory, too many connections): passing trouble.
  if (sqlstate_.starts_with("53")) return Errc::unavailable;
  if (sqlstate_.starts_with("08") || sqlstate_.starts_with("57P")) return Errc::unavailable;
  return Errc::internal;
}

std::string_view PgResult::view(int row, int col) const {
  const char* value = PQgetvalue(result_.get(), row, col);
  return {value, static_cast<std::size_t>(PQgetlength(result_.get(), row, col))};
}

std::int64_t PgResult::i64(int row, int col) const {
  std::string_view v = view(row, col);
  std::int64_t out = 0;
  auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc()) throw PgError("XX000", "not an integer: " + std::string(v));
  return out;
}

double PgResult::f64(int row, int col) const {
  std::string v = text(row, col);
  return std::strtod(v.c_str(), nullptr);
}

std::optional<std::string> PgResult::opt_text(int row, int col) const {
  if (is_null(row, col)) return std::nullopt;
  return text(row, col);
}

std::optional<std::int64_t> PgResult::opt_i64(int row, int col) const {
  if (is_null(row, col)) return std::nullopt;
  return i64(row, col);
}

Params& Params::add(double value) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", value);
  return push(std::string(buf));
}

std::vector<const char*> Params::pointers() const {
  std::vector<const char*> out;
  out.reserve(values_.size());
  for (const auto& v : values_) out.push_back(v ? v->c_str() : nullptr);
  return out;
}

PgConnection::PgConnection(std::string conninfo) : conninfo_(std::move(conninfo)) { connect(); }

PgConnection::~PgConnection() {
  if (conn_) PQfinish(conn_);
}

void PgConnection::connect() {
  if (conn_) PQfinish(conn_);
  // expand_dbname lets `dbname` carry a whole URI; the other keywords add defaults to it.
  const char* keys[] = {"dbname", "connect_timeout", "application_name", nullptr};
  const char* values[] = {conninfo_.c_str(), "5", "axon-webhooks", nullptr};
  conn_ = PQconnectdbParams(keys, values, 1);
  if (PQstatus(conn_) != CONNECTION_OK) {
    std::string message = conn_ ? PQerrorMessage(conn_) : "out of memory";
    while (!message.empty() && (message.back() == '\n' || message.back() == ' '))
      message.pop_back();
    // A failed attempt still holds libpq's memory; the constructor that throws here never
    // runs the destructor.
    PQfinish(conn_);
    conn_ = nullptr;
    throw PgError("08001", "cannot connect to PostgreSQL: " + message);
  }
  // Quiet NOTICEs (e.g. "relation already exists, skipping") instead of printing to stderr.
  PQsetNoticeProcessor(
      conn_, [](void*, const char*) {}, nullptr);
}

void PgConnection::reconnect() { connect(); }

PgError PgConnection::error_from(const PGresult* result) const {
  const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  std::string message = result ? PQresultErrorMessage(result) : "";
  if (message.empty() && conn_) message = PQerrorMessage(conn_);
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  // No SQLSTATE, or the socket is gone: the connection broke, not the statement.
  if (!state || PQstatus(conn_) == CONNECTION_BAD) {
    return PgError(state && std::string_view(state).starts_with("57P") ? state : "08006", message);
  }
  return PgError(state, message);
}

PgResult PgConnection::exec(std::string_view sql, const Params& params) {
  if (!healthy()) throw PgError("08003", "connection is not open");
  // The unnamed statement: parsed and planned per call, and gone when the next one comes.
  // A named prepared statement would outlive the transaction on the server session, which
  // a transaction-mode pooler hands to other clients ("prepared statement already exists").
  std::string text(sql);
  std::vector<const char*> values = params.pointers();
  return checked(PQexecParams(conn_, text.c_str(), params.size(), nullptr, values.data(), nullptr,
                              nullptr, 0));
}

PgResult PgConnection::checked(PGresult* raw) const {
  ExecStatusType status = raw ? PQresultStatus(raw) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    PgError error = error_from(raw);
    if (raw) PQclear(raw);
    throw error;
  }
  return PgResult(raw);
}

void PgConnection::exec_script(std::string_view sql) {
  if (!healthy()) throw PgError("08003", "connection is not open");
  std::string text(sql);
  PGresult* raw = PQexec(conn_, text.c_str());
  ExecStatusType status = raw ? PQresultStatus(raw) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    PgError error = error_from(raw);
    if (raw) PQclear(raw);
    throw error;
  }
  PQclear(raw);
}

}  // namespace axon::pg
