#include "store/postgres/pg_pool.hpp"

namespace axon::pg {

PgPool::PgPool(std::string conninfo, int size) : conninfo_(std::move(conninfo)) {
  idle_.resize(static_cast<std::size_t>(size < 1 ? 1 : size));
}

PgPool::Lease::~Lease() {
  if (pool_) pool_->give_back(std::move(conn_));
}

PgPool::Lease PgPool::acquire() {
  std::unique_ptr<PgConnection> conn;
  {
    std::unique_lock lock(mu_);
    freed_.wait(lock, [&] { return !idle_.empty(); });
    conn = std::move(idle_.back());
    idle_.pop_back();
  }
  try {
    if (!conn) {
      conn = std::make_unique<PgConnection>(conninfo_);
    } else if (!conn->healthy()) {
      conn->reconnect();
    }
  } catch (...) {
    give_back(nullptr);  // keep the slot; the next acquire tries again
    throw;
  }
  return Lease(*this, std::move(conn));
}

void PgPool::drop_idle() {
  std::vector<std::unique_ptr<PgConnection>> closing;
  {
    std::lock_guard lock(mu_);
    for (auto& conn : idle_) closing.push_back(std::move(conn));  // leaves nullptr slots
  }
  // `closing` is destroyed (PQfinish) outside the lock.
}

void PgPool::give_back(std::unique_ptr<PgConnection> conn) {
  {
    std::lock_guard lock(mu_);
    // Healthy connections go to the back (reused first); empty slots to the front.
    if (conn) {
      idle_.push_back(std::move(conn));
    } else {
      idle_.insert(idle_.begin(), nullptr);
    }
  }
  freed_.notify_one();
}

// Short OLTP statements only: JIT compiling one (its cost estimate can pass jit_above_cost
// on a big table) takes ~1 s of server CPU and saves nothing. SET LOCAL ends with the
// transaction, so nothing is left on a session a pooler may hand to another client.
Transaction::Transaction(PgConnection& conn) : conn_(conn) {
  conn_.exec_script("BEGIN; SET LOCAL jit = off");
}

Transaction::~Transaction() {
  if (done_ || !conn_.healthy()) return;
  try {
    conn_.exec_script("ROLLBACK");
  } catch (...) {
    // The connection broke; the server rolls back on its own. The pool reconnects it.
  }
}

void Transaction::commit() {
  done_ = true;
  conn_.exec_script("COMMIT");
}

}  // namespace axon::pg
