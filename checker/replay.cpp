#include "checker/replay.h"

#include <memory>
#include <stdexcept>
#include <utility>

#include "checker/diff_engine.h"
#include "checker/harness.h"
#include "checker/registry.h"
#include "impl/plugin/worker_process.h"

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
  DiffHarness harness(make_implementation("model", file.config), std::move(instance), file.config,
                      1);
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

ReplayResult replay_cow(const CowFile& file, const std::string& impl, ReplayObserver& observer) {
  std::unique_ptr<Implementation> instance;
  try {
    instance = make_implementation(impl, file.config);
  } catch (const plugin::PluginLoadError&) {
    throw;
  } catch (const std::exception& e) {
    // It loaded, then died before it answered: the constructor aborted,
    // create crashed or hung, the worker exited. That is what the file shows.
    observer.started(nullptr);
    return ReplayResult{0, stop_violation(e, 0, "the implementation could not start")};
  }
  if (!instance) throw std::invalid_argument("unknown implementation '" + impl + "'");
  if (file.invariant == InvariantId::DIFF)
    return replay_beside_model(std::move(instance), file, observer);
  return replay_alone(std::move(instance), file, observer);
}

std::optional<Trace> replay_cow(const CowFile& file, const std::string& impl, bool keep_snapshots) {
  if (!known_implementation(impl)) return std::nullopt;
  class Recorder : public ReplayObserver {
   public:
    Recorder(Trace& trace, bool keep) : trace_(trace), keep_(keep) {}
    bool wants_states() const override { return keep_; }
    void started(const Snapshot* initial) override {
      if (keep_ && initial) trace_.initial = *initial;
    }
    void step(const ReplayedStep& s) override {
      TraceStep& step =
          trace_.steps.emplace_back(TraceStep{*s.op, s.outcome.value_or(Outcome{}), {}});
      if (keep_ && s.after) step.after = *s.after;
    }

   private:
    Trace& trace_;
    bool keep_;
  };
  Trace trace;
  Recorder recorder(trace, keep_snapshots);
  trace.violation = replay_cow(file, impl, recorder).violation;
  return trace;
}

}  // namespace cow
