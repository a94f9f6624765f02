#include "store/postgres/pg_ingest_queue.hpp"

#include <algorithm>
#include <iterator>

namespace axon::pg {

IngestQueue::IngestQueue(int committers, std::size_t max_batch, Commit commit)
    : committers_(std::max(1, committers)),
      max_batch_(std::max<std::size_t>(1, max_batch)),
      commit_(std::move(commit)) {}

IngestQueue::~IngestQueue() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  queued_.notify_all();
  for (auto& thread : threads_) thread.join();
}

void IngestQueue::push(Pending pending) {
  {
    std::lock_guard lock(mu_);
    queue_.push_back(std::move(pending));
    if (threads_.empty()) {
      for (int i = 0; i < committers_; ++i) threads_.emplace_back([this] { run(); });
    }
  }
  queued_.notify_one();
}

// Takes up to max_batch_ of what is queued, oldest first, commits it, and again; exits once
// stopping with nothing queued.
void IngestQueue::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    queued_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping
    std::vector<Pending> batch;
    const auto take = static_cast<std::ptrdiff_t>(std::min(queue_.size(), max_batch_));
    batch.assign(std::make_move_iterator(queue_.begin()),
                 std::make_move_iterator(queue_.begin() + take));
    queue_.erase(queue_.begin(), queue_.begin() + take);
    if (!queue_.empty()) queued_.notify_one();  // more for another committer
    lock.unlock();
    commit_(batch);
    lock.lock();
  }
}

}  // namespace axon::pg
