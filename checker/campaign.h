// The pieces every RapidCheck-driven engine shares: generate op sequences,
// resolve each op against the live processes, run it through a stepper
// (one implementation beside the semantics, or two in lock step), stop a
// sequence at its first violation, let RapidCheck shrink it, and report.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "checker/finding.h"
#include "checker/harness.h"
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
  // RapidCheck's shrinking candidates not run (a costly finding).
  int shrinks_skipped = 0;
  std::string error;  // set when RapidCheck itself could not run
  // With a Triage: the runs that hit a bug already known, by its key, and
  // the key and minimized ops of `failing` (a bug not known before).
  std::map<std::string, int> known_hits;
  std::string failing_key;
  std::vector<Op> failing_minimized;
};

// For check --keep-going: a failing run whose bug is already known is
// counted and passes, so the campaign goes on; only a new bug fails it, and
// RapidCheck then shrinks towards that bug, not into a known one.
struct Triage {
  // The key (checker/bug_key.h) of a failing sequence, and the sequence
  // minimized: the key is read off the minimized one.
  struct Verdict {
    std::string key;
    std::vector<Op> minimized;
  };
  std::function<Verdict(const std::vector<Op>& ops, const Violation& violation)> classify;
  // Keys of the bugs found before this campaign.
  std::function<bool(const std::string& key)> known;
};

CampaignResult run_campaign(const CheckOptions& options, const StepperFactory& make_stepper,
                            const Triage* triage = nullptr);

// Whether re-running a sequence that fails this way costs a timeout or a
// memory fill: shrinking such findings is bounded (costly_shrink_runs).
bool costly_to_rerun(InvariantId id);
// The same, or any finding when the campaign's runs are costly (costly_runs).
bool costly_to_rerun(InvariantId id, const CheckOptions& options);

// The violation of an implementation that stopped while it was being built
// (a plug-in whose worker died or hung before it answered): no op was sent.
Violation start_violation(const ImplementationStopped& e);

// trace_ops on a fresh implementation from `make`; when it stops while being
// built, a trace of no steps with that violation. `isolated` (the run that
// reports a finding) also asks it to depend on no earlier instance
// (Implementation::isolate); a shrinking candidate need not.
Trace trace_from_start(const ImplFactory& make, const Config& config, const std::vector<Op>& ops,
                       bool isolated = true);

// The notes for a finding whose shrinking skipped `skipped` candidates: in
// the campaign (all of RapidCheck's), and in the concrete pass (past its
// budget of failing re-runs).
std::string campaign_shrink_note(int skipped, InvariantId id);
std::string shrink_note(int skipped, int budget, InvariantId id);

// One implementation built before a campaign: the op kinds it supports, or
// the finding when it stops while being built. No campaign follows such a
// stop: no sequence of ops can change it, and each re-run may cost a timeout.
struct StartProbe {
  OpSet ops = kAllOps;
  MapSet maps = kAllMaps;
  // Set when it has none of the op kinds asked for: nothing to generate.
  std::string error;
  std::optional<Violation> stopped;
};
StartProbe probe_start(const ImplFactory& make, OpSet ops, MapSet maps = kAllMaps);

// The finding and counts for an implementation that stopped while starting.
CheckResult start_failure_result(const Violation& stopped);

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
