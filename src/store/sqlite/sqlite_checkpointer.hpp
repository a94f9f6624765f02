// Checkpointer: copies the WAL back into the database file on a thread of its own, so no
// write transaction pays for a checkpoint (and its fsyncs) inside COMMIT.
//
// The writer connection gets a wal hook (which also turns SQLite's auto-checkpoint off for
// it) that calls wal_grew() after every commit; once the WAL holds `pages_threshold` pages
// this thread runs a PASSIVE checkpoint on its own connection. PASSIVE never blocks readers
// or the writer; the next writer wraps the WAL around once a checkpoint caught up.
//
// Thread-safety: wal_grew() may be called from any thread; the rest belongs to the owner.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "store/sqlite/sqlite_connection.hpp"

namespace axon::sqlite {

class Checkpointer {
 public:
  Checkpointer(std::unique_ptr<Connection> conn, int pages_threshold);
  ~Checkpointer();  // stops the thread (a last checkpoint happens when the database closes)
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  // Installs the wal hook on `writer` that feeds wal_grew().
  void attach(Connection& writer);
  static void detach(Connection& writer);

  void wal_grew(int pages);

 private:
  void loop();

  std::unique_ptr<Connection> conn_;
  const int pages_threshold_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool wanted_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace axon::sqlite
