// IngestQueue: PostgreSQL's group commit for events handed over without waiting
// (Store::ingest_event_async, what the API does with a single event).
//
// Without it, each event was one transaction (five round trips and a WAL flush) that held an
// API thread for the whole of it. Here the API thread queues the event and returns; a few
// committer threads each take everything queued when they are free and hand it to `commit`,
// which stores many events per transaction, so one flush and a handful of round trips serve
// them all. Several committers keep transactions overlapping: while one waits for its flush,
// the next builds its batch.
//
// Thread-safety: push() may be called from any thread. `commit` runs on the committer
// threads (several at once) and must call every Pending's `done` exactly once. The destructor
// lets the committers finish what is queued, then joins them.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "store/store.hpp"

namespace axon::pg {

class IngestQueue {
 public:
  struct Pending {
    NewEvent event;
    Millis now = 0;
    std::function<std::string()> new_delivery_id;
    Store::IngestDone done;
  };
  using Commit = std::function<void(std::vector<Pending>& batch)>;

  // `committers` threads, started on the first push; a batch holds at most `max_batch`.
  IngestQueue(int committers, std::size_t max_batch, Commit commit);
  ~IngestQueue();
  IngestQueue(const IngestQueue&) = delete;
  IngestQueue& operator=(const IngestQueue&) = delete;

  void push(Pending pending);

 private:
  void run();

  const int committers_;
  const std::size_t max_batch_;
  const Commit commit_;
  std::mutex mu_;
  std::condition_variable queued_;
  std::vector<Pending> queue_;       // guarded by mu_
  bool stopping_ = false;            // guarded by mu_
  std::vector<std::thread> threads_;  // started under mu_ on the first push
};

}  // namespace axon::pg
