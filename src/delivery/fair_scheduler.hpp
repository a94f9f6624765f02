// FairScheduler: which leased delivery starts next, and which leases go back to the store.
//
// Pure policy: no I/O, time from Clock::steady_ms(). The dispatcher hands it every claimed
// job (enqueue), asks for the next job allowed to start (next_ready) until there is none,
// reports every finished attempt (finished), and sends the hand-backs it collects
// (collect_handbacks) back to the store.
//
// Fairness is scheduling, not a limit:
// - Tenants with work take turns (round-robin), and within a tenant its endpoints take turns,
//   so a tenant with 1,000 endpoints gets one start per round like a tenant with one.
// - A tenant holds at most its share of the in-flight slots: (max_in_flight − a quarter kept
//   in reserve) / tenants with work. The reserve means a tenant that arrives later always
//   finds free slots at once, even while another tenant's attempts hang until they time out.
// - A tenant's attempts to one scheme://host:port are capped (max_per_service, as libcurl
//   caps connections per host:port), and so are its attempts to one *address connected*
//   (max_per_destination; the IP
//   literal, or the address learnt from the last connection to that host name), so endpoints
//   on many ports or many names of one machine share one cap. When it is full, an endpoint
//   holding less than its equal part of it may still start (so one hung endpoint does not
//   lock out a healthy neighbour on the same machine); that overdraft is at most the cap.
// - Work that cannot start soon does not hold leases or process capacity: an endpoint or a
//   destination keeps about a second of work (less when its attempts hang), a tenant whose
//   slots are all taken by silent attempts keeps little; the rest is handed back to the
//   store, due when the kept work should have drained, with backoff on repeats.
// - Surplus handed back because an address was full is recalled when the address answers
//   again with room to spare, and an endpoint's own surplus when it answers with room to
//   spare (take_recalls): waiting out the backoff would leave the senders idle once the
//   receiver catches up. A rate-limited endpoint's surplus is not: room is not what holds
//   it back.
// - Jobs of one event share one body (DeliveryJob::payload): enqueue swaps a job's body for
//   the copy already queued or in flight.
//
// Thread-safety: none; owned by the dispatcher thread.
#pragma once

#include <cstddef>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/clock.hpp"
#include "delivery/token_bucket.hpp"
#include "store/store.hpp"

namespace axon {

struct SchedulerOptions {
  int max_in_flight = 1024;       // process-wide concurrent attempts
  int max_per_destination = 256;  // concurrent attempts per tenant and connected address
  int max_per_service = 64;       // concurrent attempts per tenant and scheme://host:port
};

// Where a started attempt is counted, so that its end frees exactly what its start took
// (the endpoint's URL or the host's address may change meanwhile).
struct Slot {
  std::string tenant_id;
  std::string endpoint_id;
  std::string destination;
  std::string service;
};

// Leases to give back without an attempt, due again at `due_at` (wall clock).
struct Handback {
  Millis due_at = 0;
  std::vector<std::string> delivery_ids;
};

// Deliveries this node handed back due at `handed_back_due` that may start sooner now
// (Store::bring_forward_deliveries).
struct Recall {
  Millis handed_back_due = 0;
  std::vector<std::string> delivery_ids;
};

class FairScheduler {
 public:
  FairScheduler(const Clock& clock, SchedulerOptions options);

  // A leased job to start when its tenant, endpoint, destination and rate limit allow.
  void enqueue(DeliveryJob job);

  // The next job allowed to start now, taken out of the queue and counted in flight.
  struct Start {
    DeliveryJob job;
    Slot slot;
  };
  std::optional<Start> next_ready();

  // An attempt started by next_ready finished after `duration_ms`; `answered` when the
  // destination sent a response (not a timeout or a refused connection, nor a job that
  // never started).
  void finished(const Slot& slot, int duration_ms, bool answered = true);

  // Later connections to `url`'s host go to `address` (learnt from a finished attempt).
  void learn_address(const std::string& url, const std::string& address);

