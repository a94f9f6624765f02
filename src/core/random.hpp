// Randomness comes in through Random so that jitter and ids are deterministic in tests.
// SecureRandom draws from OpenSSL's CSPRNG (used for ids, secrets, API keys);
// SeededRandom is a deterministic generator for tests only.
// Thread-safety: SecureRandom is safe to share; SeededRandom is not.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace axon {

class Random {
 public:
  virtual ~Random() = default;
  virtual void fill(std::span<std::uint8_t> out) = 0;
  std::uint64_t next_u64();
  // Uniform in [0, 1).
  double next_unit();
  std::string bytes(std::size_t n);
};

class SecureRandom final : public Random {
 public:
  void fill(std::span<std::uint8_t> out) override;  // aborts if the CSPRNG fails (never seen)
};

class SeededRandom final : public Random {
 public:
  explicit SeededRandom(std::uint64_t seed) : state_(seed ? seed : 0x9E3779B97F4A7C15ull) {}
  void fill(std::span<std::uint8_t> out) override;  // splitmix64

 private:
  std::uint64_t state_;
};

}  // namespace axon
