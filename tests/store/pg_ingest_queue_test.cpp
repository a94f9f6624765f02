// IngestQueue (PostgreSQL's group commit of single events), with a commit function that
// records its batches instead of a database: every event is committed exactly once, in
// batches no larger than the limit, and the destructor commits what is still queued.
#include "store/postgres/pg_ingest_queue.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace axon::pg {
namespace {

struct Recorder {
  std::mutex mu;
  std::vector<std::vector<std::string>> batches;  // event ids, per commit
  std::atomic<int> answered{0};

  IngestQueue::Commit commit() {
    return [this](std::vector<IngestQueue::Pending>& batch) {
      std::vector<std::string> ids;
      for (auto& p : batch) {
        ids.push_back(p.event.id);
        IngestResult result;
        result.event.id = p.event.id;
        p.done(result);
      }
      std::lock_guard lock(mu);
      batches.push_back(std::move(ids));
    };
  }
};

IngestQueue::Pending pending(std::string id, std::atomic<int>& answered) {
  IngestQueue::Pending p;
  p.event.id = std::move(id);
  p.done = [&answered](Result<IngestResult> r) {
    if (r) ++answered;
  };
  return p;
}

TEST(PgIngestQueue, EveryEventIsCommittedOnceInBoundedBatches) {
  Recorder recorder;
  constexpr int kThreads = 4, kPerThread = 250;
  {
    IngestQueue queue(3, 32, recorder.commit());
    std::vector<std::thread> producers;
    for (int t = 0; t < kThreads; ++t) {
      producers.emplace_back([&, t] {
        for (int i = 0; i < kPerThread; ++i) {
          queue.push(pending("evt_" + std::to_string(t) + "_" + std::to_string(i),
                             recorder.answered));
        }
      });
    }
    for (auto& producer : producers) producer.join();
  }  // the destructor commits whatever is still queued
  EXPECT_EQ(recorder.answered.load(), kThreads * kPerThread);
  std::multiset<std::string> seen;
  for (const auto& batch : recorder.batches) {
    EXPECT_GE(batch.size(), 1u);
    EXPECT_LE(batch.size(), 32u);
    seen.insert(batch.begin(), batch.end());
  }
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(kThreads * kPerThread));
  for (const auto& id : seen) EXPECT_EQ(seen.count(id), 1u) << id;
}

TEST(PgIngestQueue, OneProducersEventsKeepTheirOrder) {
  Recorder recorder;
  {
    IngestQueue queue(1, 1000, recorder.commit());  // one committer: batches are in order
    for (int i = 0; i < 100; ++i) {
      queue.push(pending("evt_" + std::to_string(1000 + i), recorder.answered));
    }
  }
  std::vector<std::string> order;
  for (const auto& batch : recorder.batches) order.insert(order.end(), batch.begin(), batch.end());
  ASSERT_EQ(order.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(order[i], "evt_" + std::to_string(1000 + i));
}

}  // namespace
}  // namespace axon::pg
