// The canonical key: equal exactly up to renaming frames and permuting
// processes.
#include <gtest/gtest.h>

#include "app/registry.h"
#include "checker/explore/state_key.h"
#include "checker/harness.h"

namespace cow::explore {
namespace {

constexpr Config kMachine{2, 8, 3, 2};  // pages, frames, procs, words

struct State {
  Snapshot snap;
  Semantics sem;
};

State run(const std::vector<Op>& ops) {
  Harness h(make_implementation("model", kMachine), kMachine);
  for (const Op& op : ops) EXPECT_FALSE(h.step(op)) << to_string(op);
  return State{*h.snapshot(), h.semantics()};
}

std::string key_of(const State& s) { return StateKeyer().key(s.snap, s.sem); }

TEST(StateKey, IgnoresWhichFramesWerePicked) {
  State s = run({Op::fork(1), Op::write(2, 1, 3)});
  State renamed = s;
  for (PteView& p : renamed.snap.ptes) p.frame = kMachine.frames - 1 - p.frame;
  for (FrameView& f : renamed.snap.frames) f.frame = kMachine.frames - 1 - f.frame;
  std::sort(renamed.snap.frames.begin(), renamed.snap.frames.end(),
            [](const FrameView& a, const FrameView& b) { return a.frame < b.frame; });
  EXPECT_NE(renamed.snap, s.snap);
  EXPECT_EQ(key_of(renamed), key_of(s));
}

TEST(StateKey, IgnoresWhichPidIsWhich) {
  // The parent writes, or the child does: the same state, roles swapped.
  EXPECT_EQ(key_of(run({Op::fork(1), Op::write(1, 0, 2)})),
            key_of(run({Op::fork(1), Op::write(2, 0, 2)})));
  // Three processes, the middle one private.
  EXPECT_EQ(key_of(run({Op::fork(1), Op::fork(1), Op::write(2, 0, 1)})),
            key_of(run({Op::fork(1), Op::fork(1), Op::write(3, 0, 1)})));
}

TEST(StateKey, TellsApartWhatDiffers) {
  State base = run({Op::fork(1), Op::write(1, 0, 2)});
  EXPECT_NE(key_of(base), key_of(run({Op::fork(1), Op::write(1, 0, 1)})));     // another value
  EXPECT_NE(key_of(base), key_of(run({Op::fork(1), Op::write(1, 1, 2)})));     // another page
  EXPECT_NE(key_of(base), key_of(run({Op::fork(1), Op::write(1, 0, 2, 1)})));  // another word
  EXPECT_NE(key_of(run({Op::fork(1)})), key_of(run({})));                      // another process
  // Same values, but shared versus two private copies.
  EXPECT_NE(key_of(run({Op::fork(1)})),
            key_of(run({Op::fork(1), Op::write(1, 0, 1), Op::write(1, 0, 0)})));
}

TEST(StateKey, PermutesTiedProcessesToTheLeastKey) {
  // Three identical-looking processes after two forks; sharing tells
  // them apart only through frames.
  State a = run({Op::fork(1), Op::fork(2), Op::write(1, 0, 1), Op::write(1, 0, 0)});
  State b = run({Op::fork(1), Op::fork(2), Op::write(3, 0, 1), Op::write(3, 0, 0)});
  EXPECT_EQ(key_of(a), key_of(b));
}

}  // namespace
}  // namespace cow::explore
