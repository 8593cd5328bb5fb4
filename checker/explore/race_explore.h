// The exhaustive engine for races: every program of a few ops, and every
// interleaving of their steps on the stepped model, each judged as
// cowcheck race judges one (checker/race/race_program.h). Programs grow
// one op at a time, so the first that fails is one of the fewest ops; of
// its interleavings the one reported takes the fewest steps, then the
// fewest lane switches.
//
// The reduction, and why it is sound: lanes are CPUs and all alike, so a
// program and the same program with its lanes renumbered have the same
// runs up to that renaming; only lane orders with non-decreasing op lists
// are run. Every interleaving of a program's steps is run, none skipped.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "checker/race/race_program.h"

namespace cow::explore {

struct RaceExploreOptions {
  Config config{2, 4, 4, 1};            // pages, frames, procs, words
  std::uint32_t values = 1;             // writes store 1..values
  OpSet ops = kAllOps;                  // kinds tried
  std::uint32_t lanes = 2;              // lane i runs as task i: pid 1 and its threads
  std::uint32_t lane_ops = 1;           // most ops per lane
  std::uint32_t setup_ops = 1;          // most ops run one at a time first
  std::uint64_t max_runs = 50'000'000;  // a bound on interleavings run; reached: not exhaustive
};

struct RaceExploreResult {
  std::uint64_t programs = 0;
  std::uint64_t runs = 0;  // interleavings run
  std::uint64_t steps = 0;
  bool complete = false;  // every program and interleaving within the bounds was run
  std::string stopped;    // why not, when it was not
  double seconds = 0;
  std::optional<RaceProgram> program;  // the first failing program, its best schedule
  std::optional<RaceTrace> trace;
};

RaceExploreResult race_explore(const SteppedFactory& make, const RaceExploreOptions& options);

}  // namespace cow::explore
