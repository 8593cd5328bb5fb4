// The translation caches are performance only: the same ops with the caches
// on, off, or flushed at random moments give the same outcomes and states.
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "impl/fast/fast_cow.h"
#include "spec/semantics.h"

namespace cow::fast {
namespace {

// A random op on a live process, biased like the generators: forks, writes
// and reads of a few pages, exits of any but the last process, and now and
// then every other op (each changes PTEs a cached translation may hold).
Op random_op(std::mt19937& rng, const Semantics& sem) {
  std::vector<Pid> live;
  for (const auto& [pid, proc] : sem.processes()) live.push_back(pid);
  Pid pid = live[rng() % live.size()];
  Vpn vpn = rng() % 3;
  switch (rng() % 20) {
    case 0:
    case 1: return Op::fork(pid);
    case 2: return live.size() > 1 ? Op::exit(pid) : Op::read(pid, vpn);
    case 3:
    case 4:
    case 5:
    case 6:
    case 7: return Op::read(pid, vpn, rng() % 2);
    case 8: return Op::swapout(pid, vpn);
    case 9: return Op::pin_page(pid, vpn, rng() % 2 == 0);
    case 10: return Op::unpin(1 + rng() % sem.next_pin(), rng() % 2);
    case 11: return Op::mmap(pid, vpn, 1, static_cast<MapKind>(1 + rng() % 5));
    case 12: return rng() % 4 == 0 ? Op::munmap(pid, vpn, 1) : Op::vfork(pid);
    case 13: return rng() % 2 ? Op::exec(pid) : Op::copyout(pid, vpn, 1 + rng() % 9);
    default: return Op::write(pid, vpn, 1 + rng() % 9, rng() % 2);
  }
}

void run_three_ways(ForkMode mode, std::uint32_t seed) {
  Config config{3, 8, 6, 2};
  FastCow cached(config, {mode, true, Mutation::None});
  FastCow uncached(config, {mode, false, Mutation::None});
  FastCow flushed(config, {mode, true, Mutation::None});
  Semantics sem(config);
  std::mt19937 rng(seed);
  for (int i = 0; i < 400; ++i) {
    Op op = random_op(rng, sem);
    if (rng() % 4 == 0) flushed.flush_translation_caches();
    Outcome want = uncached.apply(op);
    ASSERT_EQ(cached.apply(op), want) << "op " << i << ": " << to_string(op);
    ASSERT_EQ(flushed.apply(op), want) << "op " << i << ": " << to_string(op);
    ASSERT_EQ(*cached.snapshot(), *uncached.snapshot()) << "op " << i << ": " << to_string(op);
    ASSERT_EQ(*flushed.snapshot(), *uncached.snapshot()) << "op " << i << ": " << to_string(op);
    sem.apply(op, want);
  }
}

TEST(TranslationCacheFlush, ChangesNoResultEager) {
  for (std::uint32_t seed = 1; seed <= 20; ++seed) run_three_ways(ForkMode::Eager, seed);
}

TEST(TranslationCacheFlush, ChangesNoResultSharedTables) {
  for (std::uint32_t seed = 1; seed <= 20; ++seed) run_three_ways(ForkMode::SharedTables, seed);
}

TEST(TranslationCacheFlush, TurningTheCacheOffMidRunChangesNoResult) {
  Config config{3, 8, 6, 2};
  FastCow a(config, {ForkMode::Eager, true, Mutation::None});
  FastCow b(config, {ForkMode::Eager, true, Mutation::None});
  Semantics sem(config);
  std::mt19937 rng(7);
  for (int i = 0; i < 400; ++i) {
    if (i % 50 == 25) b.set_translation_cache(i % 100 != 25);
    Op op = random_op(rng, sem);
    Outcome want = a.apply(op);
    ASSERT_EQ(b.apply(op), want) << "op " << i << ": " << to_string(op);
    sem.apply(op, want);
  }
  EXPECT_EQ(*a.snapshot(), *b.snapshot());
}

// The flush is what the stale-tlb mutant leaves out: without it a read after
// a COW copy sees the frame the writer left.
TEST(TranslationCacheFlush, WithoutTheFlushAfterACopyAReadIsStale) {
  Config config{};
  FastCow stale(config, {ForkMode::Eager, true, Mutation::StaleTlb});
  stale.apply(Op::fork(1));
  stale.apply(Op::read(1, 0));
  stale.apply(Op::write(1, 0, 5));
  EXPECT_EQ(stale.apply(Op::read(1, 0)), Outcome::read(0));
  stale.flush_translation_caches();
  EXPECT_EQ(stale.apply(Op::read(1, 0)), Outcome::read(5));
}

}  // namespace
}  // namespace cow::fast
