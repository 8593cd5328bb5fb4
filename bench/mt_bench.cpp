#include "bench/mt_bench.h"

#include <stdexcept>
#include <vector>

#include "bench/measure.h"
#include "impl/fast/mt/fast_mt.h"

namespace cow::bench {

namespace {

constexpr std::uint32_t kMaxThreads = 2;

}  // namespace

double measure_mt_write_faults(std::uint32_t threads, std::uint32_t pages_per_thread, int rounds,
                               bool resched) {
  if (threads == 0 || threads > kMaxThreads) throw std::invalid_argument("bench: 1 or 2 threads");
  // The same machine for every thread count: only the lanes running differ.
  std::uint32_t pages = kMaxThreads * pages_per_thread;
  fast::FastMt mt(Config{.pages = pages, .frames = 2 * pages + 16, .procs = 4, .words = 2},
                  fast::MtMutation::None, resched);
  for (std::uint32_t t = 1; t < threads; ++t) mt.apply(Op::thread(kInitPid));
  Lanes lanes(threads);
  for (std::uint32_t t = 0; t < threads; ++t)
    for (Vpn vpn = t * pages_per_thread; vpn < (t + 1) * pages_per_thread; ++vpn)
      lanes[t].push_back(Op::write(kInitPid + t, vpn, vpn + 1));
  std::vector<double> per_second;
  for (int round = 0; round <= rounds; ++round) {
    Outcome fork = mt.apply(Op::fork(kInitPid));
    if (fork.status != Status::Ok) throw std::runtime_error("bench: fork failed");
    Clock::time_point start = Clock::now();
    std::vector<Call> calls = mt.run_lanes(lanes);
    double ns = ns_since(start);
    std::size_t faults = 0;
    for (const Call& c : calls) faults += c.outcome.fault == Fault::CowCopy;
    if (faults != calls.size()) throw std::runtime_error("bench: a write was not a COW copy");
    mt.apply(Op::exit(fork.child));
    if (round > 0) per_second.push_back(static_cast<double>(faults) * 1e9 / ns);  // round 0 warms
  }
  return median(per_second);
}

}  // namespace cow::bench
