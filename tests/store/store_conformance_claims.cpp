// Store conformance: claiming due deliveries (leases, order, sharing among tenants, FIFO).
#include <algorithm>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "store/store_conformance.hpp"

namespace axon::test {
namespace {

// How many of `jobs` each tenant got.
std::map<std::string, int> jobs_per_tenant(const std::vector<DeliveryJob>& jobs) {
  std::map<std::string, int> n;
  for (const auto& job : jobs) ++n[job.tenant_id];
  return n;
}

}  // namespace

// ================================ claiming ================================

TEST_P(StoreConformance, ClaimLeasesDueDeliveriesWithEverythingToSendThem) {
  auto tenant = add_tenant();
  Endpoint e = endpoint_for(tenant);
  e.headers = {{"X-Team", "blue"}};
  e.max_in_flight = 3;
  e.rate_limit = 1.5;
  add_endpoint(e);
  auto ev = ingest(tenant, "order.created", T0).event;

  EXPECT_TRUE(claim(T0 - 1).empty()) << "not due before next_attempt_at";
  auto jobs = must(store().claim_due("worker-a", T0, kLease, 10));
  ASSERT_EQ(jobs.size(), 1u);
  const auto& job = jobs[0];
  EXPECT_EQ(job.tenant_id, tenant.id);
  EXPECT_EQ(job.event_id, ev.id);
  EXPECT_EQ(job.event_type, "order.created");
  EXPECT_EQ(job.endpoint_id, e.id);
  EXPECT_EQ(job.url, e.url);
  EXPECT_EQ(job.headers, e.headers);
  EXPECT_EQ(job.secrets_sealed, std::vector<std::string>{e.secret_sealed});
  EXPECT_EQ(*job.payload, ev.payload);
  EXPECT_EQ(job.attempt, 1);
  EXPECT_EQ(job.attempt_in_series, 1);
  EXPECT_EQ(job.max_in_flight, 3);
  EXPECT_DOUBLE_EQ(job.rate_limit, 1.5);
  EXPECT_EQ(job.ordering, Ordering::parallel);
  EXPECT_EQ(job.lease_expires_at, T0 + kLease);

  auto d = delivery(tenant, job.delivery_id);
  EXPECT_EQ(d.lease_owner, "worker-a");
  EXPECT_EQ(d.lease_expires_at, T0 + kLease);
  EXPECT_EQ(d.status, DeliveryStatus::pending);

  // Leased: nobody else gets it until the lease expires.
  EXPECT_TRUE(must(store().claim_due("worker-b", T0 + kLease - 1, kLease, 10)).empty());
  auto reclaimed = must(store().claim_due("worker-b", T0 + kLease, kLease, 10));
  ASSERT_EQ(reclaimed.size(), 1u);
  EXPECT_EQ(reclaimed[0].delivery_id, job.delivery_id);
  EXPECT_EQ(reclaimed[0].attempt, 1) << "an expired lease is not an attempt";
  EXPECT_EQ(reclaimed[0].lease_expires_at, T0 + 2 * kLease);
  EXPECT_EQ(delivery(tenant, job.delivery_id).lease_owner, "worker-b");
  EXPECT_TRUE(claim(T0 + kLease, 0).empty());
}

TEST_P(StoreConformance, ClaimTakesOldestDueFirstUpToTheLimit) {
  auto tenant = add_tenant();
  add_endpoint(tenant);
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    auto ev = ingest(tenant, "a.b", T0 + i).event;
    ids.push_back(deliveries(tenant, {{}, {}, ev.id}).at(0).id);
  }
  // Push the oldest one into the future: it is no longer first in line.
  auto first = claim(T0 + 4, 1);
  ASSERT_EQ(delivery_ids(first), std::vector<std::string>{ids[0]});
  complete({outcome(first[0], DeliveryStatus::pending, T0 + 4, T0 + kHour)}, T0 + 4);

  auto two = claim(T0 + 10, 2);
  EXPECT_EQ(delivery_ids(two), (std::vector<std::string>{ids[1], ids[2]}));
  auto rest = claim(T0 + 10, 10);
  EXPECT_EQ(delivery_ids(rest), (std::vector<std::string>{ids[3], ids[4]}));
  std::vector<AttemptRecord> done;
  for (const auto& j : two) done.push_back(outcome(j, DeliveryStatus::succeeded, T0 + 10));
  for (const auto& j : rest) done.push_back(outcome(j, DeliveryStatus::succeeded, T0 + 10));
  complete(done, T0 + 11);
  EXPECT_TRUE(claim(T0 + kHour - 1).empty());
  EXPECT_EQ(delivery_ids(claim(T0 + kHour)), std::vector<std::string>{ids[0]});
}

