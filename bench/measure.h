// Timing helpers shared by the benchmarks: a monotonic clock, the median of
// repeated runs, and a barrier that keeps the compiler from deleting work.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <vector>

namespace cow::bench {

using Clock = std::chrono::steady_clock;

inline double ns_since(Clock::time_point start) {
  return std::chrono::duration<double, std::nano>(Clock::now() - start).count();
}

// The median resists the odd run a neighbour on the machine slowed down.
inline double median(std::vector<double> samples) {
  if (samples.empty()) return 0;
  std::sort(samples.begin(), samples.end());
  std::size_t mid = samples.size() / 2;
  return samples.size() % 2 ? samples[mid] : (samples[mid - 1] + samples[mid]) / 2;
}

template <class T>
inline void keep(T const& value) {
  asm volatile("" : : "r,m"(value) : "memory");
}

inline void clobber_memory() { asm volatile("" : : : "memory"); }

}  // namespace cow::bench
