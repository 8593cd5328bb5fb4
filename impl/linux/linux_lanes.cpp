// LinuxCow::run_lanes: the lanes of a concurrent run, each on a thread of
// the oracle driving its tasks, released together at the race clock's gate.
#include <sched.h>

#include <exception>
#include <latch>
#include <mutex>
#include <random>
#include <thread>

#include <fmt/format.h>

#include "impl/linux/linux_cow.h"

namespace cow::linux_host {

std::vector<Call> LinuxCow::run_lanes(const Lanes& lanes) {
  for (const std::vector<Op>& lane : lanes)
    for (const Op& op : lane)
      if (!op_in(supported_, op.kind))
        throw UnsupportedOp(fmt::format(
            "linux: '{}' cannot be run on this host (the linux implementation does {}; see "
            "docs/linux.md)",
            to_string(op), op_set_names(supported_)));
  std::uint32_t round = 0;
  {
    std::lock_guard lock(state_);
    if (!stopped_.empty())
      throw ImplementationStopped(ImplementationStopped::Kind::Crash,
                                  "linux: already stopped: " + stopped_);
    round = ++round_;
  }
  // The delays are drawn here, from the seed and the round, so that a run
  // is the same request for request however its threads are scheduled.
  std::mt19937_64 random(spin_seed_ * 0x9e3779b97f4a7c15ULL + round);
  std::vector<std::vector<std::uint32_t>> spins(lanes.size());
  for (std::size_t i = 0; i < lanes.size(); ++i)
    for (std::size_t k = 0; k < lanes[i].size(); ++k)
      spins[i].push_back(max_spin_ == 0 ? 0
                                        : static_cast<std::uint32_t>(random() % (max_spin_ + 1)));

  // Lane i's accesses run on CPU i modulo the CPUs this process may use:
  // the lanes' tasks run in parallel, not in turns on the servers' one CPU.
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  std::vector<std::uint32_t> cpus;
  if (::sched_getaffinity(0, sizeof allowed, &allowed) == 0)
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
      if (CPU_ISSET(cpu, &allowed)) cpus.push_back(static_cast<std::uint32_t>(cpu));

  std::vector<std::vector<Call>> calls(lanes.size());
  std::latch sent(static_cast<std::ptrdiff_t>(lanes.size()));
  std::mutex first_error_lock;
  std::exception_ptr first_error;
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < lanes.size(); ++i)
    threads.emplace_back([&, i] {
      bool counted = false;
      try {
        for (std::size_t k = 0; k < lanes[i].size(); ++k) {
          Race race;
          race.spin = spins[i][k];
          if (!cpus.empty()) race.cpu = cpus[i % cpus.size()] + 1;
          if (!counted) {
            race.start = round;
            race.sent = &sent;
            race.counted = &counted;
          }
          Call call;
          call.lane = static_cast<std::uint32_t>(i);
          call.op = lanes[i][k];
          call.outcome = run_op(call.op, race, &call);
          calls[i].push_back(call);
        }
      } catch (...) {
        std::lock_guard lock(first_error_lock);
        if (!first_error) first_error = std::current_exception();
      }
      // An empty lane, or one that failed before its first request.
      if (!counted) sent.count_down();
    });
  // Every lane has its first request on its way (its task waits at the
  // gate) or waits for a task another lane holds: open the gate.
  sent.wait();
  race_clock_open(clock_, round);
  for (std::thread& thread : threads) thread.join();
  if (first_error) std::rethrow_exception(first_error);
  std::vector<Call> all;
  for (std::vector<Call>& lane : calls) all.insert(all.end(), lane.begin(), lane.end());
  return all;
}

}  // namespace cow::linux_host
