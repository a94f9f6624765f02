// How one claim is divided among tenants, written once for both stores so they agree.
//
// A claim of `limit` deliveries visits the tenants with due work in turn order (the store
// rotates where the turn starts from one claim to the next) and gives each an equal part;
// what a tenant cannot use (it has fewer due) goes to the tenants that still have due work,
// in further rounds. So one tenant's backlog cannot fill a claim while another tenant has
// deliveries due, and one tenant alone still gets the whole claim. The cost is a few indexed
// lookups per tenant visited plus the rows leased: proportional to the batch, never the
// backlog (at most `limit` tenants with due work, and kMaxTenantProbes tenants in all, are
// visited per claim; the rotation reaches the others in the following claims).
// Pure logic; thread-safe.
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace axon {

// The most tenants with pending deliveries one claim looks at (with or without due work).
inline constexpr int kMaxTenantProbes = 1024;

// Leases up to `n` of `tenant`'s due deliveries, oldest due first; returns how many.
using TakeDue = std::function<int(const std::string& tenant, int n)>;

// Runs the rounds over `tenants` (in turn order); returns how many were leased in all.
int share_claim(std::span<const std::string> tenants, int limit, const TakeDue& take);

// The tenants one claim visits, in turn order, as a store lists them: from the tenant after
// the cursor, wrapping around once.
struct ClaimTurns {
  std::vector<std::string> tenants;        // with due work, in turn order
  std::optional<std::string> stopped_at;   // the last tenant looked at, if the list was cut
  // Where the next claim's turn starts: after the last tenant looked at when the list was
  // cut, otherwise after the first (so the first turn moves on by one tenant each claim).
  std::string next_cursor() const;
};

}  // namespace axon
