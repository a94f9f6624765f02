#include "core/ids.hpp"

#include <algorithm>
#include <array>
#include <cstring>

namespace axon {
namespace {

constexpr char kCrockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
constexpr std::size_t kUlidLen = 26;

int crockford_value(char c) {
  for (int i = 0; i < 32; ++i) {
    if (kCrockford[i] == c) return i;
  }
  return -1;
}

// 128 bits (6 bytes time, 10 bytes random) as 26 symbols; the first carries only 3 bits.
std::string encode_ulid(std::uint64_t time_ms, const unsigned char (&rand)[10]) {
  unsigned char raw[16];
  for (int i = 0; i < 6; ++i) raw[i] = static_cast<unsigned char>(time_ms >> (8 * (5 - i)));
  for (int i = 0; i < 10; ++i) raw[6 + i] = rand[i];
  std::string out(kUlidLen, '0');
  // Walk the 130-bit number (two leading zero bits) five bits at a time.
  for (std::size_t sym = 0; sym < kUlidLen; ++sym) {
    int value = 0;
    for (int b = 0; b < 5; ++b) {
      int bit_index = static_cast<int>(sym) * 5 + b - 2;  // index into raw's 128 bits
      int bit = 0;
      if (bit_index >= 0) bit = (raw[bit_index / 8] >> (7 - bit_index % 8)) & 1;
      value = (value << 1) | bit;
    }
    out[sym] = kCrockford[value];
  }
  return out;
}

bool is_valid_ulid(std::string_view s) {
  if (s.size() != kUlidLen) return false;
  if (s[0] < '0' || s[0] > '7') return false;  // would overflow 128 bits
  for (char c : s) {
    if (crockford_value(c) < 0) return false;
  }
  return true;
}

}  // namespace

std::string IdGenerator::next(std::string_view prefix) {
  std::lock_guard lock(mu_);
  const Micros now_us = std::max<Micros>(0, clock_.now_us());
  const Millis now = now_us / 1000;
  const int micros = static_cast<int>(now_us % 1000);  // 0-999: 10 bits
  // The least these 80 bits may be now: the microsecond, then 70 random bits.
  unsigned char floor[10];
  random_.fill(floor);
  floor[0] = static_cast<unsigned char>(micros >> 2);
  floor[1] = static_cast<unsigned char>(((micros & 3) << 6) | (floor[1] & 0x3F));
  if (now > last_ms_) {
    last_ms_ = now;
    std::memcpy(last_rand_, floor, sizeof floor);
  } else {
    // Same millisecond (or the clock stepped back): keep the time and increment the random
    // part so ids stay strictly increasing, up to this microsecond's floor if it is higher.
    int i = 9;
    for (; i >= 0; --i) {
      if (++last_rand_[i] != 0) break;
    }
    if (i < 0) {
      ++last_ms_;  // 2^80 ids in one ms: borrow the next millisecond
    } else if (now == last_ms_ && std::memcmp(floor, last_rand_, sizeof floor) > 0) {
      std::memcpy(last_rand_, floor, sizeof floor);
    }
  }
  std::string id(prefix);
  id += encode_ulid(static_cast<std::uint64_t>(last_ms_), last_rand_);
  return id;
}

bool is_valid_id(std::string_view id, std::string_view prefix) {
  if (!id.starts_with(prefix)) return false;
  return is_valid_ulid(id.substr(prefix.size()));
}

Millis id_time_ms(std::string_view id) {
  if (id.size() < kUlidLen) return -1;
  if (id.size() > kUlidLen && id[id.size() - kUlidLen - 1] != '_') return -1;
  std::string_view ulid = id.substr(id.size() - kUlidLen);
  if (!is_valid_ulid(ulid)) return -1;
  // The first 10 symbols hold 50 bits: two zero bits then the 48-bit time.
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 10; ++i) {
    v = (v << 5) | static_cast<std::uint64_t>(crockford_value(ulid[i]));
  }
  return static_cast<Millis>(v);
}

}  // namespace axon
