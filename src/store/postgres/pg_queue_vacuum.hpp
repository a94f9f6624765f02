// QueueVacuum: a VACUUM of axon.queue once enough of its rows went, from a thread of its own.
//
// Why. axon.queue holds only the work pending now, so it stays small, but it churns: every
// delivery inserts a row, its outcome deletes it (or, for a retry, rewrites it with a new due
// time), and the index entries of those rows stay until a vacuum removes them. A claim walks
// its tenant's entries of the per-tenant index from the oldest, and the dead entries are
// exactly there, at the head. B-tree scans mark dead entries so later scans skip them, but
// only on a page that did not change meanwhile, and ingest keeps changing these pages.
// Autovacuum visits a database at most once a minute by default (autovacuum_naptime), which
// at 10,000 deliveries/s is 600,000 dead entries to step over: measured, a claim's probe read
// 3,452 pages to find one row and the p99 at that rate was 49 ms; with a vacuum a second it
// was 26 ms.
//
// The rule (due()) is pure: vacuum once `min_rows` outcomes were recorded since the last one
// and at least `min_interval_ms` has passed since it ended, and at least four times as long
// as it took (a queue grown large, e.g. behind a failing endpoint, makes each vacuum long:
// it then runs at most a fifth of the time). So a busy node vacuums about once a second and
// an idle one never. VACUUM (SKIP_LOCKED) skips the table while another node vacuums it.
//
// Thread-safety: note_retired() may be called from any thread; `vacuum` runs on the thread,
// started on the first note, and returns false when vacuuming cannot work here (the role
// may not vacuum the table), which ends the thread for good; the destructor stops it (after a
// vacuum in progress) and joins.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>

#include "core/clock.hpp"

namespace axon::pg {

class QueueVacuum {
 public:
  struct Policy {
    std::int64_t min_rows = 5'000;  // outcomes recorded since the last vacuum; 0 = never
    Millis min_interval_ms = 1'000;
  };
  static constexpr Millis kBusyFactor = 4;  // rest at least 4x as long as a vacuum took
  // How long to rest after a vacuum that took `last_took_ms`.
  static Millis rest_ms(const Policy& policy, Millis last_took_ms);
  // Whether a vacuum is due: `retired` outcomes since the last one, which ended
  // `since_last_ms` ago after running for `last_took_ms`.
  static bool due(const Policy& policy, std::int64_t retired, Millis since_last_ms,
                  Millis last_took_ms);

  QueueVacuum(Policy policy, std::function<bool()> vacuum);
  ~QueueVacuum();
  QueueVacuum(const QueueVacuum&) = delete;
  QueueVacuum& operator=(const QueueVacuum&) = delete;

  // `rows` queue rows were deleted or moved (outcomes recorded). Never throws.
  void note_retired(std::int64_t rows);
  // Whether the thread was started (for tests).
  bool started() const;

 private:
  void run();

  const Policy policy_;
  const std::function<bool()> vacuum_;
  mutable std::mutex mu_;
  std::condition_variable woken_;
  std::int64_t retired_ = 0;  // guarded by mu_
  bool stopping_ = false;     // guarded by mu_
  bool given_up_ = false;     // guarded by mu_: `vacuum` said it cannot work here
  std::thread thread_;        // started under mu_ on the first note
};

}  // namespace axon::pg
