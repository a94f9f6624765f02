#include "delivery/fair_scheduler.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iterator>
#include <unordered_set>

#include "core/url_policy.hpp"

namespace axon {
namespace {

// A quarter of the in-flight slots is never handed to tenants already working, so a tenant
// that arrives later starts at once.
constexpr int kReserveDivisor = 4;
// A tenant whose attempts have all been silent this long, with every slot of its share taken,
// counts as stalled: it keeps only a few queued jobs.
constexpr Millis kStalledAfter = 250;
constexpr Millis kForgetAfter = 10'000;
// Work handed back because a cap shared by several endpoints is full is due again this soon.
constexpr double kSharedHandbackMs = 1'000;
// … and never later than this, however often it repeats.
constexpr Millis kMaxSharedHandbackMs = 4'000;
// A slow or rate-limited endpoint's own surplus backs off up to this.
constexpr Millis kMaxHandbackMs = 60'000;
constexpr Millis kGcInterval = 60'000;
// Surplus handed back to a full address is remembered (to recall it when the address answers
// again) up to this many deliveries in all; beyond it, the work waits out its backoff.
constexpr std::size_t kMaxParked = 100'000;
constexpr Millis kPruneInterval = 1'000;

std::size_t ids_in(const std::vector<Handback>& batches) {
  std::size_t n = 0;
  for (const auto& h : batches) n += h.delivery_ids.size();
  return n;
}

TokenBucket::TimePoint steady_point(Millis ms) {
  return TokenBucket::TimePoint{std::chrono::milliseconds(ms)};
}

// Connections are per host; the address a host name resolved to is learnt later.
std::string host_of(const std::string& url) {
  auto parsed = parse_endpoint_url(url);
  return parsed ? parsed->host : url;
}

std::string service_of(const std::string& url) {
  auto parsed = parse_endpoint_url(url);
  if (!parsed) return url;
  return parsed->scheme + "://" + parsed->host + ":" + std::to_string(parsed->port);
}

// About a second of work for `concurrency` attempts of `per_attempt_ms` each, and never
// less than two rounds of it.
std::size_t second_of_work(int concurrency, double per_attempt_ms) {
  const auto per_second = static_cast<std::size_t>(static_cast<double>(concurrency) * 1000.0 /
                                                   std::max(1.0, per_attempt_ms));
  return std::max(static_cast<std::size_t>(2 * concurrency + 2), per_second);
}

Millis backoff_due(double drain_ms, int handbacks, Millis max_ms) {
  const double factor = static_cast<double>(1 << std::min(handbacks, 6));
  return std::clamp<Millis>(std::llround(drain_ms * factor), 50, max_ms);
}

}  // namespace

void FairScheduler::Activity::started(Millis now) {
  ++in_flight;
  last_used = now;
}

void FairScheduler::Activity::ended(Millis now, int duration_ms) {
  --in_flight;
  handbacks = 0;  // it answers again
  avg_ms = 0.8 * avg_ms + 0.2 * duration_ms;
  last_result = now;
}

double FairScheduler::Activity::per_attempt_ms(Millis now) const {
  if (in_flight == 0) return avg_ms;
  return std::max(avg_ms, static_cast<double>(now - std::max(last_used, last_result)));
}

FairScheduler::FairScheduler(const Clock& clock, SchedulerOptions options)
    : clock_(clock), options_(options) {}

int FairScheduler::tenant_share() const {
  int active = 0;
  for (const auto& [id, t] : tenants_) active += (t.queued > 0 || t.activity.in_flight > 0);
  const int shared = options_.max_in_flight - options_.max_in_flight / kReserveDivisor;
  return std::max(1, shared / std::max(1, active));
}

std::shared_ptr<const std::string> FairScheduler::shared_body(const DeliveryJob& job) {
  auto& cached = bodies_[job.event_id];
  if (auto body = cached.lock()) return body;
  cached = job.payload;
  return job.payload;
}

void FairScheduler::enqueue(DeliveryJob job) {
  const Millis now = clock_.steady_ms();
  auto [it, inserted] = endpoints_.try_emplace(job.endpoint_id);
  EndpointState& ep = it->second;
  ep.id = job.endpoint_id;
  ep.tenant_id = job.tenant_id;
  ep.fifo = job.ordering == Ordering::fifo;
  ep.max_in_flight = ep.fifo ? 1 : std::max(0, job.max_in_flight);
  ep.bucket.set_rate(job.rate_limit, steady_point(now));
  if (ep.url != job.url) {
    ep.url = job.url;
    ep.host = host_of(job.url);
    ep.service = job.tenant_id + ' ' + service_of(job.url);
  }
  if (job.payload) job.payload = shared_body(job);
  TenantState& tenant = tenants_[job.tenant_id];
  if (!ep.in_ring) {
    ep.in_ring = true;
    tenant.ring.push_back(job.endpoint_id);
  }
  if (!tenant.in_ring) {
    tenant.in_ring = true;
    tenant_ring_.push_back(job.tenant_id);
  }
  ep.queue.push_back(std::move(job));
  ++tenant.queued;
  ++queued_;
}

std::string FairScheduler::destination_of(const EndpointState& ep) const {
  auto known = addresses_.find(ep.host);
  return ep.tenant_id + ' ' + (known == addresses_.end() ? ep.host : known->second);
}

void FairScheduler::learn_address(const std::string& url, const std::string& address) {
  if (address.empty()) return;
  const std::string host = host_of(url);
  if (host == address) return;
  if (addresses_.size() > 10'000) addresses_.clear();
  addresses_[host] = address;
}

bool FairScheduler::may_start(EndpointState& ep, const std::string& dest, Millis now) {
  if (ep.max_in_flight > 0 && ep.in_flight >= ep.max_in_flight) return false;
  if (auto s = services_.find(ep.service); s != services_.end() && s->second >= options_.max_per_service) {
    return false;
  }
  if (auto d = destinations_.find(dest);
      d != destinations_.end() && d->second.in_flight >= options_.max_per_destination) {
    // A full destination still lets an endpoint below its equal part of the cap start, so
    // one hung endpoint cannot hold a busy address's whole cap against its neighbours
    // (the overdraft is bounded: at most the cap again, in parts).
    const auto& per_endpoint = d->second.per_endpoint;
    const auto mine = per_endpoint.find(ep.id);
    const int own = mine == per_endpoint.end() ? 0 : mine->second;
    const int sharing = static_cast<int>(per_endpoint.size()) + (own == 0 ? 1 : 0);
    if (own >= options_.max_per_destination / sharing) return false;
  }
  if (ep.bucket.limited()) {  // last: a passing check takes a token
    if (!ep.bucket.try_take(steady_point(now))) {
      const Millis at = std::chrono::duration_cast<std::chrono::milliseconds>(
                            ep.bucket.time_for(1.0, steady_point(now)).time_since_epoch())
                            .count();
      if (!rate_wakeup_ || at < *rate_wakeup_) rate_wakeup_ = at;
      return false;
    }
  }
  return true;
}

// One turn of `tenant`: its endpoints in ring order until one may start.
std::optional<FairScheduler::Start> FairScheduler::start_from(TenantState& tenant, Millis now) {
  for (std::size_t n = tenant.ring.size(); n > 0; --n) {
    std::string id = std::move(tenant.ring.front());
    tenant.ring.pop_front();
    EndpointState& ep = endpoints_[id];
    if (ep.queue.empty()) {
      ep.in_ring = false;
      continue;
    }
    const std::string dest = destination_of(ep);
    const bool ok = may_start(ep, dest, now);
    tenant.ring.push_back(id);  // next turn starts with the following endpoint
    if (!ok) continue;
    Start start{std::move(ep.queue.front()), Slot{ep.tenant_id, id, dest, ep.service}};
    ep.queue.pop_front();
    ++ep.in_flight;
    ep.last_used = now;
    --tenant.queued;
    --queued_;
    tenant.activity.started(now);
    Destination& destination = destinations_[dest];
    destination.started(now);
    ++destination.per_endpoint[id];
    ++services_[ep.service];
    ++in_flight_;
    return start;
  }
  return std::nullopt;
}

std::optional<FairScheduler::Start> FairScheduler::next_ready() {
  rate_wakeup_.reset();
  if (in_flight_ >= options_.max_in_flight || queued_ == 0) return std::nullopt;
  const Millis now = clock_.steady_ms();
  const int share = tenant_share();
  for (std::size_t n = tenant_ring_.size(); n > 0; --n) {
    std::string id = std::move(tenant_ring_.front());
    tenant_ring_.pop_front();
    TenantState& tenant = tenants_[id];
    if (tenant.queued == 0) {
      tenant.in_ring = false;
      continue;
    }
    tenant_ring_.push_back(id);
    if (tenant.activity.in_flight >= share) continue;
    if (auto start = start_from(tenant, now)) return start;
  }
  return std::nullopt;
}

void FairScheduler::finished(const Slot& slot, int duration_ms, bool answered) {
  const Millis now = clock_.steady_ms();
  --in_flight_;
  EndpointState* endpoint = nullptr;
  if (auto ep = endpoints_.find(slot.endpoint_id); ep != endpoints_.end()) {
    endpoint = &ep->second;
    --endpoint->in_flight;
    endpoint->avg_ms = 0.8 * endpoint->avg_ms + 0.2 * duration_ms;
    endpoint->last_result = now;
  }
  if (auto t = tenants_.find(slot.tenant_id); t != tenants_.end()) {
    t->second.activity.ended(now, duration_ms);
  }
  if (auto s = services_.find(slot.service); s != services_.end() && --s->second <= 0) {
    services_.erase(s);
  }
  bool address_has_room = true;
  if (auto d = destinations_.find(slot.destination); d != destinations_.end()) {
    Destination& dest = d->second;
    dest.ended(now, duration_ms);
    if (auto e = dest.per_endpoint.find(slot.endpoint_id);
        e != dest.per_endpoint.end() && --e->second <= 0) {
      dest.per_endpoint.erase(e);
    }
    address_has_room = 2 * dest.in_flight < options_.max_per_destination;
    if (answered && address_has_room) recall(dest.parked);
  }
  // It answers and has room again: what it could not take earlier may start now. (While it
  // or its address stays full the surplus waits: recalling it would hand it back again.)
  if (endpoint != nullptr && answered && address_has_room &&
      2 * endpoint->in_flight < concurrency_of(*endpoint)) {
    recall(endpoint->parked);
  }
}

// Moves all but `keep` of `ep`'s queued jobs (the youngest) into a hand-back due after the
// kept work should have drained, backing off on repeats up to `max_delay`; returns how many.
std::size_t FairScheduler::trim(EndpointState& ep, TenantState& tenant, std::size_t keep,
                                Millis now, double drain_ms, int& handbacks, Millis max_delay,
                                std::vector<Handback>& out) {
  if (ep.queue.size() <= keep) return 0;
  Handback back{now + backoff_due(drain_ms, handbacks, max_delay), {}};
  ++handbacks;
  while (ep.queue.size() > keep) {
    back.delivery_ids.push_back(std::move(ep.queue.back().delivery_id));
    ep.queue.pop_back();
    --tenant.queued;
    --queued_;
  }
  std::reverse(back.delivery_ids.begin(), back.delivery_ids.end());
  const std::size_t moved = back.delivery_ids.size();
  out.push_back(std::move(back));
  return moved;
}

std::size_t FairScheduler::collect_handbacks(Millis now, std::vector<Handback>& out) {
  std::size_t handed_back = 0;
  const Millis steady = clock_.steady_ms();
  const int share = tenant_share();
  std::unordered_map<std::string, std::size_t> kept_per_destination;
  std::unordered_set<std::string> backed_off;  // destinations that handed back this pass
  for (auto& [tenant_id, tenant] : tenants_) {
    if (tenant.queued == 0) continue;
    // A stalled tenant: every slot of its share is held by attempts silent for a while.
    const bool stalled = tenant.activity.in_flight >= share &&
                         steady - std::max(tenant.activity.last_used,
                                           tenant.activity.last_result) >= kStalledAfter;
    std::size_t tenant_keep = stalled ? static_cast<std::size_t>(std::max(1, share / 8))
                                      : tenant.queued;
    for (const auto& id : tenant.ring) {
      EndpointState& ep = endpoints_[id];
      if (ep.queue.empty()) {
        ep.handbacks = 0;
        continue;
      }
      // The endpoint: its own limits, or the destination cap, set its concurrency.
      const int concurrency = concurrency_of(ep);
      double per_attempt = ep.avg_ms;
      if (ep.in_flight > 0) {
        per_attempt = std::max(per_attempt, static_cast<double>(steady - std::max(ep.last_used, ep.last_result)));
      }
      std::size_t keep = second_of_work(concurrency, per_attempt);
      double drain_ms = per_attempt * static_cast<double>(keep) / concurrency;
      if (ep.bucket.limited()) {
        const double rate = ep.bucket.rate();
        keep = std::min(keep, 1 + static_cast<std::size_t>(rate));
        drain_ms = std::max(drain_ms, static_cast<double>(keep) / rate * 1000.0);
      }
      // The destination (many endpoints may share it) and the tenant bound it further.
      const std::string dest = destination_of(ep);
      auto d = destinations_.find(dest);
      const double dest_per_attempt = d == destinations_.end() ? 0 : d->second.per_attempt_ms(steady);
      std::size_t& dest_kept = kept_per_destination[dest];
      const std::size_t dest_keep = second_of_work(options_.max_per_destination, dest_per_attempt);
      const std::size_t shared_keep = std::min(dest_keep - std::min(dest_keep, dest_kept), tenant_keep);
      std::size_t moved = 0;
      if (keep <= shared_keep) {
        moved = trim(ep, tenant, keep, now, drain_ms, ep.handbacks, kMaxHandbackMs, out);
        if (moved > 0 && !ep.bucket.limited()) park(ep.parked, out.back());
      } else {
        // Surplus of a shared cap: the endpoint itself is not slow; another of the tenant's
        // endpoints, or the whole address, is. Back soon, backing off per destination (not
        // per endpoint) while the address stays full, so a hung address is not re-claimed
        // and handed back over and over; capped so the work returns soon after it recovers.
        int repeats = d == destinations_.end() ? 0 : d->second.handbacks;
        moved = trim(ep, tenant, shared_keep, now,
                     std::min<double>(dest_per_attempt, kSharedHandbackMs), repeats,
                     kMaxSharedHandbackMs, out);
        if (moved > 0 && d != destinations_.end()) {
          backed_off.insert(dest);
          if (!ep.bucket.limited()) park(d->second.parked, out.back());
        }
      }
      if (moved == 0) ep.handbacks = 0;
      handed_back += moved;
      dest_kept += ep.queue.size();
      tenant_keep -= std::min(tenant_keep, ep.queue.size());
    }
  }
  for (const auto& dest : backed_off) ++destinations_[dest].handbacks;
  return handed_back;
}

int FairScheduler::concurrency_of(const EndpointState& ep) const {
  return ep.max_in_flight > 0 ? ep.max_in_flight : options_.max_per_service;
}

void FairScheduler::park(std::vector<Handback>& parked, const Handback& handback) {
  if (parked_ + handback.delivery_ids.size() > kMaxParked) return;
  parked.push_back(handback);
  parked_ += handback.delivery_ids.size();
}

void FairScheduler::recall(std::vector<Handback>& parked) {
  parked_ -= ids_in(parked);
  std::move(parked.begin(), parked.end(), std::back_inserter(recalled_));
  parked.clear();
}

std::vector<Recall> FairScheduler::take_recalls(Millis now) {
  std::vector<Recall> out;
  for (auto& h : recalled_) {
    if (h.due_at > now) out.push_back(Recall{h.due_at, std::move(h.delivery_ids)});
  }
  recalled_.clear();
  if (parked_ > 0 && now >= next_prune_) {  // work already due again needs no recall
    next_prune_ = now + kPruneInterval;
    auto prune = [&](std::vector<Handback>& parked) {
      std::erase_if(parked, [&](const Handback& h) {
        if (h.due_at > now) return false;
        parked_ -= h.delivery_ids.size();
        return true;
      });
    };
    for (auto& [id, ep] : endpoints_) prune(ep.parked);
    for (auto& [key, dest] : destinations_) prune(dest.parked);
  }
  return out;
}

void FairScheduler::collect_expiring(Millis now, Millis needed_until, std::vector<Handback>& out) {
  Handback back{now, {}};
  for (auto& [id, ep] : endpoints_) {
    while (!ep.queue.empty() && ep.queue.front().lease_expires_at < needed_until) {
      back.delivery_ids.push_back(std::move(ep.queue.front().delivery_id));
      ep.queue.pop_front();
      --tenants_[ep.tenant_id].queued;
      --queued_;
    }
  }
  if (!back.delivery_ids.empty()) out.push_back(std::move(back));
}

std::vector<std::string> FairScheduler::drop_endpoint(const std::string& endpoint_id) {
  std::vector<std::string> ids;
  auto it = endpoints_.find(endpoint_id);
  if (it == endpoints_.end()) return ids;
  for (auto& job : it->second.queue) ids.push_back(std::move(job.delivery_id));
  tenants_[it->second.tenant_id].queued -= it->second.queue.size();
  queued_ -= it->second.queue.size();
  it->second.queue.clear();  // next_ready drops it from its tenant's ring
  return ids;
}

void FairScheduler::drop_all_queued() {
  for (auto& [id, ep] : endpoints_) ep.queue.clear();
  for (auto& [id, tenant] : tenants_) tenant.queued = 0;
  queued_ = 0;
}

bool FairScheduler::is_fifo(const std::string& endpoint_id) const {
  auto it = endpoints_.find(endpoint_id);
  return it != endpoints_.end() && it->second.fifo;
}

void FairScheduler::forget_idle() {
  const Millis now = clock_.steady_ms();
  if (now < next_gc_) return;
  next_gc_ = now + kGcInterval;
  std::erase_if(endpoints_, [&](const auto& kv) {
    const EndpointState& ep = kv.second;
    if (ep.in_ring || !ep.queue.empty() || ep.in_flight > 0 || now - ep.last_used <= kForgetAfter) {
      return false;
    }
    parked_ -= ids_in(ep.parked);  // not recalled: due again on its own
    return true;
  });
  std::erase_if(tenants_, [&](const auto& kv) {
    const TenantState& tenant = kv.second;
    if (tenant.in_ring || tenant.queued > 0 || tenant.activity.in_flight > 0) return false;
    for (const auto& id : tenant.ring) endpoints_[id].in_ring = false;  // a new tenant entry relists them
    return true;
  });
  std::erase_if(destinations_, [&](const auto& kv) {
    if (kv.second.in_flight > 0) return false;
    parked_ -= ids_in(kv.second.parked);  // not recalled: due again on its own
    return true;
  });
  std::erase_if(bodies_, [](const auto& kv) { return kv.second.expired(); });
}

}  // namespace axon
