// Wall-clock time for the benchmarks: CLOCK_REALTIME in nanoseconds. The receiver stamps
// arrivals with it and the load generator stamps the API's answers with it, so the two
// compare (both run on one machine).
#pragma once

#include <time.h>

#include <cstdint>

namespace bench {

inline std::int64_t wall_ns() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

inline double seconds_between(std::int64_t from_ns, std::int64_t to_ns) {
  return static_cast<double>(to_ns - from_ns) / 1e9;
}

}  // namespace bench
