// fast-mt's write faults from several threads of one process at once.
#pragma once

#include <cstdint>

namespace cow::bench {

// Write faults per second of fast-mt with `threads` tasks of one process
// (run_lanes, one std::thread each), each writing `pages_per_thread` pages
// of its own: a fork made just before every round (not timed) leaves each
// page copy-on-write with a live child, so every write is a COW copy fault.
// The median of `rounds` rounds. `resched`: the copy yields the CPU where
// Linux's allocation may sleep (fast-mt's default, which the tests use).
double measure_mt_write_faults(std::uint32_t threads, std::uint32_t pages_per_thread, int rounds,
                               bool resched);

}  // namespace cow::bench
