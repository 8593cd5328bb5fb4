// Properties of the model and the harness over generated sequences,
// run through RapidCheck's gtest glue.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "checker/harness.h"
#include "checker/op_gen.h"
#include "model/cow_model.h"

namespace cow {
namespace {

const Config kConfig{.pages = 3, .frames = 12, .procs = 6, .words = 2};

RC_GTEST_PROP(ModelProperties, EveryInvariantHoldsAfterEveryOp, ()) {
  std::vector<GenOp> generated = *gen_ops(kConfig);
  Harness harness(std::make_unique<model::CowModel>(kConfig), kConfig);
  for (const GenOp& g : generated) {
    std::optional<Op> op = resolve(g, harness.semantics());
    if (!op) continue;
    std::optional<Violation> v = harness.step(*op);
    RC_ASSERT(!v.has_value());
  }
}

// Frames are conserved: in use plus free is always the total, and once
// every process has exited every frame is free again.
RC_GTEST_PROP(ModelProperties, ExitingEverythingFreesEveryFrame, ()) {
  std::vector<GenOp> generated = *gen_ops(kConfig);
  Harness harness(std::make_unique<model::CowModel>(kConfig), kConfig);
  for (const GenOp& g : generated)
    if (std::optional<Op> op = resolve(g, harness.semantics())) harness.step(*op);
  std::vector<Pid> live;
  for (const auto& [pid, proc] : harness.semantics().processes()) live.push_back(pid);
  // Youngest first: a vfork child's exit resumes its parent.
  for (auto it = live.rbegin(); it != live.rend(); ++it) {
    RC_ASSERT(!harness.step(Op::exit(*it)).has_value());
    RC_ASSERT(harness.last_outcome().status == Status::Ok);
  }
  std::vector<PinId> pins;
  for (const auto& [id, cell] : harness.semantics().pins()) pins.push_back(id);
  for (PinId id : pins) RC_ASSERT(!harness.step(Op::unpin(id)).has_value());
  RC_ASSERT(harness.snapshot()->free_frames == kConfig.frames);
  RC_ASSERT(harness.snapshot()->slots.empty());
  RC_ASSERT(harness.snapshot()->ptes.empty());
}

// A clone runs on by itself: the same ops give the same outcomes and the
// same state as on the original.
RC_GTEST_PROP(ModelProperties, ACloneBehavesAsTheOriginal, ()) {
  std::vector<GenOp> prefix = *gen_ops(kConfig);
  std::vector<GenOp> suffix = *gen_ops(kConfig);
  Semantics sem(kConfig);
  model::CowModel original(kConfig);
  for (const GenOp& g : prefix)
    if (auto op = resolve(g, sem)) sem.apply(*op, original.apply(*op));
  auto copy = original.clone();
  for (const GenOp& g : suffix) {
    auto op = resolve(g, sem);
    if (!op) continue;
    Outcome a = original.apply(*op);
    RC_ASSERT(copy->apply(*op) == a);
    sem.apply(*op, a);
  }
  RC_ASSERT(copy->snapshot() == original.snapshot());
}

}  // namespace
}  // namespace cow
