// The fast implementation's costs, through its Implementation interface:
// fork of N pages in either mode, and the two write faults against the
// memcpy of a page that a copy cannot beat.
#pragma once

#include <cstdint>

#include "impl/fast/fast_cow.h"

namespace cow::bench {

struct FastForkCost {
  double fork_ns = 0;       // fork of the one process
  double fork_exit_ns = 0;  // that fork and the child's exit
};

FastForkCost measure_fast_fork(std::uint32_t pages, fast::ForkMode mode, int repetitions);

// Nanoseconds per write fault, each over `pages` distinct pages.
double measure_copy_fault(std::uint32_t pages, int rounds);
double measure_reuse_fault(std::uint32_t pages, fast::ForkMode mode, int rounds);

// Nanoseconds per memcpy of 4 KiB over the same working set as the copy
// faults (`pages` distinct source and destination pages), and of one page
// hot in L1.
double measure_memcpy_4k(std::uint32_t pages, int rounds);
double measure_memcpy_4k_hot(int copies);

}  // namespace cow::bench