TEST_P(StoreConformance, ClaimSkipsDisabledEndpoints) {
  auto tenant = add_tenant();
  auto on = add_endpoint(tenant);
  auto off = add_endpoint(tenant);
  ingest(tenant, "a.b", T0);
  EndpointPatch disable;
  disable.disabled = true;
  must(store().update_endpoint(tenant.id, off.id, disable, T0));

  auto jobs = claim(T0);
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].endpoint_id, on.id);
  EXPECT_TRUE(claim(T0 + 1).empty());
  auto later = claim(T0 + kDay);  // the lease ran out: only the enabled endpoint's again
  ASSERT_EQ(later.size(), 1u);
  EXPECT_EQ(later[0].endpoint_id, on.id);
  EXPECT_EQ(deliveries(tenant, {DeliveryStatus::pending, off.id, {}}).size(), 1u);
}

TEST_P(StoreConformance, ConcurrentClaimersNeverShareADelivery) {
  auto tenant = add_tenant();
  add_endpoint(tenant);
  add_endpoint(tenant);
  constexpr int kEvents = 100;
  for (int i = 0; i < kEvents; ++i) ingest(tenant, "a.b", T0);

  std::mutex mu;
  std::vector<std::string> claimed;
  std::vector<std::string> errors;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::string owner = "worker-" + std::to_string(t);
      for (int round = 0; round < 1000; ++round) {
        auto jobs = store().claim_due(owner, T0, kLease, 7);
        std::lock_guard lock(mu);
        if (!jobs) {
          errors.push_back(jobs.error().message);
          return;
        }
        if (jobs->empty()) return;
        for (const auto& job : *jobs) claimed.push_back(job.delivery_id);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_TRUE(errors.empty()) << errors.front();
  std::set<std::string> unique(claimed.begin(), claimed.end());
  EXPECT_EQ(unique.size(), claimed.size()) << "a delivery was leased twice";
  EXPECT_EQ(claimed.size(), static_cast<std::size_t>(2 * kEvents));
}

// ---- claims shared among tenants ----

TEST_P(StoreConformance, ClaimSharesTheBatchAmongTenantsWithDueWork) {
  auto noisy = add_tenant("noisy");
  auto quiet = add_tenant("quiet");
  add_endpoint(noisy);
  add_endpoint(quiet);
  std::vector<std::string> noisy_ids;
  for (int i = 0; i < 8; ++i) {
    auto ev = ingest(noisy, "a.b", T0 + i).event;  // older than all of quiet's
    noisy_ids.push_back(deliveries(noisy, {{}, {}, ev.id}).at(0).id);
  }
  for (int i = 0; i < 2; ++i) ingest(quiet, "a.b", T0 + 100 + i);

  auto first = claim(T0 + 200, 4);
  EXPECT_EQ(jobs_per_tenant(first), (std::map<std::string, int>{{noisy.id, 2}, {quiet.id, 2}}));
  std::vector<std::string> noisy_taken;
  for (const auto& job : first) {
    if (job.tenant_id == noisy.id) noisy_taken.push_back(job.delivery_id);
  }
  EXPECT_EQ(noisy_taken, (std::vector<std::string>{noisy_ids[0], noisy_ids[1]})) << "oldest first";
  auto rest = claim(T0 + 200, 100);
  EXPECT_EQ(jobs_per_tenant(rest), (std::map<std::string, int>{{noisy.id, 6}}));
}

TEST_P(StoreConformance, ClaimGivesWhatATenantCannotUseToTenantsWithMore) {
  auto a = add_tenant("a");
  auto b = add_tenant("b");
  auto c = add_tenant("c");
  for (const auto& t : {a, b, c}) add_endpoint(t);
  for (int i = 0; i < 10; ++i) ingest(a, "a.b", T0 + i);
  ingest(b, "a.b", T0 + 20);
  for (int i = 0; i < 4; ++i) ingest(c, "a.b", T0 + 30 + i);
  // Parts of 3; b uses 1, and the 2 left go one each to a and c.
  auto jobs = claim(T0 + 60, 9);
  EXPECT_EQ(jobs_per_tenant(jobs), (std::map<std::string, int>{{a.id, 4}, {b.id, 1}, {c.id, 4}}));
}

TEST_P(StoreConformance, ClaimTurnsMoveOnFromOneClaimToTheNext) {
  auto a = add_tenant("a");
  auto b = add_tenant("b");
  add_endpoint(a);
  add_endpoint(b);
  for (int i = 0; i < 3; ++i) {
    ingest(a, "a.b", T0 + i);
    ingest(b, "a.b", T0 + 10 + i);
  }
  std::vector<std::string> order;
  for (int i = 0; i < 6; ++i) {
    auto one = claim(T0 + 20, 1);
    ASSERT_EQ(one.size(), 1u);
    order.push_back(one[0].tenant_id);
  }
  for (std::size_t i = 1; i < order.size(); ++i) EXPECT_NE(order[i], order[i - 1]) << i;
  EXPECT_TRUE(claim(T0 + 20, 1).empty());
}

TEST_P(StoreConformance, ClaimOfOneEventSharesOneBody) {
  auto tenant = add_tenant();
  add_endpoint(tenant);
  add_endpoint(tenant);
  add_endpoint(tenant);
  auto ev = ingest(tenant, "a.b", T0).event;
  auto jobs = claim(T0);
  ASSERT_EQ(jobs.size(), 3u);
  EXPECT_EQ(*jobs[0].payload, ev.payload);
  EXPECT_EQ(jobs[0].payload.get(), jobs[1].payload.get());
  EXPECT_EQ(jobs[0].payload.get(), jobs[2].payload.get());
}

TEST_P(StoreConformance, FifoEndpointHasOneInFlightInCreationOrder) {
  auto tenant = add_tenant();
  Endpoint fifo = endpoint_for(tenant);
  fifo.ordering = Ordering::fifo;
  add_endpoint(fifo);
  auto parallel = add_endpoint(tenant);
  std::vector<std::string> fifo_ids;
  for (int i = 0; i < 3; ++i) {
    auto ev = ingest(tenant, "a.b", T0 + i).event;
    fifo_ids.push_back(deliveries(tenant, {{}, fifo.id, ev.id}).at(0).id);
  }

  auto jobs = claim(T0 + 10);
  int parallel_jobs = 0;
  std::vector<std::string> fifo_claimed;
  std::vector<AttemptRecord> parallel_done;
  for (const auto& job : jobs) {
    if (job.endpoint_id == parallel.id) {
      ++parallel_jobs;
      parallel_done.push_back(outcome(job, DeliveryStatus::succeeded, T0 + 10));
    } else {
      fifo_claimed.push_back(job.delivery_id);
    }
  }
  complete(parallel_done, T0 + 11);
  EXPECT_EQ(parallel_jobs, 3);
  ASSERT_EQ(fifo_claimed, std::vector<std::string>{fifo_ids[0]});
  EXPECT_EQ(jobs.size(), 4u);
  const auto head = *std::find_if(jobs.begin(), jobs.end(),
                                  [&](const auto& j) { return j.delivery_id == fifo_ids[0]; });
  EXPECT_EQ(head.ordering, Ordering::fifo);

  // While the head is in flight, or waiting for its retry, nothing behind it moves.
  EXPECT_TRUE(claim(T0 + 20).empty());
  complete({outcome(head, DeliveryStatus::pending, T0 + 20, T0 + kMinute)}, T0 + 20);
  EXPECT_TRUE(claim(T0 + 30).empty());
  auto retry = claim(T0 + kMinute);
  ASSERT_EQ(delivery_ids(retry), std::vector<std::string>{fifo_ids[0]});
  EXPECT_EQ(retry[0].attempt, 2);

  // Its lease expiring hands it (not the next one) to another worker.
  auto stolen = claim(T0 + kMinute + kLease, 10, "w2");
  ASSERT_EQ(delivery_ids(stolen), std::vector<std::string>{fifo_ids[0]});

  // Done: the next in creation order becomes claimable, and only it.
  complete({outcome(stolen[0], DeliveryStatus::succeeded, T0 + 2 * kMinute)}, T0 + 2 * kMinute,
           "w2");
  EXPECT_EQ(delivery_ids(claim(T0 + 2 * kMinute)), std::vector<std::string>{fifo_ids[1]});
  EXPECT_TRUE(claim(T0 + 2 * kMinute).empty());
  auto next_due = must(store().next_due_at());
  EXPECT_EQ(next_due, T0 + 2 * kMinute + kLease);
}

// FIFO after a replay: the replayed dead letter is older than the queue, so it goes next,
// but not while another delivery of the endpoint is still in flight.
TEST_P(StoreConformance, FifoReplayedDeadLetterGoesNextAfterTheOneInFlight) {
  auto tenant = add_tenant();
  Endpoint e = endpoint_for(tenant);
  e.ordering = Ordering::fifo;
  add_endpoint(e);
  ingest(tenant, "a.b", T0);
  auto first = make_dead(T0);
  ingest(tenant, "a.b", T0 + 1);
  ingest(tenant, "a.b", T0 + 2);
  auto second = claim(T0 + 10);
  ASSERT_EQ(second.size(), 1u);

  must(store().replay_delivery(tenant.id, first.delivery_id, T0 + 20));
  EXPECT_TRUE(claim(T0 + 20).empty()) << "the second is still in flight";
  complete({outcome(second[0], DeliveryStatus::pending, T0 + 21, T0 + 22)}, T0 + 21);
  auto next = claim(T0 + 22);
  ASSERT_EQ(delivery_ids(next), std::vector<std::string>{first.delivery_id});
  EXPECT_EQ(next[0].attempt, 2);
  EXPECT_EQ(next[0].attempt_in_series, 1);
  complete({outcome(next[0], DeliveryStatus::succeeded, T0 + 23)}, T0 + 23);
  EXPECT_EQ(delivery_ids(claim(T0 + 24)), std::vector<std::string>{second[0].delivery_id});
}

// Switching an endpoint to FIFO, or disabling and enabling a FIFO endpoint, leaves exactly
// its oldest pending delivery claimable.
TEST_P(StoreConformance, FifoHoldsAcrossOrderingChangesAndReenabling) {
  auto tenant = add_tenant();
  auto e = add_endpoint(tenant);
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    auto ev = ingest(tenant, "a.b", T0 + i).event;
    ids.push_back(deliveries(tenant, {{}, {}, ev.id}).at(0).id);
  }
  EndpointPatch to_fifo;
  to_fifo.ordering = Ordering::fifo;
  must(store().update_endpoint(tenant.id, e.id, to_fifo, T0 + 5));
  auto head = claim(T0 + 10);
  ASSERT_EQ(delivery_ids(head), std::vector<std::string>{ids[0]});

  EndpointPatch off;
  off.disabled = true;
  must(store().update_endpoint(tenant.id, e.id, off, T0 + 11));
  complete({outcome(head[0], DeliveryStatus::succeeded, T0 + 12)}, T0 + 12);
  EXPECT_TRUE(claim(T0 + kHour).empty());
  EndpointPatch on;
  on.disabled = false;
  must(store().update_endpoint(tenant.id, e.id, on, T0 + kHour));
  EXPECT_EQ(delivery_ids(claim(T0 + kHour)), std::vector<std::string>{ids[1]});

  // Back to parallel: the rest flows at once.
  EndpointPatch to_parallel;
  to_parallel.ordering = Ordering::parallel;
  must(store().update_endpoint(tenant.id, e.id, to_parallel, T0 + kHour + 1));
  EXPECT_EQ(delivery_ids(claim(T0 + kHour + 2)), std::vector<std::string>{ids[2]});
}

