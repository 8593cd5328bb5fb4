#include "checker/replay.h"

#include <memory>
#include <stdexcept>
#include <utility>

#include "checker/diff_engine.h"
#include "checker/harness.h"
#include "model/cow_model.h"

namespace cow {

namespace {

// Hands one step to the observer: a step that stopped shows the stop, never
// what the step before it returned.
void report(ReplayObserver& observer, ReplayResult& result, const Op& op, const Outcome& outcome,
            const Snapshot* after) {
  ++result.steps;
  const Violation* v = result.violation ? &*result.violation : nullptr;
  bool stopped = v && is_stop(v->id);
  ReplayedStep step{result.steps, &op, std::nullopt, v, stopped ? nullptr : after};
  if (!stopped) step.outcome = outcome;
  observer.step(step);
}

ReplayResult replay_alone(std::unique_ptr<Implementation> instance, const CowFile& file,
                          ReplayObserver& observer) {
  Harness harness(std::move(instance), file.config);
  observer.started(harness.snapshot() ? &*harness.snapshot() : nullptr);
  ReplayResult result;
  for (const Op& op : file.ops) {
    result.violation = harness.step(op);
    report(observer, result, op, harness.last_outcome(),
           harness.snapshot() ? &*harness.snapshot() : nullptr);
    if (result.violation) break;
  }
  return result;
}

// A DIFF file was found by the differential engine: it replays as one, the
// model beside the implementation in lock step (so on `model` it passes).
ReplayResult replay_beside_model(std::unique_ptr<Implementation> instance, const CowFile& file,
                                 ReplayObserver& observer) {
  DiffHarness harness(std::make_unique<model::CowModel>(file.config), std::move(instance),
                      file.config, 1);
  bool states = observer.wants_states();
  std::optional<Snapshot> state;
  ReplayResult result;
  if (states) state = harness.impl().snapshot();
  observer.started(state ? &*state : nullptr);
  result.violation = harness.compare_snapshots();
  if (result.violation) return result;
  for (const Op& op : file.ops) {
    result.violation = harness.step(op);
    bool stopped = result.violation && is_stop(result.violation->id);
    if (states && !stopped) state = harness.impl().snapshot();
    report(observer, result, op, harness.last_outcome(), state ? &*state : nullptr);
    if (result.violation) break;
  }
  return result;
}

}  // namespace

ReplayResult replay_on(const CowFile& file, std::unique_ptr<Implementation> impl,
                       ReplayObserver& observer) {
  // A file replays on an instance that owes nothing to earlier ones.
  try {
    impl->isolate();
  } catch (const std::exception& e) {
    return replay_unstarted(e, observer);
  }
  if (file.invariant == InvariantId::DIFF)
    return replay_beside_model(std::move(impl), file, observer);
  return replay_alone(std::move(impl), file, observer);
}

ReplayResult replay_unstarted(const std::exception& stop, ReplayObserver& observer) {
  observer.started(nullptr);
  return ReplayResult{0, stop_violation(stop, 0, "the implementation could not start")};
}

void TraceRecorder::started(const Snapshot* initial) {
  if (keep_ && initial) trace_.initial = *initial;
}

void TraceRecorder::step(const ReplayedStep& s) {
  TraceStep& step = trace_.steps.emplace_back(TraceStep{*s.op, s.outcome.value_or(Outcome{}), {}});
  if (keep_ && s.after) step.after = *s.after;
}

}  // namespace cow
