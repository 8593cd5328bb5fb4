// Textbook scenarios from the seeds, run on the reference model with every
// invariant checked after every op.
#include "model/cow_model.h"

#include <gtest/gtest.h>

#include "checker/harness.h"

namespace cow {
namespace {

class ModelScenario : public ::testing::Test {
 protected:
  void start(Config config = Config{.pages = 2, .frames = 16, .procs = 16, .words = 2}) {
    config_ = config;
    harness_ = std::make_unique<Harness>(std::make_unique<model::CowModel>(config), config);
  }
  Outcome run(const Op& op) {
    if (!harness_) start();
    auto v = harness_->step(op);
    EXPECT_FALSE(v) << to_string(op) << ": " << to_string(*v);
    return harness_->last_outcome();
  }
  const Snapshot& snap() { return *harness_->snapshot(); }
  const PteView& pte(Pid pid, Vpn vpn) { return *snap().find_pte(pid, vpn); }

  Config config_;
  std::unique_ptr<Harness> harness_;
};

// TLPI Figure 24-3: parent and child map one frame until one of them writes.
TEST_F(ModelScenario, Tlpi24_3ParentAndChildShareAFrameUntilOneWrites) {
  run(Op::fork(1));
  EXPECT_EQ(pte(1, 0).frame, pte(2, 0).frame);
  EXPECT_EQ(snap().refcount(pte(1, 0).frame), 2u);
  EXPECT_FALSE(pte(1, 0).writable);
  EXPECT_TRUE(pte(2, 0).cow);
  Pfn shared = pte(1, 0).frame;

  EXPECT_EQ(run(Op::write(2, 0, 9)).fault, Fault::CowCopy);
  EXPECT_NE(pte(2, 0).frame, shared);
  EXPECT_EQ(pte(1, 0).frame, shared);
  EXPECT_EQ(snap().refcount(shared), 1u);
}

TEST_F(ModelScenario, AChildsWriteLeavesTheParentUntouched) {
  run(Op::write(1, 0, 3));
  run(Op::fork(1));
  run(Op::write(2, 0, 4));
  EXPECT_EQ(run(Op::read(1, 0)).value, 3u);
  EXPECT_EQ(run(Op::read(2, 0)).value, 4u);
}

TEST_F(ModelScenario, AParentsWriteAfterForkLeavesTheChildUntouched) {
  run(Op::write(1, 1, 3, 1));
  run(Op::fork(1));
  run(Op::write(1, 1, 5, 1));
  EXPECT_EQ(run(Op::read(2, 1, 1)).value, 3u);
  EXPECT_EQ(run(Op::read(1, 1, 1)).value, 5u);
}

TEST_F(ModelScenario, AChainOfTenForksEachWriting) {
  for (Pid pid = 1; pid <= 10; ++pid) {
    run(Op::write(pid, 0, pid * 10));
    EXPECT_EQ(run(Op::fork(pid)).child, pid + 1);
  }
  for (Pid pid = 1; pid <= 10; ++pid) EXPECT_EQ(run(Op::read(pid, 0)).value, pid * 10);
  EXPECT_EQ(run(Op::read(11, 0)).value, 100u);
}

TEST_F(ModelScenario, AfterTheParentExitsTheChildsWriteReusesItsFrame) {
  run(Op::fork(1));
  run(Op::exit(1));
  Pfn frame = pte(2, 0).frame;
  std::uint32_t free_before = snap().free_frames;
  EXPECT_EQ(run(Op::write(2, 0, 8)).fault, Fault::CowReuse);
  EXPECT_EQ(pte(2, 0).frame, frame);
  EXPECT_EQ(snap().free_frames, free_before);
}

// Seed 003: "the other process (who later faults on write) discovers it is
// the only owner; so no copying takes place".
TEST_F(ModelScenario, TheLastOfSeveralSharersWritesWithoutACopy) {
  run(Op::fork(1));
  run(Op::fork(1));
  EXPECT_EQ(run(Op::write(1, 0, 1)).fault, Fault::CowCopy);
  EXPECT_EQ(run(Op::write(2, 0, 2)).fault, Fault::CowCopy);
  EXPECT_EQ(run(Op::write(3, 0, 3)).fault, Fault::CowReuse);
  EXPECT_EQ(run(Op::write(3, 0, 4)).fault, Fault::None);
}

TEST_F(ModelScenario, EveryFrameIsFreeAfterAllExit) {
  run(Op::fork(1));
  run(Op::write(2, 1, 5));
  run(Op::fork(2));
  run(Op::exit(1));
  run(Op::exit(3));
  run(Op::exit(2));
  EXPECT_TRUE(snap().ptes.empty());
  EXPECT_EQ(snap().free_frames, config_.frames);
  EXPECT_EQ(run(Op::fork(2)).status, Status::NoSuchProcess);
}

TEST_F(ModelScenario, OutOfMemoryIsAnOutcomeThatChangesNothing) {
  start(Config{.pages = 2, .frames = 2, .procs = 4, .words = 2});
  run(Op::write(1, 0, 6));
  run(Op::fork(1));
  Snapshot before = snap();
  EXPECT_EQ(run(Op::write(2, 0, 7)).status, Status::OutOfMemory);
  EXPECT_EQ(snap(), before);
  EXPECT_EQ(run(Op::read(2, 0)).value, 6u);
  run(Op::exit(1));
  EXPECT_EQ(run(Op::write(2, 0, 7)).fault, Fault::CowReuse);
}

TEST_F(ModelScenario, BadInputIsAnErrorOutcome) {
  EXPECT_EQ(run(Op::write(1, 2, 1)).status, Status::BadAddress);
  EXPECT_EQ(run(Op::read(1, 0, 3)).status, Status::BadAddress);
  EXPECT_EQ(run(Op::exit(9)).status, Status::NoSuchProcess);
}

TEST_F(ModelScenario, ForkBeyondTheProcessLimitIsRefused) {
  start(Config{.pages = 1, .frames = 4, .procs = 2, .words = 1});
  run(Op::fork(1));
  EXPECT_EQ(run(Op::fork(2)).status, Status::ProcLimit);
}

TEST(Model, CloneIsIndependent) {
  Config config;
  model::CowModel original(config);
  original.apply(Op::fork(1));
  auto copy = original.clone();
  copy->apply(Op::write(2, 0, 5));
  EXPECT_EQ(original.apply(Op::read(2, 0)).value, 0u);
  EXPECT_EQ(copy->apply(Op::read(2, 0)).value, 5u);
}

}  // namespace
}  // namespace cow
