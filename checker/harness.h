// Drives one implementation op by op beside the semantics and checks every
// invariant after every op. All engines run sequences through this.
#pragma once

#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "checker/step_audit.h"
#include "spec/implementation.h"
#include "spec/invariants.h"
#include "spec/semantics.h"

namespace cow {

// The finding for an implementation that threw instead of answering: HANG,
// OOM or EXIT when it stopped that way (ImplementationStopped), else CRASH.
Violation stop_violation(const std::exception& e, Pid pid, const std::string& context);

class Harness {
 public:
  Harness(std::unique_ptr<Implementation> impl, const Config& config);

  // Applies `op` and returns the first invariant it breaks. An exception
  // from the implementation is a CRASH violation; the harness survives it.
  std::optional<Violation> step(const Op& op);

  const Semantics& semantics() const { return semantics_; }
  const Outcome& last_outcome() const { return last_outcome_; }
  // The state after the last step (nullopt for a black-box implementation).
  const std::optional<Snapshot>& snapshot() const { return snapshot_; }

 private:
  // Applies `op` to the model beside a black box; drops it when it cannot
  // answer as the implementation did.
  void follow_beside(const Op& op);

  std::unique_ptr<Implementation> impl_;
  std::optional<Violation> stopped_at_start_;  // the first snapshot already failed
  Semantics semantics_;
  std::optional<Snapshot> snapshot_;
  Outcome last_outcome_;
  // Set when the implementation audits itself (checker/step_audit.h).
  const StepAudit* audit_ = nullptr;
  // For a black-box implementation: the model run beside it, whose state
  // before an op justifies (or not) an out-of-memory, killed or busy answer.
  // Null once it could not follow the implementation (it ran out of frames
  // where the implementation did not).
  std::unique_ptr<Implementation> beside_;
};

// The result of running a whole sequence: where it first failed, if it did.
struct RunResult {
  std::optional<Violation> violation;
  std::size_t failed_at = 0;  // index of the failing op, when violation is set
  std::size_t ops_run = 0;
};

RunResult run_ops(std::unique_ptr<Implementation> impl, const Config& config,
                  const std::vector<Op>& ops);

// The same run, recording every step for a reader: what each op returned
// and, when asked, the state after it.
struct TraceStep {
  Op op;
  Outcome outcome;                // meaningless for a step that crashed
  std::optional<Snapshot> after;  // kept only when asked
};

struct Trace {
  std::optional<Snapshot> initial;  // before the first op, when snapshots are kept
  std::vector<TraceStep> steps;     // up to and including the failing one
  std::optional<Violation> violation;
};

Trace trace_ops(std::unique_ptr<Implementation> impl, const Config& config,
                const std::vector<Op>& ops, bool keep_snapshots);

}  // namespace cow
