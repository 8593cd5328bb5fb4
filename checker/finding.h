// The words every engine (random, diff, explore, symbolic) and the
// application (app/) share: how an engine is handed an implementation, and
// what a search reports. An engine builds no implementation itself and
// links none: the application names one and hands the engine a factory.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "spec/implementation.h"
#include "spec/invariants.h"
#include "spec/op.h"
#include "spec/outcome.h"
#include "spec/types.h"

namespace cow {

// A fresh instance of one implementation on one machine, at each call.
using ImplFactory = std::function<std::unique_ptr<Implementation>()>;

// An implementation by name on a machine (the registry's
// make_implementation), for an engine that has to name what it builds: prove
// replays a counterexample on the implementation its encoding stands for.
using ImplMaker =
    std::function<std::unique_ptr<Implementation>(std::string_view name, const Config& config)>;

struct CheckProgress {
  int runs_done = 0;
  int runs_total = 0;
  std::uint64_t ops = 0;
  double seconds = 0;
  bool shrinking = false;
};

// What a RapidCheck campaign (check, diff) generates and how long it runs.
struct CheckOptions {
  Config config;
  std::uint64_t seed = 1;
  int runs = 1000;
  int max_ops = 24;        // short sequences keep shrinking to seconds
  OpSet ops = kAllOps;     // the op kinds generated
  MapSet maps = kAllMaps;  // the kinds a generated mmap maps
  // Also draw, now and then, the page just past the space (vpn = pages),
  // which every op must refuse with bad-address and no harm done.
  bool bad_addresses = false;
  // Shrinking a finding that stops the implementation the slow way (HANG,
  // OOM: each re-run that fails costs a timeout or a memory fill) re-runs
  // at most this many failing candidates, per shrinking pass; the finding's
  // notes say what was skipped.
  int costly_shrink_runs = 8;
  // Shrink every finding that way: runs so long (hundreds of processes)
  // that RapidCheck's thousands of candidates would take hours.
  bool costly_runs = false;
  std::function<void(const CheckProgress&)> on_progress;  // at most once a second
};

// A failing sequence with what each op returned: minimized by the random
// engines, a shortest one from explore and prove.
struct Finding {
  Violation violation;
  std::vector<Op> ops;
  std::vector<Outcome> outcomes;  // one per op that returned (the last may have thrown)
  // False when the sequence did not fail again on a fresh run (a
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

}  // namespace cow
