// Each invariant is shown to pass a correct step and to fail a step built to
// break it: a check that cannot fail would be no check.
#include "spec/invariants.h"

#include <gtest/gtest.h>

namespace cow {
namespace {

const Config kConfig{.pages = 1, .frames = 4, .procs = 4, .words = 2};

// pid 1 and pid 2 share frame 0 copy-on-write (the state right after fork).
Snapshot after_fork() {
  Snapshot s;
  s.total_frames = 4;
  s.free_frames = 3;
  s.procs = {{1, 1, false}, {2, 2, false}};
  s.ptes = {{1, 0, MapKind::PrivateAnon, true, false, true, false, 0},
            {2, 0, MapKind::PrivateAnon, true, false, true, false, 0}};
  s.frames = {{0, 2, {}}};
  return s;
}

// pid 1 wrote 7 and got a private copy in frame 1.
Snapshot after_parent_copy() {
  Snapshot s;
  s.total_frames = 4;
  s.free_frames = 2;
  s.procs = {{1, 1, false}, {2, 2, false}};
  s.ptes = {{1, 0, MapKind::PrivateAnon, true, true, false, false, 1},
            {2, 0, MapKind::PrivateAnon, true, false, true, false, 0}};
  s.frames = {{0, 1, {}}, {1, 1, {7, 0, 0, 0}}};
  return s;
}

// The semantics after fork 1, and optionally after the parent wrote 7; or
// on another machine after the given ops.
struct World {
  Semantics sem{kConfig};
  explicit World(bool parent_wrote = false) {
    do_op(Op::fork(1));
    if (parent_wrote) do_op(Op::write(1, 0, 7));
  }
  World(const Config& config, std::initializer_list<Op> ops) : sem(config) {
    for (const Op& op : ops) do_op(op);
  }
  void do_op(const Op& op) { sem.apply(op, sem.expect(op)); }
};

std::optional<Violation> violation(const Op& op, const Outcome& actual, const Snapshot* before,
                                   const Snapshot* after, World& w,
                                   const Snapshot* basis = nullptr) {
  Outcome expected = w.sem.expect(op);
  Semantics sem_before = w.sem;
  w.sem.apply(op, actual);
  Step step{op, expected, actual, w.sem, before, after, basis, &sem_before};
  return check_step(step);
}

std::optional<InvariantId> failing(const Op& op, const Outcome& actual, const Snapshot* before,
                                   const Snapshot* after, World& w,
                                   const Snapshot* basis = nullptr) {
  auto v = violation(op, actual, before, after, w, basis);
  return v ? std::optional(v->id) : std::nullopt;
}

TEST(Invariants, ACorrectCopyPassesEveryCheck) {
  World w;
  Snapshot before = after_fork(), after = after_parent_copy();
  EXPECT_EQ(failing(Op::write(1, 0, 7), Outcome::wrote(Fault::CowCopy), &before, &after, w),
            std::nullopt);
}

TEST(Invariants, IsoCatchesAChildSeeingItsParentsLaterWrite) {
  World w;
  Snapshot before = after_fork(), after = after_fork();
  after.frames[0].contents[0] = 7;  // written in place: both see 7
  auto v = failing(Op::write(1, 0, 7), Outcome::wrote(Fault::None), &before, &after, w);
  EXPECT_EQ(v, InvariantId::ISO);
}

TEST(Invariants, IsoCatchesAWrongReadOnABlackBox) {
  World w;
  auto v = failing(Op::read(2, 0), Outcome::read(7), nullptr, nullptr, w);
  EXPECT_EQ(v, InvariantId::ISO);
}

// A fault may find no frame (a read may need one to swap in or page in);
// ops that never allocate may not report it, and a killed process is only
// an answer when the configuration asks for the OOM killer. Where the
// semantics leaves the answer open, RC asks the state before the op (here
// the model's, as for a black box) whether the frames really ran out.
TEST(Invariants, IsoAllowsOutOfMemoryOnlyWhereAFrameMayBeNeeded) {
  Snapshot full = after_fork();  // pid 1's write must copy: it needs one frame
  full.free_frames = 0;
  World w;
  EXPECT_EQ(
      failing(Op::write(1, 0, 7), Outcome::error(Status::OutOfMemory), nullptr, nullptr, w, &full),
      std::nullopt);
  EXPECT_EQ(
      failing(Op::read(1, 0), Outcome::error(Status::OutOfMemory), nullptr, nullptr, w, &full),
      InvariantId::RC);  // a present page is read without a frame
  EXPECT_EQ(failing(Op::write(1, 0, 7), Outcome::error(Status::OutOfMemory), nullptr, nullptr, w),
            InvariantId::RC);  // nothing to say why
  EXPECT_EQ(failing(Op::exit(2), Outcome::error(Status::OutOfMemory), nullptr, nullptr, w),
            InvariantId::ISO);
  EXPECT_EQ(failing(Op::munmap(1, 0, 1), Outcome::error(Status::OutOfMemory), nullptr, nullptr, w),
            InvariantId::ISO);
  EXPECT_EQ(failing(Op::write(1, 0, 7), Outcome::error(Status::Killed), nullptr, nullptr, w),
            InvariantId::ISO);
}

// The frames an op needs are counted as docs/mechanism.md counts them: a
// copy needs one, a reuse none, so a sole owner's write may not run out.
TEST(Invariants, RcCatchesOutOfMemoryWhereTheWriteWouldReuse) {
  World w;
  w.do_op(Op::exit(2));
  Snapshot alone;
  alone.total_frames = 1;
  alone.free_frames = 0;
  alone.procs = {{1, 1, false}};
  alone.ptes = {{1, 0, MapKind::PrivateAnon, true, false, true, false, 0}};
  alone.frames = {{0, 1, {}}};
  auto v = violation(Op::write(1, 0, 5), Outcome::error(Status::OutOfMemory), &alone, &alone, w);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->id, InvariantId::RC);
  EXPECT_NE(v->detail.find("needs 0"), std::string::npos) << v->detail;
}

// swapout may leave a page in memory only when a pin holds its frame.
TEST(Invariants, RcCatchesBusyWithoutAPin) {
  World w;
  Snapshot before = after_fork();
  EXPECT_EQ(failing(Op::swapout(1, 0), Outcome::error(Status::Busy), &before, &before, w),
            InvariantId::RC);
  World pinned;
  pinned.do_op(Op::pin_page(1, 0, false));
  Snapshot held = after_fork();
  held.pins = {{1, 0, false}};
  held.frames[0].refcount = 3;
  EXPECT_EQ(failing(Op::swapout(1, 0), Outcome::error(Status::Busy), &held, &held, pinned),
            std::nullopt);
}

// What the snapshot shows of processes and pins is what the semantics says.
TEST(Invariants, IsoCatchesAProcessShownSuspendedAndAPinShownReadWrite) {
  World w;
  Snapshot before = after_fork(), after = after_fork();
  after.procs[1].suspended = true;
  EXPECT_EQ(failing(Op::read(1, 0), Outcome::read(0), &before, &after, w), InvariantId::ISO);
  World pinned;
  Snapshot held = after_fork();
  held.pins = {{1, 0, true}};
  held.frames[0].refcount = 3;
  EXPECT_EQ(failing(Op::pin_page(1, 0, false), Outcome::pinned(1), &before, &held, pinned),
            InvariantId::ISO);
}

// A snapshot that leaves out a live page is a finding, not a crash.
TEST(Invariants, IsoCatchesAMissingPage) {
  World w;
  Snapshot before = after_fork(), after = after_fork();
  after.ptes.pop_back();
  after.frames[0].refcount = 1;
  EXPECT_EQ(failing(Op::read(1, 0), Outcome::read(0), &before, &after, w), InvariantId::ISO);
}

TEST(Invariants, WpCatchesAWritableSharedFrame) {
  World w;
  Snapshot before = after_fork(), after = after_fork();
  after.ptes[0].writable = true;
  after.ptes[0].cow = false;
  EXPECT_EQ(failing(Op::read(1, 0), Outcome::read(0), &before, &after, w), InvariantId::WP);
}

TEST(Invariants, WpCatchesASharedFrameWithoutCowBit) {
  World w;
  Snapshot before = after_fork(), after = after_fork();
  after.ptes[1].cow = false;
  EXPECT_EQ(failing(Op::read(1, 0), Outcome::read(0), &before, &after, w), InvariantId::WP);
}

TEST(Invariants, ReuseCatchesACopyBySoleOwner) {
  World w(true);
  Snapshot before = after_parent_copy(), after = after_parent_copy();
  // pid 2 is now sole owner of frame 0, but the "fault" moved it to frame 2.
  after.ptes[1] = {2, 0, MapKind::PrivateAnon, true, true, false, false, 2};
  after.frames = {{1, 1, {7, 0, 0, 0}}, {2, 1, {3, 0, 0, 0}}};
  after.free_frames = 2;
  EXPECT_EQ(failing(Op::write(2, 0, 3), Outcome::wrote(Fault::CowCopy), &before, &after, w),
            InvariantId::REUSE);
}

TEST(Invariants, ReuseCatchesAWriteThatLeavesThePteReadOnly) {
  World w(true);
  Snapshot before = after_parent_copy(), after = after_parent_copy();
  after.frames[0].contents[0] = 3;  // written, but the PTE stayed read-only + cow
  EXPECT_EQ(failing(Op::write(2, 0, 3), Outcome::wrote(Fault::CowReuse), &before, &after, w),
            InvariantId::REUSE);
}

TEST(Invariants, RcCatchesALeakedReference) {
  World w;
  Snapshot before = after_fork(), after = after_parent_copy();
  after.frames[0].refcount = 2;  // the copy forgot to drop the old frame
  EXPECT_EQ(failing(Op::write(1, 0, 7), Outcome::wrote(Fault::CowCopy), &before, &after, w),
            InvariantId::RC);
}

TEST(Invariants, RcCatchesAFreeListThatDisagrees) {
  World w;
  Snapshot before = after_fork(), after = after_fork();
  after.free_frames = 2;
  EXPECT_EQ(failing(Op::read(1, 0), Outcome::read(0), &before, &after, w), InvariantId::RC);
}

TEST(Invariants, RcCatchesOutOfMemoryWithFreeFrames) {
  World w;
  Snapshot before = after_fork(), after = after_fork();
  EXPECT_EQ(failing(Op::write(1, 0, 7), Outcome::error(Status::OutOfMemory), &before, &after, w),
            InvariantId::RC);
}

// Eager paging (an xv6 lab): fork takes page-table frames from the pool
// the pages use, so it may fail when none is free, leaving its parent's
// pages write-protected; mmap of text fills its frames at once.
Snapshot alone_and_full() {
  Snapshot s;
  s.total_frames = 1;
  s.free_frames = 0;
  s.procs = {{1, 1, false}};
  s.ptes = {{1, 0, MapKind::PrivateAnon, true, true, false, true, 0}};
  s.frames = {{0, 1, {}}};
  return s;
}

// `op` answered out-of-memory on `config`, after `first`.
std::optional<InvariantId> failed_out_of_memory(const Config& config,
                                                std::initializer_list<Op> first, const Op& op,
                                                const Snapshot& before, const Snapshot& after) {
  World w(config, first);
  return failing(op, Outcome::error(Status::OutOfMemory), &before, &after, w);
}

TEST(Invariants, EagerPagingLetsForkFailOnlyWhenNoFrameIsFree) {
  Config eager = kConfig;
  eager.paging = Paging::Eager;
  Snapshot full = alone_and_full();
  Snapshot protected_for_cow = full;
  protected_for_cow.ptes[0].writable = false;
  protected_for_cow.ptes[0].cow = true;
  protected_for_cow.ptes[0].exclusive = false;
  Snapshot leaked = protected_for_cow;
  leaked.frames[0].refcount = 2;
  EXPECT_EQ(failed_out_of_memory(eager, {}, Op::fork(1), full, full), std::nullopt);
  EXPECT_EQ(failed_out_of_memory(eager, {}, Op::fork(1), full, protected_for_cow), std::nullopt);
  EXPECT_EQ(failed_out_of_memory(eager, {}, Op::fork(1), full, leaked), InvariantId::RC);
  EXPECT_EQ(failed_out_of_memory(kConfig, {}, Op::fork(1), full, full), InvariantId::RC);
  EXPECT_EQ(failed_out_of_memory(kConfig, {}, Op::fork(1), full, protected_for_cow),
            InvariantId::RC);
  Snapshot one_free = full;
  one_free.total_frames = 2;
  one_free.free_frames = 1;
  EXPECT_EQ(failed_out_of_memory(eager, {}, Op::fork(1), one_free, one_free), InvariantId::RC);
}

TEST(Invariants, EagerPagingLetsTextMmapFailOnlyWhenItsFramesAreNotThere) {
  Config eager = kConfig;
  eager.paging = Paging::Eager;
  Op text = Op::mmap(1, 0, 1, MapKind::Text);
  Snapshot full = alone_and_full();
  // Its unmap frees the frame the one page held alone: the text needs none more.
  EXPECT_EQ(failed_out_of_memory(eager, {}, text, full, full), InvariantId::RC);
  // A page still shared after a fork frees nothing: the text needs a frame.
  Snapshot shared = after_fork();
  shared.total_frames = 1;
  shared.free_frames = 0;
  EXPECT_EQ(failed_out_of_memory(eager, {Op::fork(1)}, text, shared, shared), std::nullopt);
  EXPECT_EQ(failed_out_of_memory(kConfig, {Op::fork(1)}, text, shared, shared), InvariantId::ISO);
}

TEST(Invariants, NamesRoundTrip) {
  for (InvariantId id :
       {InvariantId::ISO, InvariantId::WP, InvariantId::REUSE, InvariantId::RC, InvariantId::DIFF,
        InvariantId::CRASH, InvariantId::HANG, InvariantId::OOM, InvariantId::EXIT})
    EXPECT_EQ(invariant_from_name(invariant_name(id)), id);
  EXPECT_EQ(invariant_from_name("iso"), std::nullopt);
  EXPECT_EQ(invariant_table().size(), 4u);
}

}  // namespace
}  // namespace cow
