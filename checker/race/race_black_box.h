// Races of an implementation several threads may drive at once
// (Implementation::run_lanes: fast-mt, the host). RapidCheck draws setups
// and lanes as for the stepped model, but the implementation's own threads
// choose the interleaving, so a run has no schedule to replay and a finding
// may not come back on a second run: it is written with what each call
// returned. Every run's history (the setup one op at a time, the lanes at
// once, then every word of every pid read, each space dropped and read
// again) must be linearizable against the semantics.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "checker/finding.h"
#include "checker/race/race_random.h"

namespace cow {

struct BlackBoxRun {
  std::vector<Call> history;       // setup, lanes, final reads, in the clock's order of invocation
  std::uint64_t overlapped = 0;    // pairs of calls of different lanes in flight at once
  std::optional<std::string> why;  // not linearizable: the first call no order explains
};

// One run of `program` (its schedule ignored) on a fresh implementation.
BlackBoxRun run_black_box(const ImplFactory& make, const Config& config,
                          const RaceProgram& program);

struct BlackBoxFinding {
  RaceProgram program;
  BlackBoxRun run;
  int found_in = 0;  // the run, from 1
};

struct BlackBoxResult {
  int runs = 0;
  std::uint64_t calls = 0;
  std::uint64_t overlapped = 0;
  double seconds = 0;
  std::optional<BlackBoxFinding> finding;
  std::string error;
};

BlackBoxResult race_black_box(const ImplFactory& make, const RaceOptions& options);

}  // namespace cow
