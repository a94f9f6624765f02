// StoreLane: runs the dispatcher's store calls on a thread of their own, so the network loop
// never waits for a commit, a WAL checkpoint or a database round trip.
//
// Tasks run one at a time, in the order they were posted (a hand-back posted before a claim
// is in the store before that claim runs). The dispatcher keeps two lanes, one for claims and
// one for outcomes, which run concurrently; what that needs is stated in dispatcher.cpp.
// A task returns a continuation; continuations run on the dispatcher thread, in the order
// their tasks ran, when it calls run_completions(). After each task the lane calls `on_done` (the dispatcher
// passes HttpSender::wakeup) so a sleeping poll() returns and picks the result up.
//
// Thread-safety: post/run_completions/wait_idle belong to the owner thread; the lane's own
// thread only runs tasks.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace axon {

class StoreLane {
 public:
  using Continuation = std::function<void()>;
  using Task = std::function<Continuation()>;

  explicit StoreLane(std::function<void()> on_done);
  ~StoreLane();  // runs what is still queued, then joins
  StoreLane(const StoreLane&) = delete;
  StoreLane& operator=(const StoreLane&) = delete;

  void post(Task task);
  // Runs the continuations of finished tasks (owner thread).
  void run_completions();
  // Blocks until every posted task has run (their continuations are then ready).
  void wait_idle();

 private:
  void loop();

  std::function<void()> on_done_;
  std::mutex mu_;
  std::condition_variable work_cv_;
  std::condition_variable idle_cv_;
  std::deque<Task> tasks_;
  std::vector<Continuation> done_;
  int running_ = 0;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace axon
