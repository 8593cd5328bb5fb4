// The semantics of the ops tasks and their races need: thread, madvise and
// memwrite (Dirty COW's three).
#include <gtest/gtest.h>

#include "spec/semantics.h"

namespace cow {
namespace {

Outcome run(Semantics& sem, const Op& op) {
  Outcome out = sem.expect(op);
  sem.apply(op, out);
  return out;
}

TEST(TaskOps, AThreadSharesItsCreatorsSpaceAndAForkCopiesOnlyTheCaller) {
  Semantics sem(Config{});
  EXPECT_EQ(run(sem, Op::thread(1)), Outcome::forked(2));
  EXPECT_EQ(sem.space_owner(2), 1u);
  run(sem, Op::write(2, 0, 5));
  EXPECT_EQ(run(sem, Op::read(1, 0)), Outcome::read(5)) << "one space";
  EXPECT_EQ(run(sem, Op::fork(2)), Outcome::forked(3));
  EXPECT_EQ(sem.space_owner(3), 3u) << "the child is a process of its own, with one task";
  run(sem, Op::write(1, 0, 6));
  EXPECT_EQ(run(sem, Op::read(3, 0)), Outcome::read(5));
  EXPECT_EQ(run(sem, Op::exit(1)), Outcome::ok());
  EXPECT_EQ(sem.space_owner(2), 2u) << "the lowest live pid names the space";
  EXPECT_EQ(run(sem, Op::read(2, 0)), Outcome::read(6));
}

TEST(TaskOps, ExecEndsTheOtherTasksOfTheGroupAndKeepsItsPid) {
  Semantics sem(Config{});
  run(sem, Op::thread(1));
  run(sem, Op::thread(1));
  run(sem, Op::fork(2));  // pid 4, a process of its own
  run(sem, Op::write(1, 0, 7));
  EXPECT_EQ(run(sem, Op::exec(3)), Outcome::ok());
  EXPECT_FALSE(sem.live(1));
  EXPECT_FALSE(sem.live(2));
  EXPECT_TRUE(sem.live(3));
  EXPECT_TRUE(sem.live(4));
  EXPECT_EQ(run(sem, Op::read(3, 0)), Outcome::read(0)) << "a fresh space";
}

TEST(TaskOps, ThreadsCountAgainstTheProcessLimit) {
  Config c;
  c.procs = 2;
  Semantics sem(c);
  EXPECT_EQ(run(sem, Op::thread(1)), Outcome::forked(2));
  EXPECT_EQ(run(sem, Op::thread(1)), Outcome::error(Status::ProcLimit));
}

TEST(TaskOps, MadviseDropsPrivatePagesAndKeepsObjects) {
  Semantics sem(Config{});
  run(sem, Op::write(1, 0, 5));
  run(sem, Op::mmap(1, 1, 1, MapKind::PrivateFile));
  run(sem, Op::write(1, 1, 6));
  run(sem, Op::mmap(1, 2, 1, MapKind::SharedFile));
  run(sem, Op::write(1, 2, 7));
  EXPECT_EQ(run(sem, Op::madvise(1, 0, 3)), Outcome::ok());
  EXPECT_EQ(run(sem, Op::read(1, 0)), Outcome::read(0)) << "private anon: zeros again";
  EXPECT_EQ(run(sem, Op::read(1, 1)), Outcome::read(file_word(1, 0))) << "the file again";
  EXPECT_EQ(run(sem, Op::read(1, 2)), Outcome::read(7)) << "a shared page is its object";
  EXPECT_EQ(run(sem, Op::madvise(1, 3, 2)), Outcome::error(Status::BadAddress));
}

TEST(TaskOps, AForcedWriteToTextIsPrivateAndLeavesTheFile) {
  Semantics sem(Config{});
  run(sem, Op::mmap(1, 0, 1, MapKind::Text));
  run(sem, Op::fork(1));
  EXPECT_EQ(run(sem, Op::write(1, 0, 9)), Outcome::error(Status::ProtFault));
  EXPECT_EQ(run(sem, Op::memwrite(1, 0, 9)), Outcome::ok());
  EXPECT_EQ(run(sem, Op::read(1, 0)), Outcome::read(9));
  EXPECT_EQ(run(sem, Op::read(2, 0)), Outcome::read(file_word(0, 0))) << "the file is unchanged";
  run(sem, Op::fork(1));  // pid 3 gets a copy of the private page
  run(sem, Op::madvise(1, 0, 1));
  EXPECT_EQ(run(sem, Op::read(1, 0)), Outcome::read(file_word(0, 0))) << "dropped: the file";
  EXPECT_EQ(run(sem, Op::read(3, 0)), Outcome::read(9));
  EXPECT_EQ(run(sem, Op::memwrite(1, 4, 9)), Outcome::error(Status::BadAddress));
}

}  // namespace
}  // namespace cow
