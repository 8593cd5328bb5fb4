// The random engine for races: RapidCheck generates a setup, lanes of ops
// and a schedule, runs them on the stepped model (race_program.h), and
// shrinks a failure in all three at once: fewer setup ops, fewer lane ops,
// a shorter schedule with lower lane numbers (fewer switches).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <rapidcheck.h>

#include "checker/race/race_program.h"

namespace cow {

struct RaceOptions {
  Config config{2, 8, 6, 2};  // pages, frames, procs, words
  OpSet ops = kAllOps;        // kinds the setup and the lanes draw
  std::uint32_t lanes = 2;
  std::uint32_t max_setup = 5;      // setup ops
  std::uint32_t max_lane_ops = 2;   // ops per lane
  std::uint32_t max_schedule = 64;  // schedule entries
  std::uint64_t seed = 1;
  int runs = 2000;
};

struct RaceFinding {
  RaceProgram program;  // shrunk
  RaceTrace trace;      // of the shrunk program
  int run = 0;          // the run that first failed, from 1
  RaceProgram first;    // as generated
  double seconds_to_find = 0;
  double seconds_to_shrink = 0;
};

struct RaceResult {
  int runs = 0;
  std::uint64_t steps = 0;  // steps taken, shrinking included
  double seconds = 0;
  std::optional<RaceFinding> finding;
  std::string error;  // RapidCheck could not run
};

RaceResult race_random(const SteppedFactory& make, const RaceOptions& options);

// What the engine draws: a setup, lanes (lane i most often a thread of pid
// 1 made in the setup) and a schedule, resolved against the semantics.
rc::Gen<RaceProgram> gen_race_program(const RaceOptions& options);

// Shrinks a failing program further than RapidCheck can by itself: drops
// single setup ops, lane ops and schedule entries, and gives an entry the
// lane of the one before it (one switch fewer), while it still fails the
// same invariant; then the schedule is the one the run took. `program`
// must fail with `id`.
RaceProgram minimize_race(const SteppedFactory& make, const Config& config, RaceProgram program,
                          InvariantId id);

}  // namespace cow
