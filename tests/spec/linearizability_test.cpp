#include "spec/linearizability.h"

#include <gtest/gtest.h>

namespace cow {
namespace {

Call call(std::uint32_t lane, Op op, Outcome out, std::uint64_t in, std::uint64_t back) {
  return Call{lane, op, out, in, back};
}

const Semantics kStart{Config{}};

TEST(Linearizability, ASequentialHistoryIsCheckedAnswerByAnswer) {
  std::vector<Call> ok = {call(0, Op::write(1, 0, 5), Outcome::ok(), 0, 1),
                          call(1, Op::read(1, 0), Outcome::read(5), 2, 3)};
  EXPECT_EQ(check_linearizable(kStart, ok), std::nullopt);
  std::vector<Call> stale = {call(0, Op::write(1, 0, 5), Outcome::ok(), 0, 1),
                             call(1, Op::read(1, 0), Outcome::read(0), 2, 3)};
  std::optional<std::string> why = check_linearizable(kStart, stale);
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("read 1 0 returned ok, but in every order of the calls so far the "
                      "semantics answers ok value=5"),
            std::string::npos)
      << *why;
}

TEST(Linearizability, OverlappingCallsMayTakeEitherOrder) {
  for (Value seen : {0u, 5u}) {
    std::vector<Call> h = {call(0, Op::write(1, 0, 5), Outcome::ok(), 0, 3),
                           call(1, Op::read(1, 0), Outcome::read(seen), 1, 2)};
    EXPECT_EQ(check_linearizable(kStart, h), std::nullopt) << seen;
  }
  // Two writes to two words of a page at once: both must survive.
  std::vector<Call> lost = {call(0, Op::write(1, 0, 5, 0), Outcome::ok(), 0, 3),
                            call(1, Op::write(1, 0, 6, 1), Outcome::ok(), 1, 2),
                            call(2, Op::read(1, 0, 0), Outcome::read(0), 4, 5)};
  EXPECT_TRUE(check_linearizable(kStart, lost));
}

TEST(Linearizability, ACallInFlightMayBeOrderedBeforeOneThatReturnsFirst) {
  // The fork is in flight when the write starts and ends; the child's read,
  // after both, sees the write only if the write came first.
  for (Value seen : {0u, 5u}) {
    std::vector<Call> h = {call(0, Op::fork(1), Outcome::forked(2), 0, 5),
                           call(1, Op::write(1, 0, 5), Outcome::ok(), 1, 2),
                           call(1, Op::read(2, 0), Outcome::read(seen), 6, 7)};
    EXPECT_EQ(check_linearizable(kStart, h), std::nullopt) << seen;
  }
  std::vector<Call> after = {call(0, Op::write(1, 0, 5), Outcome::ok(), 0, 1),
                             call(1, Op::fork(1), Outcome::forked(2), 2, 3),
                             call(1, Op::read(2, 0), Outcome::read(0), 4, 5)};
  EXPECT_TRUE(check_linearizable(kStart, after));
}

TEST(Linearizability, AChoiceTheSemanticsLeavesOpenIsAccepted) {
  std::vector<Call> h = {call(0, Op::write(1, 0, 5), Outcome::error(Status::OutOfMemory), 0, 1),
                         call(0, Op::read(1, 0), Outcome::read(0), 2, 3)};
  EXPECT_EQ(check_linearizable(kStart, h), std::nullopt);
  std::vector<Call> lie = {call(0, Op::read(1, 0), Outcome::error(Status::Busy), 0, 1)};
  EXPECT_TRUE(check_linearizable(kStart, lie));
}

TEST(Linearizability, TheMonitorKeepsEveryStateAnOrderReaches) {
  LinearizabilityMonitor m(kStart);
  m.invoke(0, Op::write(1, 0, 5));
  m.invoke(1, Op::write(1, 0, 6));
  EXPECT_TRUE(m.respond(0, Outcome::wrote(Fault::CowCopy))) << "the fault kind is not compared";
  EXPECT_TRUE(m.respond(1, Outcome::ok()));
  EXPECT_TRUE(m.quiescent());
  EXPECT_EQ(m.states().size(), 2u) << "5 then 6, or 6 then 5";
  m.invoke(0, Op::read(1, 0));
  EXPECT_TRUE(m.respond(0, Outcome::read(5)));
  EXPECT_EQ(m.states().size(), 1u);
}

}  // namespace
}  // namespace cow
