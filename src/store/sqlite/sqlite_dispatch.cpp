// SqliteStore: the dispatcher side (claim, complete, release), auto-disable and counters.
// Claims are shared among tenants (store/fair_claim.hpp).
#include <memory>
#include <unordered_map>

#include "store/fair_claim.hpp"
#include "store/rules.hpp"
#include "store/sqlite/sqlite_store_internal.hpp"

namespace axon::sqlite {
namespace {

// The tenants with due work, in turn order from the tenant after `cursor`: a skip scan over
// deliveries_claimable_by_tenant (one indexed lookup for the next tenant, one for "has it
// anything due"), so the cost follows the tenants visited, not the backlog.
ClaimTurns due_tenants(Connection& c, Millis now, const std::string& cursor, int max) {
  ClaimTurns turns;
  std::string from = cursor;
  bool wrapped = false;
  int probes = 0;
  while (static_cast<int>(turns.tenants.size()) < max && probes < kMaxTenantProbes) {
    auto next = c.prepare(
                     "SELECT tenant_id FROM deliveries WHERE claimable_at IS NOT NULL"
                     " AND tenant_id > ? ORDER BY tenant_id LIMIT 1")
                    .bind_all(from);
    if (!next.step() || (wrapped && next.text_at(0) > cursor)) {
      if (wrapped || cursor.empty()) return turns;  // every tenant was looked at
      wrapped = true;
      from.clear();
      continue;
    }
    from = next.text_at(0);
    ++probes;
    auto due = c.prepare("SELECT 1 FROM deliveries WHERE tenant_id = ? AND claimable_at <= ? LIMIT 1")
                   .bind_all(from, now);
    if (due.step()) turns.tenants.push_back(from);
  }
  turns.stopped_at = from;
  return turns;
}

// Leases up to `n` of one tenant's due deliveries, oldest due first, appending them to `jobs`.
// claimable_at <= now selects exactly the deliveries that are pending, due, not under a live
// lease, of an enabled endpoint and (FIFO) at the head of their endpoint's queue; the
// status/disabled tests are belt and braces.
class TenantClaimer {
 public:
  TenantClaimer(Connection& c, std::string_view owner, Millis now, Millis lease_expires_at,
                const HeaderSealer* header_sealer)
      : c_(c),
        owner_(owner),
        now_(now),
        lease_expires_at_(lease_expires_at),
        header_sealer_(header_sealer) {}

  int take(const std::string& tenant, int n) {
    const std::size_t first = jobs.size();
    {
      auto st = c_.prepare(
                      "SELECT d.id, d.tenant_id, d.event_id, d.event_type, d.endpoint_id,"
                      " d.attempts, d.series_start, e.url, e.headers, e.secret_sealed,"
                      " e.previous_secret_sealed, e.previous_secret_expires_at,"
                      " e.max_in_flight, e.rate_limit, e.ordering, ev.payload, e.operational,"
                      " e.tls_client_certificate, e.tls_client_key_sealed"
                      " FROM deliveries d"
                      " JOIN endpoints e ON e.id = d.endpoint_id"
                      " JOIN events ev ON ev.id = d.event_id"
                      " WHERE d.tenant_id = ? AND d.claimable_at <= ? AND d.status = 'pending'"
                      " AND e.disabled = 0"
                      " ORDER BY d.claimable_at, d.id LIMIT ?")
                     .bind_all(tenant, now_, n);
      while (st.step()) jobs.push_back(read_job(st));
    }
    for (std::size_t i = first; i < jobs.size(); ++i) {
      c_.prepare(
            "UPDATE deliveries SET lease_owner = ?1, lease_expires_at = ?2, claimable_at = ?2"
            " WHERE id = ?3")
          .bind_all(owner_, lease_expires_at_, jobs[i].delivery_id)
          .run();
    }
    return static_cast<int>(jobs.size() - first);
  }

  std::vector<DeliveryJob> jobs;

 private:
  DeliveryJob read_job(Statement& st) {
    DeliveryJob job;
    job.delivery_id = st.text_at(0);
    job.tenant_id = st.text_at(1);
    job.event_id = st.text_at(2);
    job.event_type = st.text_at(3);
    job.endpoint_id = st.text_at(4);
    int attempts = st.int_at(5);
    job.attempt = attempts + 1;
    job.attempt_in_series = attempts - st.int_at(6) + 1;
    job.url = st.text_at(7);
    auto headers = headers_by_endpoint_.find(job.endpoint_id);
    if (headers == headers_by_endpoint_.end()) {
      headers = headers_by_endpoint_
                    .emplace(job.endpoint_id, decode_header_column(st.text_at(8), header_sealer_))
                    .first;
    }
    job.headers = headers->second;
    job.secrets_sealed.push_back(st.text_at(9));
    if (!st.is_null(10) && !st.is_null(11) && st.int64_at(11) > now_) {
      job.secrets_sealed.push_back(st.text_at(10));
    }
    job.max_in_flight = st.int_at(12);
    job.rate_limit = st.double_at(13);
    job.ordering = parse_ordering(st.text_at(14));
    auto& body = bodies_[job.event_id];  // one copy per event, not per delivery
    if (!body) body = std::make_shared<const std::string>(st.text_at(15));
    job.payload = body;
    job.operational = st.int_at(16) != 0;
    job.tls_client_certificate = st.optional_text_at(17);
    job.tls_client_key_sealed = st.optional_text_at(18);
    job.lease_expires_at = lease_expires_at_;
    return job;
  }

