#include "store/fair_claim.hpp"

#include <algorithm>

namespace axon {

int share_claim(std::span<const std::string> tenants, int limit, const TakeDue& take) {
  std::vector<std::string> with_work(tenants.begin(), tenants.end());
  int remaining = limit;
  while (remaining > 0 && !with_work.empty()) {
    const int part = std::max(1, remaining / static_cast<int>(with_work.size()));
    std::vector<std::string> still;
    for (const auto& tenant : with_work) {
      if (remaining <= 0) break;
      const int asked = std::min(part, remaining);
      const int got = take(tenant, asked);
      remaining -= got;
      if (got == asked) still.push_back(tenant);  // it may have more
    }
    with_work = std::move(still);
  }
  return limit - remaining;
}

std::string ClaimTurns::next_cursor() const {
  if (stopped_at) return *stopped_at;
  return tenants.empty() ? std::string() : tenants.front();
}

}  // namespace axon
