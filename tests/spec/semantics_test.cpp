#include "spec/semantics.h"

#include <gtest/gtest.h>

namespace cow {
namespace {

Config small() { return Config{.pages = 2, .frames = 8, .procs = 3, .words = 2}; }

void run(Semantics& sem, const Op& op) { sem.apply(op, sem.expect(op)); }

TEST(Semantics, ForkCopiesEagerlySoLaterWritesStayPrivate) {
  Semantics sem(small());
  run(sem, Op::write(1, 0, 5));
  EXPECT_EQ(sem.expect(Op::fork(1)), Outcome::forked(2));
  run(sem, Op::fork(1));
  run(sem, Op::write(1, 0, 6));
  EXPECT_EQ(sem.expect(Op::read(2, 0)), Outcome::read(5));
  EXPECT_EQ(sem.expect(Op::read(1, 0)), Outcome::read(6));
}

TEST(Semantics, WordsOfAPageAreIndependent) {
  Semantics sem(small());
  run(sem, Op::write(1, 1, 3, 1));
  EXPECT_EQ(sem.expect(Op::read(1, 1, 1)), Outcome::read(3));
  EXPECT_EQ(sem.expect(Op::read(1, 1, 0)), Outcome::read(0));
}

TEST(Semantics, ErrorsForDeadProcessesBadAddressesAndTheProcessLimit) {
  Semantics sem(small());
  EXPECT_EQ(sem.expect(Op::read(7, 0)).status, Status::NoSuchProcess);
  EXPECT_EQ(sem.expect(Op::write(1, 2, 1)).status, Status::BadAddress);
  EXPECT_EQ(sem.expect(Op::read(1, 0, 2)).status, Status::BadAddress);
  run(sem, Op::fork(1));
  run(sem, Op::fork(1));
  EXPECT_EQ(sem.expect(Op::fork(1)).status, Status::ProcLimit);
  run(sem, Op::exit(2));
  EXPECT_FALSE(sem.live(2));
  EXPECT_EQ(sem.expect(Op::fork(3)), Outcome::forked(4));
}

TEST(Semantics, OutOfMemoryLeavesTheStateAsItWas) {
  Semantics sem(small());
  sem.apply(Op::write(1, 0, 9), Outcome::error(Status::OutOfMemory));
  EXPECT_EQ(sem.expect(Op::read(1, 0)), Outcome::read(0));
  sem.apply(Op::fork(1), Outcome::error(Status::OutOfMemory));
  EXPECT_EQ(sem.next_pid(), 2u);
}

}  // namespace
}  // namespace cow
