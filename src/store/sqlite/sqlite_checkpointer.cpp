#include "store/sqlite/sqlite_checkpointer.hpp"

#include <spdlog/spdlog.h>

namespace axon::sqlite {
namespace {

int on_wal_commit(void* self, sqlite3*, const char*, int pages) {
  static_cast<Checkpointer*>(self)->wal_grew(pages);
  return SQLITE_OK;
}

}  // namespace

Checkpointer::Checkpointer(std::unique_ptr<Connection> conn, int pages_threshold)
    : conn_(std::move(conn)), pages_threshold_(pages_threshold) {
  thread_ = std::thread([this] { loop(); });
}

Checkpointer::~Checkpointer() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  thread_.join();
}

void Checkpointer::attach(Connection& writer) {
  sqlite3_wal_hook(writer.handle(), &on_wal_commit, this);
}

void Checkpointer::detach(Connection& writer) {
  sqlite3_wal_hook(writer.handle(), nullptr, nullptr);
}

void Checkpointer::wal_grew(int pages) {
  if (pages < pages_threshold_) return;
  {
    std::lock_guard lock(mu_);
    if (wanted_) return;
    wanted_ = true;
  }
  cv_.notify_one();
}

void Checkpointer::loop() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return stopping_ || wanted_; });
    if (stopping_) return;
    wanted_ = false;
    lock.unlock();
    int log_pages = 0;
    int checkpointed = 0;
    const int rc = sqlite3_wal_checkpoint_v2(conn_->handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE,
                                             &log_pages, &checkpointed);
    if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
      spdlog::warn("sqlite: background checkpoint failed: {}", sqlite3_errstr(rc));
    }
    lock.lock();
  }
}

}  // namespace axon::sqlite
