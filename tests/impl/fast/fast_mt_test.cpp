// fast-mt one op at a time (what diff compares with the model) and the
// shape of what run_lanes returns.
#include <algorithm>
#include <set>

#include <gtest/gtest.h>

#include "impl/fast/mt/fast_mt.h"

namespace cow {
namespace {

using fast::FastMt;

Value read(FastMt& mt, Pid pid, Vpn vpn, std::uint32_t word = 0) {
  Outcome o = mt.apply(Op::read(pid, vpn, word));
  EXPECT_EQ(o.status, Status::Ok) << to_string(o);
  return o.value;
}

TEST(FastMt, AThreadSharesItsCreatorsSpaceAndAForkCopiesOnlyTheCaller) {
  FastMt mt(Config{.pages = 2, .frames = 8, .procs = 4, .words = 2});
  EXPECT_EQ(mt.apply(Op::thread(1)).child, 2u);
  mt.apply(Op::write(2, 0, 7));
  EXPECT_EQ(read(mt, 1, 0), 7u);
  Outcome fork = mt.apply(Op::fork(2));
  EXPECT_EQ(fork.child, 3u);
  EXPECT_EQ(mt.apply(Op::write(1, 0, 8)).fault, Fault::CowCopy);
  EXPECT_EQ(read(mt, 2, 0), 8u);
  EXPECT_EQ(read(mt, 3, 0), 7u);
  std::optional<Snapshot> snap = mt.snapshot();
  ASSERT_TRUE(snap);
  ASSERT_EQ(snap->procs.size(), 3u);
  EXPECT_EQ(snap->procs[1].space, 1u);  // the thread runs in pid 1's space
  EXPECT_EQ(snap->procs[2].space, 3u);  // the child has its own
}

TEST(FastMt, TheLowestLiveTaskNamesTheSpaceAndTheLastOneDropsIt) {
  FastMt mt(Config{.pages = 2, .frames = 4, .procs = 4, .words = 2});
  mt.apply(Op::thread(1));
  mt.apply(Op::write(1, 1, 5));
  EXPECT_EQ(mt.apply(Op::exit(1)).status, Status::Ok);
  std::optional<Snapshot> snap = mt.snapshot();
  ASSERT_EQ(snap->procs.size(), 1u);
  EXPECT_EQ(snap->procs[0].space, 2u);
  EXPECT_EQ(read(mt, 2, 1), 5u);
  mt.apply(Op::exit(2));
  EXPECT_EQ(mt.snapshot()->free_frames, 4u);
}

TEST(FastMt, ThreadsCountAgainstTheProcessLimit) {
  FastMt mt(Config{.pages = 1, .frames = 2, .procs = 2, .words = 1});
  EXPECT_EQ(mt.apply(Op::thread(1)).status, Status::Ok);
  EXPECT_EQ(mt.apply(Op::thread(1)).status, Status::ProcLimit);
  EXPECT_EQ(mt.apply(Op::fork(2)).status, Status::ProcLimit);
}

TEST(FastMt, MadviseDropsThePagesAndTheyReadZeroUntilWritten) {
  FastMt mt(Config{.pages = 3, .frames = 6, .procs = 2, .words = 2});
  for (Vpn vpn = 0; vpn < 3; ++vpn) mt.apply(Op::write(1, vpn, 10 + vpn));
  EXPECT_EQ(mt.apply(Op::madvise(1, 1, 2)).status, Status::Ok);
  EXPECT_EQ(read(mt, 1, 0), 10u);
  EXPECT_EQ(read(mt, 1, 1), 0u);
  EXPECT_EQ(mt.snapshot()->free_frames, 5u);
  EXPECT_EQ(mt.apply(Op::write(1, 2, 4)).fault, Fault::ZeroFill);
  EXPECT_EQ(mt.apply(Op::madvise(1, 2, 2)).status, Status::BadAddress);
}

TEST(FastMt, RunLanesStampsEveryCallOnOneClock) {
  FastMt mt(Config{.pages = 2, .frames = 8, .procs = 4, .words = 2});
  mt.apply(Op::thread(1));
  Lanes lanes = {{Op::write(1, 0, 1), Op::read(1, 1), Op::fork(1)},
                 {Op::write(2, 1, 2), Op::read(2, 0)}};
  std::vector<Call> calls = mt.run_lanes(lanes);
  ASSERT_EQ(calls.size(), 5u);
  std::set<std::uint64_t> ticks;
  for (const Call& c : calls) {
    EXPECT_LT(c.invoked, c.returned);
    ticks.insert(c.invoked);
    ticks.insert(c.returned);
    EXPECT_EQ(c.outcome.status, Status::Ok) << to_string(c.op) << ": " << to_string(c.outcome);
  }
  EXPECT_EQ(ticks.size(), 10u);
  EXPECT_EQ(read(mt, 1, 0), 1u);  // apply goes on from the state the lanes left
  EXPECT_THROW(mt.run_lanes({{Op::swapout(1, 0)}}), UnsupportedOp);
}

}  // namespace
}  // namespace cow
