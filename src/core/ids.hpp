// Resource ids: a type prefix and 26 Crockford base32 characters (a ULID): 48 bits of
// creation time in ms, then 80 bits that start as the microsecond within that millisecond
// (10 bits) and 70 random bits. Ids of one prefix sort by creation time as plain strings;
// within one millisecond a generator increments the 80 bits so ids it issues stay strictly
// increasing, and never lets them fall below the current microsecond's start, so that ids
// drawn one after another by different processes on one machine sort in the order they were
// drawn (a FIFO endpoint's order when its events come in through several nodes).
//   ten_01JDZ8Q3V6K2W9X4Y5Z6A7B8C9
// Thread-safety: IdGenerator is safe to share (internally locked).
#pragma once

#include <mutex>
#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "core/random.hpp"

namespace axon {

namespace id_prefix {
inline constexpr std::string_view tenant = "ten_";
inline constexpr std::string_view api_key = "key_";
inline constexpr std::string_view endpoint = "ep_";
inline constexpr std::string_view event = "evt_";
inline constexpr std::string_view delivery = "dlv_";
inline constexpr std::string_view event_type = "et_";
}  // namespace id_prefix

class IdGenerator {
 public:
  IdGenerator(const Clock& clock, Random& random) : clock_(clock), random_(random) {}
  std::string next(std::string_view prefix);

 private:
  const Clock& clock_;
  Random& random_;
  std::mutex mu_;
  Millis last_ms_ = -1;
  unsigned char last_rand_[10] = {};
};

// True when `id` is `prefix` followed by a well-formed 26-character ULID.
bool is_valid_id(std::string_view id, std::string_view prefix);

// The creation time encoded in a valid id (ms), or -1.
Millis id_time_ms(std::string_view id);

}  // namespace axon