// Deliveries in flight when an endpoint switches to FIFO hold back its oldest, which is then
// due once they are done (or their leases end).
TEST_P(StoreConformance, FifoSwitchWaitsForTheDeliveriesInFlight) {
  auto tenant = add_tenant();
  auto e = add_endpoint(tenant);
  for (int i = 0; i < 3; ++i) ingest(tenant, "a.b", T0 + i);
  auto jobs = claim(T0 + 10);
  ASSERT_EQ(jobs.size(), 3u);
  complete({outcome(jobs[0], DeliveryStatus::pending, T0 + 11, T0 + 20)}, T0 + 11);

  EndpointPatch to_fifo;
  to_fifo.ordering = Ordering::fifo;
  must(store().update_endpoint(tenant.id, e.id, to_fifo, T0 + 12));
  EXPECT_TRUE(claim(T0 + 20).empty()) << "two newer deliveries are still in flight";
  EXPECT_EQ(must(store().next_due_at()), T0 + 10 + kLease);
  complete({outcome(jobs[1], DeliveryStatus::succeeded, T0 + 21),
            outcome(jobs[2], DeliveryStatus::succeeded, T0 + 21)},
           T0 + 21);
  EXPECT_EQ(delivery_ids(claim(T0 + 22)), std::vector<std::string>{jobs[0].delivery_id});
}

}  // namespace axon::test
