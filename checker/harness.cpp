#include "checker/harness.h"

#include <exception>

#include <fmt/format.h>

#include "model/cow_model.h"

namespace cow {

namespace {

InvariantId stopped_id(ImplementationStopped::Kind kind) {
  switch (kind) {
    case ImplementationStopped::Kind::Crash: return InvariantId::CRASH;
    case ImplementationStopped::Kind::Hang: return InvariantId::HANG;
    case ImplementationStopped::Kind::OutOfMemory: return InvariantId::OOM;
    case ImplementationStopped::Kind::Exit: return InvariantId::EXIT;
  }
  return InvariantId::CRASH;
}

}  // namespace

Violation stop_violation(const std::exception& e, Pid pid, const std::string& context) {
  const auto* stopped = dynamic_cast<const ImplementationStopped*>(&e);
  return Violation{stopped ? stopped_id(stopped->kind()) : InvariantId::CRASH, pid, std::nullopt,
                   kNoFrame, fmt::format("{}: {}", context, e.what())};
}

Harness::Harness(std::unique_ptr<Implementation> impl, const Config& config)
    : impl_(std::move(impl)), semantics_(config) {
  audit_ = dynamic_cast<const StepAudit*>(impl_.get());
  try {
    snapshot_ = impl_->snapshot();
  } catch (const std::exception& e) {
    stopped_at_start_ = stop_violation(e, 0, "before the first op");
  }
  if (!snapshot_ && !stopped_at_start_) {
    try {
      beside_ = std::make_unique<model::CowModel>(config);
    } catch (const std::exception&) {
      // No model beside: an open answer then cannot be justified (RC).
    }
  }
}

std::optional<Violation> Harness::step(const Op& op) {
  if (stopped_at_start_) return stopped_at_start_;
  Outcome expected = semantics_.expect(op);
  std::optional<Snapshot> before = std::move(snapshot_);
  try {
    last_outcome_ = impl_->apply(op);
    snapshot_ = impl_->snapshot();
  } catch (const UnsupportedOp&) {
    throw;  // bad input for this implementation, not something it did
  } catch (const std::exception& e) {
    snapshot_ = std::move(before);
    return stop_violation(e, op.pid, to_string(op));
  }
  std::optional<Semantics> sem_before;
  std::optional<Snapshot> beside_before;
  if (is_choice(expected, last_outcome_)) {
    sem_before = semantics_;
    if (beside_) beside_before = beside_->snapshot();
  }
  follow_beside(op);
  semantics_.apply(op, last_outcome_);
  Step step{op,
            expected,
            last_outcome_,
            semantics_,
            before ? &*before : nullptr,
            snapshot_ ? &*snapshot_ : nullptr,
            beside_before ? &*beside_before : nullptr,
            sem_before ? &*sem_before : nullptr};
  if (std::optional<Violation> v = check_step(step)) return v;
  return audit_ ? audit_->audit_last_step() : std::nullopt;
}

void Harness::follow_beside(const Op& op) {
  if (!beside_) return;
  try {
    if (beside_->apply(op).status == last_outcome_.status) return;
  } catch (const std::exception&) {
    // The model is the oracle's own: if it cannot go on, it stops judging.
  }
  beside_.reset();
}

RunResult run_ops(std::unique_ptr<Implementation> impl, const Config& config,
                  const std::vector<Op>& ops) {
  Harness harness(std::move(impl), config);
  RunResult result;
  for (std::size_t i = 0; i < ops.size(); ++i) {
    ++result.ops_run;
    if (auto v = harness.step(ops[i])) {
      result.violation = std::move(v);
      result.failed_at = i;
      break;
    }
  }
  return result;
}

Trace trace_ops(std::unique_ptr<Implementation> impl, const Config& config,
                const std::vector<Op>& ops, bool keep_snapshots) {
  Harness harness(std::move(impl), config);
  Trace trace;
  if (keep_snapshots) trace.initial = harness.snapshot();
  for (const Op& op : ops) {
    trace.violation = harness.step(op);
    TraceStep& step = trace.steps.emplace_back(TraceStep{op, harness.last_outcome(), {}});
    if (keep_snapshots) step.after = harness.snapshot();
    if (trace.violation) break;
  }
  return trace;
}

}  // namespace cow