  Connection& c_;
  std::string_view owner_;
  Millis now_;
  Millis lease_expires_at_;
  const HeaderSealer* header_sealer_;
  std::unordered_map<std::string, HeaderList> headers_by_endpoint_;
  std::unordered_map<std::string, std::shared_ptr<const std::string>> bodies_;
};

}  // namespace

Result<std::vector<DeliveryJob>> SqliteStore::claim_due(std::string_view owner, Millis now,
                                                        Millis lease_ms, int limit) {
  if (limit <= 0) return std::vector<DeliveryJob>{};
  return background_write([&](Connection& c) -> Result<std::vector<DeliveryJob>> {
    WriteTransaction tx(c);
    const ClaimTurns turns = due_tenants(c, now, claim_cursor_, limit);
    TenantClaimer claimer(c, owner, now, now + lease_ms, header_sealer_);
    share_claim(turns.tenants, limit,
                [&](const std::string& tenant, int n) { return claimer.take(tenant, n); });
    tx.commit();
    claim_cursor_ = turns.next_cursor();
    return std::move(claimer.jobs);
  });
}

Result<void> SqliteStore::complete_attempts(std::string_view owner,
                                            std::span<const AttemptRecord> records, Millis now) {
  if (records.empty()) return {};
  return background_write([&](Connection& c) -> Result<void> {
    WriteTransaction tx(c);
    std::int64_t finished[3] = {};  // deliveries that left `pending`, by new status
    for (const auto& r : records) {
      auto st = c.prepare(
                     "SELECT d.status, d.lease_owner, d.endpoint_id, e.ordering"
                     " FROM deliveries d LEFT JOIN endpoints e ON e.id = d.endpoint_id"
                     " WHERE d.id = ?")
                    .bind_all(r.delivery_id);
      if (!st.step()) continue;  // deleted with its tenant meanwhile
      bool pending = parse_status(st.text_at(0)) == DeliveryStatus::pending;
      auto lease_owner = st.optional_text_at(1);
      std::string endpoint_id = st.text_at(2);
      bool fifo = !st.is_null(3) && parse_ordering(st.text_at(3)) == Ordering::fifo;

      const Attempt& a = r.attempt;
      // A duplicate n (the same attempt recorded twice) keeps the first record.
      c.prepare("INSERT INTO attempts (delivery_id, " AXON_SQL_ATTEMPT_COLS
                ") VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (delivery_id, n) DO NOTHING")
          .bind_all(r.delivery_id, a.n, a.started_at, a.duration_ms, a.status_code, a.error,
                    a.error_message, a.response_excerpt)
          .run();

      // The outcome counts only while the delivery is still ours: pending and leased by
      // `owner` (or by nobody, after release_leases). Otherwise another worker owns it now,
      // or it was finished or its endpoint deleted; the attempt is on record either way.
      bool ours = pending && (!lease_owner || *lease_owner == owner);
      if (!ours) {
        c.prepare("UPDATE deliveries SET attempts = max(attempts, ?) WHERE id = ?")
            .bind_all(a.n, r.delivery_id)
            .run();
      } else if (r.new_status == DeliveryStatus::pending) {
        // A parked delivery (endpoint disabled meanwhile, or not the FIFO head) stays parked.
        c.prepare(
             "UPDATE deliveries SET attempts = max(attempts, ?1), next_attempt_at = ?2,"
             " lease_owner = NULL, lease_expires_at = NULL,"
             " claimable_at = CASE WHEN claimable_at IS NULL THEN NULL ELSE ?2 END,"
             " updated_at = ?3 WHERE id = ?4")
            .bind_all(a.n, r.next_attempt_at, now, r.delivery_id)
            .run();
      } else {
        c.prepare(
             "UPDATE deliveries SET status = ?1, attempts = max(attempts, ?2),"
             " lease_owner = NULL, lease_expires_at = NULL, claimable_at = NULL,"
             " updated_at = ?3 WHERE id = ?4")
            .bind_all(status_name(r.new_status), a.n, now, r.delivery_id)
            .run();
        ++finished[static_cast<int>(r.new_status)];
      }
      // The head may have changed (this one finished) or been parked behind a replayed
      // older delivery that waited for this attempt: make the current head claimable.
      if (ours && fifo) promote_fifo_head(c, endpoint_id);

      if (r.disable_endpoint) {
        c.prepare(
             "UPDATE endpoints SET disabled = 1, disabled_reason = ?, updated_at = ?"
             " WHERE id = ? AND disabled = 0")
            .bind_all(r.disable_reason, now, endpoint_id)
            .run();
        if (c.changes() > 0) settle_queue(c, endpoint_id);
      }
    }
    for (auto status : {DeliveryStatus::succeeded, DeliveryStatus::dead}) {
      const std::int64_t n = finished[static_cast<int>(status)];
      count_deliveries(c, DeliveryStatus::pending, -n);
      count_deliveries(c, status, n);
    }
    // failing_since per endpoint, applied once per batch (the rule is store_rules').
    for (const auto& [endpoint_id, h] : store_rules::endpoint_health(records)) {
      if (h.succeeded && !h.failing_since) {
        c.prepare(
             "UPDATE endpoints SET failing_since = NULL WHERE id = ? AND failing_since IS NOT NULL")
            .bind_all(endpoint_id)
            .run();
      } else if (h.succeeded) {  // recovered, then failed again within the batch
        c.prepare("UPDATE endpoints SET failing_since = ? WHERE id = ?")
            .bind_all(*h.failing_since, endpoint_id)
            .run();
      } else {
        c.prepare("UPDATE endpoints SET failing_since = ? WHERE id = ? AND failing_since IS NULL")
            .bind_all(*h.failing_since, endpoint_id)
            .run();
      }
    }
    tx.commit();
    return {};
  });
}

Result<void> SqliteStore::release_leases(std::string_view owner) {
  return background_write([&](Connection& c) -> Result<void> {
    c.prepare(
         "UPDATE deliveries SET lease_owner = NULL, lease_expires_at = NULL,"
         " claimable_at = CASE WHEN claimable_at IS NULL THEN NULL ELSE next_attempt_at END"
         " WHERE lease_owner = ?")
        .bind_all(owner)
        .run();
    return {};
  });
}

Result<void> SqliteStore::release_deliveries(std::string_view owner,
                                             std::span<const std::string> delivery_ids,
                                             Millis due_at) {
  if (delivery_ids.empty()) return {};
  return background_write([&](Connection& c) -> Result<void> {
    WriteTransaction tx(c);
    for (const auto& id : delivery_ids) {
      c.prepare(
           "UPDATE deliveries SET lease_owner = NULL, lease_expires_at = NULL,"
           " next_attempt_at = ?1,"
           " claimable_at = CASE WHEN claimable_at IS NULL THEN NULL ELSE ?1 END"
           " WHERE id = ?2 AND lease_owner = ?3 AND status = 'pending'")
          .bind_all(due_at, id, owner)
          .run();
    }
    tx.commit();
    return {};
  });
}

Result<int> SqliteStore::bring_forward_deliveries(std::span<const std::string> delivery_ids,
                                                  Millis handed_back_due, Millis due_at) {
  if (delivery_ids.empty()) return 0;
  return background_write([&](Connection& c) -> Result<int> {
    WriteTransaction tx(c);
    int moved = 0;
    for (const auto& id : delivery_ids) {
      auto st = c.prepare(
          "UPDATE deliveries SET next_attempt_at = ?1,"
          " claimable_at = CASE WHEN claimable_at IS NULL THEN NULL ELSE ?1 END"
          " WHERE id = ?2 AND status = 'pending' AND lease_owner IS NULL"
          " AND next_attempt_at = ?3");
      st.bind_all(due_at, id, handed_back_due).run();
      moved += c.changes();
    }
    tx.commit();
    return moved;
  });
}

Result<std::optional<Millis>> SqliteStore::next_due_at() {
  return read([&](Connection& c) -> Result<std::optional<Millis>> {
    auto st = c.prepare("SELECT min(claimable_at) FROM deliveries WHERE claimable_at IS NOT NULL");
    st.step();
    return st.optional_int64_at(0);
  });
}

Result<std::vector<Endpoint>> SqliteStore::disable_failing_endpoints(Millis now, Millis period) {
  return background_write([&](Connection& c) -> Result<std::vector<Endpoint>> {
    WriteTransaction tx(c);
    std::vector<Endpoint> disabled;
    {
      auto st = c.prepare("SELECT " AXON_SQL_ENDPOINT_COLS
                          " FROM endpoints WHERE failing_since IS NOT NULL"
                          " AND failing_since <= ? AND disabled = 0 ORDER BY id")
                    .bind_all(now - period);
      while (st.step()) disabled.push_back(read_endpoint(st, header_sealer_));
    }
    const std::string reason = store_rules::auto_disable_reason(period);
    for (auto& e : disabled) {
      c.prepare(
           "UPDATE endpoints SET disabled = 1, disabled_reason = ?, updated_at = ? WHERE id = ?")
          .bind_all(reason, now, e.id)
          .run();
      settle_queue(c, e.id);
      e.disabled = true;
      e.disabled_reason = reason;
      e.updated_at = now;
    }
    tx.commit();
    return disabled;
  });
}

}  // namespace axon::sqlite
