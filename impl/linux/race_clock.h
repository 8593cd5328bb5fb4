// The logical clock and the starting gate of concurrent lanes
// (LinuxCow::run_lanes): one page of memory every server and the oracle
// map shared (a memfd; an exec'd image maps it again from its fixed
// descriptor). A call's ticks are read from it just before and just after
// the access it makes, wherever that runs, so the ticks of every task are
// of one clock and never wall time (spec/call.h). Async-signal-safe: the
// servers use it.
#pragma once

#include <atomic>
#include <cstdint>

namespace cow::linux_host {

struct RaceClock {
  std::atomic<std::uint64_t> ticks;
  // The gate: a server told to wait for round r waits until this reaches r
  // (a shared futex, so a waiting server sleeps in the kernel).
  std::atomic<std::uint32_t> start;
};
static_assert(std::atomic<std::uint64_t>::is_always_lock_free);

// A new clock in a memfd of its own, mapped here: its descriptor in `*fd`
// (close-on-exec), or null with errno set.
RaceClock* race_clock_create(int* fd);
// The clock of descriptor `fd` mapped here, or null.
RaceClock* race_clock_map(int fd);

// The next tick: every read is later than every read before it.
inline std::uint64_t race_clock_tick(RaceClock* clock) {
  return clock->ticks.fetch_add(1, std::memory_order_seq_cst) + 1;
}

// Waits until the gate reaches `round` (0: no wait).
void race_clock_wait(RaceClock* clock, std::uint32_t round);
// Opens the gate for `round` and wakes every waiter.
void race_clock_open(RaceClock* clock, std::uint32_t round);

// Busy work of `rounds` steps that the compiler cannot drop: a lane's
// random delay before its op, so that the lanes' interleavings differ.
void race_spin(std::uint32_t rounds);

}  // namespace cow::linux_host
