#include "delivery/lease_keeper.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <iterator>

namespace axon {

Millis LeaseKeeper::lease_for(Millis configured_lease_ms, Millis request_timeout) {
  return configured_lease_ms > 0 ? configured_lease_ms : request_timeout + 10'000;
}

Millis LeaseKeeper::needed_until(Millis now) const {
  return now + std::min(request_timeout_ + kLeaseMargin, lease_ms_ / 2);
}

void LeaseKeeper::hand_back(Millis due_at, std::vector<std::string> delivery_ids) {
  if (delivery_ids.empty()) return;
  pending_.push_back(Handback{due_at, std::move(delivery_ids)});
}

void LeaseKeeper::hand_back_unsignable(Millis now, std::string delivery_id) {
  pending_.push_back(
      Handback{now + kUnsignableRetryDelay, std::vector<std::string>{std::move(delivery_id)}});
}

std::optional<Millis> LeaseKeeper::earliest_due() const {
  std::optional<Millis> earliest;
  for (const auto& h : pending_) {
    if (!earliest || h.due_at < *earliest) earliest = h.due_at;
  }
  return earliest;
}

std::vector<Handback> LeaseKeeper::take() {
  std::vector<Handback> out = std::move(pending_);
  pending_.clear();
  return out;
}

void LeaseKeeper::recall(std::vector<Recall> recalls) {
  std::move(recalls.begin(), recalls.end(), std::back_inserter(recalls_));
}

std::vector<Recall> LeaseKeeper::take_recalls() {
  std::vector<Recall> out = std::move(recalls_);
  recalls_.clear();
  return out;
}

void release_handbacks(Store& store, std::string_view owner, const std::vector<Handback>& batch) {
  for (const auto& [due_at, ids] : batch) {
    if (auto r = store.release_deliveries(owner, ids, due_at); !r) {
      spdlog::warn("dispatcher: could not hand back {} deliveries: {}", ids.size(),
                   r.error().message);
    }
  }
}

void recall_handbacks(Store& store, const std::vector<Recall>& recalls, Millis due_at) {
  for (const auto& [handed_back_due, ids] : recalls) {
    auto moved = store.bring_forward_deliveries(ids, handed_back_due, due_at);
    if (!moved) {
      spdlog::warn("dispatcher: could not bring {} handed-back deliveries forward: {}",
                   ids.size(), moved.error().message);
    } else {
      spdlog::debug("dispatcher: {} of {} handed-back deliveries due {} ms sooner", *moved,
                    ids.size(), handed_back_due - due_at);
    }
  }
}

}  // namespace axon
