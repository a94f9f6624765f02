// ExpiringCache: what many requests read and rarely changes (a verified API key, an event
// type's rule), kept for at most `ttl` after it was read from the store.
//
// The TTL bounds how long a change made elsewhere (another node, the CLI) goes unseen; a
// change made through this server calls forget_if() at once. A lookup that raced with a
// forget_if() (read the store before the change, stores after it) must not put back what was
// just forgotten: callers take generation() before reading the store and pass it to put(),
// which ignores the value when a forget_if() happened meanwhile. Times are steady (monotonic)
// milliseconds. When full, the cache starts over (entries are cheap to read again).
//
// Thread-safety: every method may be called from any thread (one mutex).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <utility>

#include "core/clock.hpp"

namespace axon::api {

template <class Key, class Value>
class ExpiringCache {
 public:
  ExpiringCache(Millis ttl, std::size_t max_entries) : ttl_(ttl), max_entries_(max_entries) {}

  std::optional<Value> get(const Key& key, Millis now) {
    std::lock_guard lock(mu_);
    auto it = entries_.find(key);
    if (it == entries_.end()) return std::nullopt;
    if (now - it->second.stored_at >= ttl_ || now < it->second.stored_at) {
      entries_.erase(it);
      return std::nullopt;
    }
    return it->second.value;
  }

  std::uint64_t generation() const {
    std::lock_guard lock(mu_);
    return generation_;
  }

  // Stores `value` read from the store at `now`, unless forget_if() ran since `generation`.
  void put(Key key, Value value, Millis now, std::uint64_t generation) {
    std::lock_guard lock(mu_);
    if (generation != generation_) return;
    if (entries_.size() >= max_entries_) entries_.clear();
    entries_.insert_or_assign(std::move(key), Entry{std::move(value), now});
  }

  // Drops every entry for which pred(key, value) holds.
  template <class Pred>
  void forget_if(Pred pred) {
    std::lock_guard lock(mu_);
    ++generation_;
    std::erase_if(entries_, [&](const auto& entry) {
      return pred(entry.first, entry.second.value);
    });
  }

 private:
  struct Entry {
    Value value;
    Millis stored_at;
  };
  const Millis ttl_;
  const std::size_t max_entries_;
  mutable std::mutex mu_;
  std::map<Key, Entry, std::less<>> entries_;  // guarded by mu_
  std::uint64_t generation_ = 0;               // guarded by mu_: forget_if() calls so far
};

}  // namespace axon::api
