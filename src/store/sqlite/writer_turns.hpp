// WriterTurns: the lock on SQLite's single writer connection, with two classes of writer.
//
// Foreground writes are the ones a client waits on (the group commit of ingested events, API
// changes); background writes are the dispatcher's claims and outcome batches and retention,
// which nobody waits on by the millisecond. With a plain mutex, a group commit could queue
// behind several background transactions in a row (the dispatcher runs two store lanes), and
// the API's latency would be theirs. Here, when both classes wait, they take turns: a
// foreground writer waits for at most the one transaction in progress (plus one background
// transaction if the previous holder was foreground), and background work is never starved
// by a steady stream of group commits.
//
// It also adds up how long each class held the writer (busy_seconds), for /metrics: on
// SQLite every write of every component takes this one lock, so when the two add up to
// nearly the wall time, writes are queueing for the writer.
//
// Thread-safety: every member may be called from any thread. Not recursive: a holder must
// not lock again.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace axon::sqlite {

class WriterTurns {
 public:
  enum class Kind { foreground, background };

  void lock(Kind kind) {
    std::unique_lock guard(mu_);
    int& waiting = kind == Kind::foreground ? foreground_waiting_ : background_waiting_;
    ++waiting;
    turn_.wait(guard, [&] { return !held_ && may_go(kind); });
    --waiting;
    held_ = true;
    last_ = kind;
    held_since_ = std::chrono::steady_clock::now();
  }

  void unlock() {
    {
      std::lock_guard guard(mu_);
      held_ = false;
      held_ns_[index(last_)] += (std::chrono::steady_clock::now() - held_since_).count();
    }
    turn_.notify_all();
  }

  // Seconds the writer was held by `kind` so far (holds in progress not counted yet).
  double busy_seconds(Kind kind) {
    std::lock_guard guard(mu_);
    return static_cast<double>(held_ns_[index(kind)]) * 1e-9;
  }

  // For tests: how many writers of `kind` wait for their turn.
  int waiting(Kind kind) {
    std::lock_guard guard(mu_);
    return kind == Kind::foreground ? foreground_waiting_ : background_waiting_;
  }

  // Holds the lock for one scope.
  class Scoped {
   public:
    Scoped(WriterTurns& turns, Kind kind) : turns_(turns) { turns_.lock(kind); }
    ~Scoped() { turns_.unlock(); }
    Scoped(const Scoped&) = delete;
    Scoped& operator=(const Scoped&) = delete;

   private:
    WriterTurns& turns_;
  };

 private:
  // Under mu_, with the writer free: the other class goes first when it waits and this one
  // held the writer last.
  bool may_go(Kind kind) const {
    bool other_waits = kind == Kind::foreground ? background_waiting_ > 0 : foreground_waiting_ > 0;
    return !other_waits || last_ != kind;
  }

  static int index(Kind kind) { return kind == Kind::foreground ? 0 : 1; }

  std::mutex mu_;
  std::condition_variable turn_;
  bool held_ = false;                  // guarded by mu_
  Kind last_ = Kind::background;       // guarded by mu_: the class that held the writer last
  int foreground_waiting_ = 0;         // guarded by mu_
  int background_waiting_ = 0;         // guarded by mu_
  // Wall time, not a Clock: a measurement for /metrics that no rule depends on.
  std::chrono::steady_clock::time_point held_since_;  // guarded by mu_
  std::int64_t held_ns_[2] = {};       // guarded by mu_: foreground, background
};

}  // namespace axon::sqlite
