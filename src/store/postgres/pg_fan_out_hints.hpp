// FanOutHints: how many deliveries each tenant's last event fanned out to, so that
// PostgresStore::ingest_event draws that many delivery ids before its one call (the function
// asks again when more endpoints match). A hint only saves a round trip: a wrong or forgotten
// one costs a second call, never a wrong answer. Bounded: past kMaxTenants it starts over.
// Thread-safety: all methods may be called concurrently.
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace axon::pg {

class FanOutHints {
 public:
  static constexpr std::size_t kMaxTenants = 10'000;

  std::size_t get(std::string_view tenant_id) const {
    std::lock_guard lock(mu_);
    auto it = hints_.find(std::string(tenant_id));
    return it == hints_.end() ? 0 : it->second;
  }

  void put(std::string_view tenant_id, int deliveries) {
    std::lock_guard lock(mu_);
    if (hints_.size() >= kMaxTenants && !hints_.contains(std::string(tenant_id))) hints_.clear();
    hints_[std::string(tenant_id)] = deliveries > 0 ? static_cast<std::size_t>(deliveries) : 0;
  }

 private:
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::size_t> hints_;
};

}  // namespace axon::pg
