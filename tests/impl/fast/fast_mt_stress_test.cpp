// fast-mt under several threads at once (mt_stress.h): the correct
// implementation passes every run, and the same property, with no
// assertion of its own for either, catches each seeded concurrency bug.
#include <cstdint>
#include <cstdlib>
#include <iostream>

#include <gtest/gtest.h>

#include "impl/fast/mt/fast_mt.h"
#include "tests/impl/fast/mt_stress.h"

namespace cow {
namespace {

using fast::MtMutation;
using mt_stress::StressOptions;
using mt_stress::StressResult;

// 200,000 lane calls in the release build, a million with COWCHECK_LONG=1
// (the figure docs/performance.md gives); the sanitizers run each call many
// times slower, so they make fewer. CI leaves COWCHECK_LONG unset: its whole
// suite must fit in 20 minutes on 2 cores.
#if defined(__SANITIZE_THREAD__)
const std::uint64_t kCalls = 40'000;
#elif defined(__SANITIZE_ADDRESS__)
const std::uint64_t kCalls = 50'000;
#else
const std::uint64_t kCalls = std::getenv("COWCHECK_LONG") ? 1'000'000 : 200'000;
#endif
// A mutant must be caught within this many lane calls: a bound on the runs
// it takes, measured far below it (docs/performance.md).
const std::uint64_t kMutantBudget = kCalls / 2;

void expect_passes(const StressOptions& options, std::uint64_t calls) {
  StressResult r = mt_stress::stress(MtMutation::None, options, calls);
  EXPECT_FALSE(r.failure) << *r.failure;
  EXPECT_GE(r.calls, calls);
  std::cout << "fast-mt: " << r.runs << " runs, " << r.calls << " lane calls, all linearizable\n";
}

TEST(FastMtStress, EveryHistoryIsLinearizableAndEveryFinalStateHoldsTogether) {
  expect_passes(StressOptions{}, kCalls);
}

TEST(FastMtStress, UnderEveryReusePolicy) {
  for (ReusePolicy policy : {ReusePolicy::PageCount, ReusePolicy::MapCount}) {
    StressOptions options;
    options.config.policy = policy;
    options.seed = 2;
    expect_passes(options, kCalls / 10);
  }
}

// Few frames: faults and forks that run out, and the OOM killer ending a
// lane's own task while its siblings run on in the space.
TEST(FastMtStress, ShortOfFrames) {
  for (OomPolicy oom : {OomPolicy::Error, OomPolicy::Kill}) {
    StressOptions options;
    options.config.frames = 9;
    options.config.oom = oom;
    options.seed = 3;
    expect_passes(options, kCalls / 10);
  }
}

// Pages on both sides of a page-table lock's span (512 vpns): a madvise
// from vpn 511 holds two locks at once, while faults take one each.
TEST(FastMtStress, AcrossPageTableLocks) {
  StressOptions options;
  options.config.pages = 1024;
  options.config.frames = 1024 + 64;
  options.vpns = {0, 511, 512, 1023};
  options.seed = 4;
  expect_passes(options, kCalls / 200);  // each state of the oracle holds 1024 pages
}

TEST(FastMtStress, CatchesEverySeededConcurrencyBug) {
  for (const fast::MtVariant& v : fast::mt_variants()) {
    if (!v.is_mutant) continue;
    StressResult r = mt_stress::stress(v.mutation, StressOptions{}, kMutantBudget);
    EXPECT_TRUE(r.failure) << v.name << " passed " << r.runs << " runs (" << r.calls
                           << " lane calls)";
    if (r.failure)
      std::cout << v.name << ": caught in run " << r.runs << " after " << r.calls
                << " lane calls: " << *r.failure << "\n";
  }
}

}  // namespace
}  // namespace cow
