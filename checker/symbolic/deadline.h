// A wall-clock budget shared by the engines: each solver call gets what is
// left, so --timeout bounds the whole command, not each query.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>

namespace cow::symbolic {

class Deadline {
 public:
  using Clock = std::chrono::steady_clock;

  explicit Deadline(double seconds)
      : start_(Clock::now()),
        end_(start_ +
             std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds))) {}

  bool expired() const { return Clock::now() >= end_; }
  double elapsed() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }
  // Milliseconds left, at least 1 (Z3 reads 0 as "no timeout").
  unsigned remaining_ms() const {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end_ - Clock::now()).count();
    return static_cast<unsigned>(std::clamp<std::int64_t>(left, 1, 0x7fffffff));
  }

 private:
  Clock::time_point start_;
  Clock::time_point end_;
};

}  // namespace cow::symbolic
