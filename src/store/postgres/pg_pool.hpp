// A small fixed-size pool of PostgreSQL connections, opened lazily and reopened when found
// broken, and the Transaction that borrows one of them.
// Thread-safety: PgPool is safe to share; a Lease and a Transaction belong to one thread.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "store/postgres/pg_connection.hpp"

namespace axon::pg {

class PgPool {
 public:
  PgPool(std::string conninfo, int size);

  // A borrowed connection, returned to the pool on destruction.
  class Lease {
   public:
    Lease(PgPool& pool, std::unique_ptr<PgConnection> conn)
        : pool_(&pool), conn_(std::move(conn)) {}
    Lease(Lease&& other) noexcept
        : pool_(std::exchange(other.pool_, nullptr)), conn_(std::move(other.conn_)) {}
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    PgConnection& operator*() { return *conn_; }
    PgConnection* operator->() { return conn_.get(); }

   private:
    PgPool* pool_;
    std::unique_ptr<PgConnection> conn_;
  };

  // Waits for a free slot; opens or reopens its connection if needed. Throws PgError
  // (connection class) when the server cannot be reached; the slot stays free.
  Lease acquire();
  // Closes every idle connection (they reconnect on next use): after one connection was
  // found broken, e.g. by a server restart, the others most likely are too.
  void drop_idle();
  const std::string& conninfo() const { return conninfo_; }

 private:
  void give_back(std::unique_ptr<PgConnection> conn);

  const std::string conninfo_;
  std::mutex mu_;
  std::condition_variable freed_;
  std::vector<std::unique_ptr<PgConnection>> idle_;  // nullptr = slot not connected yet
};

// BEGIN on construction; ROLLBACK on destruction unless commit() succeeded, so a statement
// that fails half-way never leaves a partial write behind.
class Transaction {
 public:
  explicit Transaction(PgConnection& conn);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  PgResult exec(std::string_view sql, const Params& params = {}) { return conn_.exec(sql, params); }
  // Throws PgError; a connection-class error here means the outcome is unknown.
  void commit();
  // pg_notify on commit only (the server delivers it when the transaction commits).
  void notify_work() { exec("SELECT pg_notify('axon_work', '')"); }

 private:
  PgConnection& conn_;
  bool done_ = false;
};

}  // namespace axon::pg
