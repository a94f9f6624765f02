// Many deliveries to one receiver: all arrive, over a bounded number of keep-alive
// connections. Prints the rate; asserts no speed (the machine is shared).
#include <cstdio>

#include "dispatcher_fixture.hpp"

namespace axon::test {
namespace {

class DispatcherThroughput : public DispatcherFixture {};

TEST_F(DispatcherThroughput, TwoThousandDeliveriesAllArrive) {
  constexpr int kCount = 2'000;
  TestReceiver rx;
  add_endpoint(rx.url("/bulk"));
  for (int i = 0; i < kCount; ++i) ASSERT_EQ(publish().size(), 1u);

  const auto t0 = std::chrono::steady_clock::now();
  start_dispatcher();
  ASSERT_TRUE(rx.wait_for_requests(kCount, 120s)) << rx.request_count();
  // And every outcome is recorded.
  Store::Counts counts;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  do {
    auto c = store_->delivery_counts(clock_.now_ms());
    ASSERT_TRUE(c);
    counts = *c;
    if (counts.succeeded < kCount) std::this_thread::sleep_for(10ms);
  } while (counts.succeeded < kCount && std::chrono::steady_clock::now() < deadline);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(counts.succeeded, kCount);
  EXPECT_EQ(counts.pending_due + counts.pending_scheduled, 0);
  EXPECT_EQ(rx.request_count(), static_cast<std::size_t>(kCount));
  EXPECT_LE(rx.connections_accepted(), 64);  // keep-alive, per-host cap
  std::printf("[ throughput ] %d deliveries in %.2f s = %.0f deliveries/s over %d connections\n",
              kCount, seconds, kCount / seconds, rx.connections_accepted());
}

}  // namespace
}  // namespace axon::test
