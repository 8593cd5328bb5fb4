// The fast implementation op by op, in both fork modes: the scenarios COW
// gets wrong, each checked against what the spec says a program sees.
#include "impl/fast/fast_cow.h"

#include <gtest/gtest.h>

namespace cow::fast {
namespace {

class FastCowTest : public ::testing::TestWithParam<ForkMode> {
 protected:
  FastCow make(const Config& config = Config{}) {
    return FastCow(config, FastOptions{GetParam(), true, Mutation::None});
  }
};

Value read(FastCow& cow, Pid pid, Vpn vpn, std::uint32_t word = 0) {
  Outcome o = cow.apply(Op::read(pid, vpn, word));
  EXPECT_EQ(o.status, Status::Ok) << to_string(Op::read(pid, vpn, word));
  return o.value;
}

TEST_P(FastCowTest, TheFirstProcessMapsEveryPageInItsOwnZeroFrame) {
  Config config{4, 16, 8, 2};
  FastCow cow = make(config);
  Snapshot snap = *cow.snapshot();
  ASSERT_EQ(snap.ptes.size(), 4u);
  ASSERT_EQ(snap.frames.size(), 4u);
  for (Vpn vpn = 0; vpn < 4; ++vpn) {
    const PteView& pte = snap.ptes[vpn];
    EXPECT_EQ(pte.pid, kInitPid);
    EXPECT_TRUE(pte.present && pte.writable && !pte.cow);
    EXPECT_EQ(snap.refcount(pte.frame), 1u);
    EXPECT_EQ(snap.find_frame(pte.frame)->contents, PageData{});
    for (Vpn other = 0; other < vpn; ++other) EXPECT_NE(snap.ptes[other].frame, pte.frame);
  }
  EXPECT_EQ(snap.free_frames, 12u);
  EXPECT_EQ(snap.total_frames, 16u);
}

TEST_P(FastCowTest, PidsAndStatusCodes) {
  FastCow cow = make(Config{4, 16, 3, 2});
  EXPECT_EQ(cow.apply(Op::fork(1)), Outcome::forked(2));
  EXPECT_EQ(cow.apply(Op::fork(2)), Outcome::forked(3));
  EXPECT_EQ(cow.apply(Op::fork(1)), Outcome::error(Status::ProcLimit));
  EXPECT_EQ(cow.apply(Op::exit(3)), Outcome::ok());
  EXPECT_EQ(cow.apply(Op::fork(1)), Outcome::forked(4)) << "a refused fork used no pid";
  EXPECT_EQ(cow.apply(Op::read(3, 0)), Outcome::error(Status::NoSuchProcess));
  EXPECT_EQ(cow.apply(Op::fork(9)), Outcome::error(Status::NoSuchProcess));
  EXPECT_EQ(cow.apply(Op::write(1, 4, 1)), Outcome::error(Status::BadAddress));
  EXPECT_EQ(cow.apply(Op::read(1, 0, 2)), Outcome::error(Status::BadAddress));
  EXPECT_EQ(cow.apply(Op::write(1, 0, 1, 2)), Outcome::error(Status::BadAddress));
}

TEST_P(FastCowTest, ForkThenWriteBothSides) {
  FastCow cow = make();
  cow.apply(Op::write(1, 0, 5, 1));
  ASSERT_EQ(cow.apply(Op::fork(1)), Outcome::forked(2));
  EXPECT_EQ(cow.apply(Op::write(1, 0, 7)), Outcome::wrote(Fault::CowCopy));
  EXPECT_EQ(cow.apply(Op::write(2, 0, 8)), Outcome::wrote(Fault::CowReuse))
      << "the child is now the frame's only owner";
  EXPECT_EQ(cow.apply(Op::write(2, 0, 9)), Outcome::wrote(Fault::None));
  EXPECT_EQ(read(cow, 1, 0), 7u);
  EXPECT_EQ(read(cow, 2, 0), 9u);
  EXPECT_EQ(read(cow, 1, 0, 1), 5u) << "the copy carried the other words";
  EXPECT_EQ(read(cow, 2, 0, 1), 5u);
  EXPECT_EQ(read(cow, 2, 1), 0u);
}

TEST_P(FastCowTest, AChildNeverSeesItsParentsLaterWrite) {
  FastCow cow = make();
  cow.apply(Op::fork(1));
  cow.apply(Op::write(1, 2, 3));
  EXPECT_EQ(read(cow, 2, 2), 0u);
  EXPECT_EQ(read(cow, 1, 2), 3u);
}

TEST_P(FastCowTest, AChainOfForksKeepsEveryGenerationApart) {
  FastCow cow = make(Config{4, 64, 16, 2});
  Pid youngest = 1;
  for (Value gen = 1; gen <= 10; ++gen) {
    cow.apply(Op::write(youngest, 0, gen));
    Outcome o = cow.apply(Op::fork(youngest));
    ASSERT_EQ(o.status, Status::Ok);
    youngest = o.child;
  }
  for (Pid pid = 1; pid < youngest; ++pid) EXPECT_EQ(read(cow, pid, 0), pid) << "pid " << pid;
  EXPECT_EQ(read(cow, youngest, 0), 10u);
  Snapshot snap = *cow.snapshot();
  EXPECT_EQ(snap.refcount(snap.find_pte(1, 1)->frame), 11u) << "an unwritten page: all share it";
}

TEST_P(FastCowTest, ACopyWithNoFreeFrameIsOutOfMemoryAndChangesNothing) {
  FastCow cow = make(Config{2, 2, 4, 2});
  cow.apply(Op::fork(1));
  Snapshot before = *cow.snapshot();
  EXPECT_EQ(cow.apply(Op::write(2, 0, 1)), Outcome::error(Status::OutOfMemory));
  EXPECT_EQ(*cow.snapshot(), before);
  EXPECT_EQ(read(cow, 2, 0), 0u);
  cow.apply(Op::exit(1));
  EXPECT_EQ(cow.apply(Op::write(2, 0, 1)), Outcome::wrote(Fault::CowReuse))
      << "once the parent is gone no frame is needed";
}

TEST_P(FastCowTest, ExitReturnsEveryFrameAndTable) {
  FastCow cow = make();
  cow.apply(Op::fork(1));
  cow.apply(Op::fork(2));
  cow.apply(Op::write(3, 1, 1));
  cow.apply(Op::write(1, 2, 1));
  std::size_t one_process = 0;
  {
    FastCow fresh = make();
    one_process = fresh.page_table_bytes();
  }
  cow.apply(Op::exit(1));
  cow.apply(Op::exit(3));
  EXPECT_EQ(cow.free_frames(), 16u - 4u);
  EXPECT_EQ(cow.page_table_bytes(), one_process);
  cow.apply(Op::exit(2));
  EXPECT_EQ(cow.free_frames(), 16u);
  EXPECT_EQ(cow.page_table_bytes(), 0u);
  EXPECT_TRUE(cow.snapshot()->frames.empty());
}

TEST_P(FastCowTest, ACloneGoesItsOwnWay) {
  FastCow cow = make();
  cow.apply(Op::fork(1));
  std::unique_ptr<Implementation> copy = cow.clone();
  cow.apply(Op::write(1, 0, 4));
  EXPECT_EQ(copy->apply(Op::read(1, 0)), Outcome::read(0));
  EXPECT_EQ(copy->apply(Op::write(1, 0, 4)), Outcome::wrote(Fault::CowCopy));
  EXPECT_EQ(*copy->snapshot(), *cow.snapshot());
}

INSTANTIATE_TEST_SUITE_P(BothForkModes, FastCowTest,
                         ::testing::Values(ForkMode::Eager, ForkMode::SharedTables),
                         [](const auto& info) {
                           return info.param == ForkMode::Eager ? "Eager" : "SharedTables";
                         });

}  // namespace
}  // namespace cow::fast
