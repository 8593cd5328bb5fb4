// The stepped model run one op at a time is the model: every op, stepped
// on one lane to its end, answers as CowModel::apply does and leaves the
// same state, up to the first op that runs out of frames: the model then
// puts back all that op did, the steps only their last one's, and the two
// go on from states the semantics cannot tell apart.
#include "model/stepped/stepped_model.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "checker/op_gen.h"

namespace cow {
namespace {

Outcome stepped_alone(model::SteppedModel& m, const Op& op) {
  std::optional<Outcome> out = m.start(0, op);
  while (!out) {
    RC_ASSERT(m.enabled(0));
    out = m.step(0);
  }
  RC_ASSERT(m.idle());
  return *out;
}

void same_as_the_model(const Config& config) {
  std::vector<GenOp> generated = *gen_ops(config);
  model::CowModel whole(config);
  model::SteppedModel steps(config);
  Semantics sem(config);
  for (const GenOp& g : generated) {
    std::optional<Op> op = resolve(g, sem);
    if (!op) continue;
    Outcome want = whole.apply(*op);
    Outcome got = stepped_alone(steps, *op);
    RC_ASSERT(to_string(*op) + " -> " + to_string(got) ==
              to_string(*op) + " -> " + to_string(want));
    sem.apply(*op, want);
    if (want.status == Status::OutOfMemory || want.status == Status::Killed) return;
    RC_ASSERT(*steps.snapshot() == *whole.snapshot());
  }
}

RC_GTEST_PROP(SteppedModel, OneOpAtATimeIsTheModel, ()) {
  same_as_the_model(Config{.pages = 3, .frames = 16, .procs = 6, .words = 2});
}

RC_GTEST_PROP(SteppedModel, OneOpAtATimeAnswersAsTheModelShortOfFrames, ()) {
  same_as_the_model(Config{.pages = 2, .frames = 3, .procs = 4, .words = 1});
  same_as_the_model(
      Config{.pages = 2, .frames = 3, .procs = 4, .words = 1, .oom = OomPolicy::Kill});
}

TEST(SteppedModel, AWholeOpWaitsForAQuietMachineAndAFaultForTheForkToEnd) {
  model::SteppedModel m(Config{});
  ASSERT_EQ(*m.start(0, Op::thread(1)), Outcome::forked(2));
  EXPECT_FALSE(m.start(0, Op::fork(1)));  // takes the mmap lock for write
  EXPECT_EQ(m.next_step(0), model::Pc::ForkCopy);
  EXPECT_FALSE(m.can_start(1, Op::exit(2))) << "a whole op waits until nothing is in flight";
  EXPECT_FALSE(m.can_start(1, Op::read(1, 0))) << "pid 1 has an op in flight";
  EXPECT_FALSE(m.step(0));  // the copy: the page is read-only now
  // A write that must fault waits for the lock.
  EXPECT_FALSE(m.start(1, Op::write(2, 0, 5)));
  EXPECT_FALSE(m.enabled(1));
  EXPECT_EQ(*m.step(0), Outcome::forked(3));
  EXPECT_TRUE(m.enabled(1));
  std::optional<Outcome> out;
  while (!out) out = m.step(1);
  EXPECT_EQ(*out, Outcome::wrote(Fault::CowCopy));
}

}  // namespace
}  // namespace cow
