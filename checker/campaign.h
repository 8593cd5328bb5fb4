// The pieces every RapidCheck-driven engine shares: generate op sequences,
// resolve each op against the live processes, run it through a stepper
// (one implementation beside the semantics, or two in lock step), stop a
// sequence at its first violation, let RapidCheck shrink it, and report.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "checker/harness.h"
#include "checker/random_engine.h"
#include "spec/invariants.h"
#include "spec/semantics.h"

namespace cow {

// One generated sequence in flight.
class Stepper {
 public:
  virtual ~Stepper() = default;
  // The semantic state ops are resolved against.
  virtual const Semantics& semantics() const = 0;
  // Applies one op; the first violation it shows.
  virtual std::optional<Violation> step(const Op& op) = 0;
  // Called once after the last op of a sequence that did not fail.
  virtual std::optional<Violation> finish() { return std::nullopt; }
};

using StepperFactory = std::function<std::unique_ptr<Stepper>()>;

struct CampaignResult {
  int runs = 0;           // generated sequences run (shrinking not counted)
  std::uint64_t ops = 0;  // ops applied and checked, shrinking included
  double seconds = 0;
  double shrink_seconds = 0;     // from the first failure to the end
  std::size_t found_length = 0;  // ops in the first failing sequence
  // RapidCheck's minimal failing sequence and its violation, if any failed.
  std::optional<std::vector<Op>> failing;
  Violation violation;
  std::string error;  // set when RapidCheck itself could not run
};

CampaignResult run_campaign(const CheckOptions& options, const StepperFactory& make_stepper);

// The kinds of `ops` that the implementation `make` gives supports (a v1
// plug-in has only the core ops); `ops` unchanged when it cannot start, so
// the campaign reports that failure itself.
OpSet supported_by(const std::function<std::unique_ptr<Implementation>()>& make, OpSet ops);

// A CheckResult with the campaign's counts and error, and no finding yet.
CheckResult result_counts(const CampaignResult& campaign);

// The finding for minimized `ops`, from their replay `trace`; `first_seen`
// stands in when the replay no longer fails (a non-deterministic
// implementation), and the finding says it did not reproduce.
Finding finding_from_trace(std::vector<Op> ops, const Trace& trace, const Violation& first_seen);

// The length of the prefix of `ops` that fails the way being minimized (0
// when the state before any op already differs), or nullopt when it passes.
using FailingPrefix = std::function<std::optional<std::size_t>(const std::vector<Op>&)>;

// Drops single ops while the sequence still fails, until none can go; the
// result ends at its failing op. `ops` must fail.
std::vector<Op> shrink_ops(std::vector<Op> ops, const FailingPrefix& failing_prefix);

}  // namespace cow
