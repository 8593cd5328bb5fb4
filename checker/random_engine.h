// The random engine: RapidCheck generates op sequences, every invariant is
// checked after every op, and a failure is shrunk to a minimal sequence.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "checker/minimize.h"
#include "spec/invariants.h"
#include "spec/outcome.h"

namespace cow {

struct CheckProgress {
  int runs_done = 0;
  int runs_total = 0;
  std::uint64_t ops = 0;
  double seconds = 0;
  bool shrinking = false;
};

struct CheckOptions {
  Config config;
  std::uint64_t seed = 1;
  int runs = 1000;
  int max_ops = 24;     // short sequences keep shrinking to seconds
  OpSet ops = kAllOps;  // the op kinds generated
  // Shrinking a finding that stops the implementation the slow way (HANG,
  // OOM: each re-run that fails costs a timeout or a memory fill) re-runs
  // at most this many failing candidates, per shrinking pass; the finding's
  // notes say what was skipped.
  int costly_shrink_runs = 8;
  std::function<void(const CheckProgress&)> on_progress;  // at most once a second
};

// A minimized failing sequence with what each op returned.
struct Finding {
  Violation violation;
  std::vector<Op> ops;
  std::vector<Outcome> outcomes;  // one per op that returned (the last may have thrown)
  // False when the minimized sequence did not fail again on a fresh run (a
  // non-deterministic implementation): the violation is the one first seen.
  bool reproduced = true;
  // What a reader should know about how it was found: shrinking cut short.
  std::vector<std::string> notes;
};

struct CheckResult {
  int runs = 0;                  // generated sequences run (shrinking not counted)
  std::uint64_t ops = 0;         // ops applied and checked, shrinking included
  double seconds = 0;            // in all
  double shrink_seconds = 0;     // of which spent shrinking
  std::size_t found_length = 0;  // ops in the failing sequence before shrinking
  std::optional<Finding> finding;
  std::string error;  // set when RapidCheck itself could not run
};

CheckResult check_random(const ImplFactory& make, const CheckOptions& options);

}  // namespace cow
