#include "core/random.hpp"

#include <openssl/rand.h>

#include <cstdlib>
#include <limits>

namespace axon {

std::uint64_t Random::next_u64() {
  std::uint8_t buf[8];
  fill(buf);
  std::uint64_t v = 0;
  for (std::uint8_t b : buf) v = (v << 8) | b;
  return v;
}

double Random::next_unit() {
  // The top 53 bits give every representable double in [0, 1) with a 2^-53 step.
  return static_cast<double>(next_u64() >> 11) * 0x1.0p-53;
}

std::string Random::bytes(std::size_t n) {
  std::string out(n, '\0');
  fill(std::span<std::uint8_t>(reinterpret_cast<std::uint8_t*>(out.data()), out.size()));
  return out;
}

void SecureRandom::fill(std::span<std::uint8_t> out) {
  std::size_t done = 0;
  while (done < out.size()) {
    std::size_t chunk = std::min<std::size_t>(out.size() - done, std::numeric_limits<int>::max());
    // A failing CSPRNG leaves no safe way to continue (ids, secrets, keys depend on it).
    if (RAND_bytes(out.data() + done, static_cast<int>(chunk)) != 1) std::abort();
    done += chunk;
  }
}

void SeededRandom::fill(std::span<std::uint8_t> out) {
  std::size_t i = 0;
  while (i < out.size()) {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    for (int b = 0; b < 8 && i < out.size(); ++b, ++i) {
      out[i] = static_cast<std::uint8_t>(z >> (56 - 8 * b));
    }
  }
}

}  // namespace axon