  // Surplus that cannot start soon (see above); `now` is wall time for the due times.
  // Returns how many jobs it handed back.
  std::size_t collect_handbacks(Millis now, std::vector<Handback>& out);
  // The surplus of full addresses that answer again, still due after `now` (wall time).
  std::vector<Recall> take_recalls(Millis now);
  // Queued jobs whose lease expires before `needed_until` (wall time), due now.
  void collect_expiring(Millis now, Millis needed_until, std::vector<Handback>& out);
  // Drops the endpoint's queued jobs (it is being disabled); returns their delivery ids.
  std::vector<std::string> drop_endpoint(const std::string& endpoint_id);
  // Drops every queued job (shutdown; their leases are released wholesale).
  void drop_all_queued();

  // When a rate-limited endpoint next has a token (steady ms), if one is waiting for it.
  std::optional<Millis> next_rate_wakeup() const { return rate_wakeup_; }
  bool is_fifo(const std::string& endpoint_id) const;
  std::size_t queued() const { return queued_; }
  int in_flight() const { return in_flight_; }
  // The most a tenant may have in flight now (for tests and metrics).
  int tenant_share() const;

  // Forgets endpoints, tenants and bodies idle for a while (their state would be fresh).
  void forget_idle();

 private:
  struct EndpointState {
    std::string id;
    std::string tenant_id;
    std::deque<DeliveryJob> queue;
    int in_flight = 0;
    int max_in_flight = 0;  // 0 = unlimited; FIFO endpoints get 1
    bool fifo = false;
    bool in_ring = false;  // listed in its tenant's ring
    std::string url;
    std::string host;
    std::string service;  // tenant + ' ' + scheme://host:port
    TokenBucket bucket;
    double avg_ms = 200;    // moving average attempt duration
    Millis last_used = 0;   // steady: last attempt started
    Millis last_result = 0; // steady: last attempt finished
    int handbacks = 0;      // consecutive hand-backs of surplus (backoff)
    std::vector<Handback> parked;  // its surplus handed back, to recall when it has room
  };
  struct Activity {  // a destination's or a tenant's attempts, for the "hung" estimate
    int in_flight = 0;
    double avg_ms = 200;
    Millis last_used = 0;
    Millis last_result = 0;
    int handbacks = 0;
    void started(Millis now);
    void ended(Millis now, int duration_ms);
    // Milliseconds one attempt takes: the average, or the current silence if longer.
    double per_attempt_ms(Millis now) const;
  };
  struct Destination : Activity {
    std::unordered_map<std::string, int> per_endpoint;  // endpoint id -> attempts in flight
    std::vector<Handback> parked;  // surplus handed back while it was full, to recall
  };
  struct TenantState {
    Activity activity;
    std::deque<std::string> ring;  // its endpoints with queued jobs, in turn order
    std::size_t queued = 0;
    bool in_ring = false;
  };

  std::string destination_of(const EndpointState& ep) const;
  int concurrency_of(const EndpointState& ep) const;
  void park(std::vector<Handback>& parked, const Handback& handback);
  void recall(std::vector<Handback>& parked);
  bool may_start(EndpointState& ep, const std::string& dest, Millis now);
  std::optional<Start> start_from(TenantState& tenant, Millis now);
  std::size_t trim(EndpointState& ep, TenantState& tenant, std::size_t keep, Millis now,
                   double drain_ms, int& handbacks, Millis max_delay,
                   std::vector<Handback>& out);
  std::shared_ptr<const std::string> shared_body(const DeliveryJob& job);

  const Clock& clock_;
  const SchedulerOptions options_;
  std::unordered_map<std::string, EndpointState> endpoints_;
  std::unordered_map<std::string, TenantState> tenants_;
  std::unordered_map<std::string, Destination> destinations_;  // key: tenant + ' ' + address
  std::unordered_map<std::string, int> services_;  // tenant + ' ' + scheme://host:port -> in flight
  std::unordered_map<std::string, std::string> addresses_;  // host -> address last connected
  std::unordered_map<std::string, std::weak_ptr<const std::string>> bodies_;  // by event id
  std::deque<std::string> tenant_ring_;  // tenants with queued jobs, in turn order
  std::vector<Handback> recalled_;  // parked work of endpoints that answered again
  std::size_t parked_ = 0;           // delivery ids parked, all endpoints and addresses
  Millis next_prune_ = 0;            // wall: next look for parked work due anyway
  std::size_t queued_ = 0;
  int in_flight_ = 0;
  std::optional<Millis> rate_wakeup_;
  Millis next_gc_ = 0;
};

}  // namespace axon
