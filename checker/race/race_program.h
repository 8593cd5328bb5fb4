// A concurrent run of the stepped model: ops run one at a time first (the
// setup), then lanes of ops at once, interleaved step by step as the
// schedule says. A schedule is a list of lane numbers: each entry lets that
// lane take one step, or, when it cannot (it waits for a lock, or has
// nothing left), the next lane after it that can. So every list of numbers
// is a schedule, and a shrunk one stays valid. When the list runs out, the
// lowest lane that can goes on, until every lane is done.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "model/stepped/stepped_model.h"
#include "spec/call.h"
#include "spec/invariants.h"

namespace cow {

struct RaceProgram {
  std::vector<Op> setup;
  Lanes lanes;
  std::vector<std::uint32_t> schedule;
  friend bool operator==(const RaceProgram&, const RaceProgram&) = default;
};

using SteppedFactory = std::function<std::unique_ptr<model::SteppedModel>()>;

// One step a lane took: which op of the lane, and the step's name.
struct RaceStep {
  std::uint32_t lane = 0;
  std::size_t op_index = 0;
  model::Pc pc = model::Pc::Atomic;
  bool starts = false;              // the op's first step: its call begins
  std::optional<Outcome> returned;  // its last: what the call returned
};

struct RaceTrace {
  std::vector<Outcome> setup_outcomes;
  std::vector<RaceStep> steps;
  std::vector<Call> calls;
  // The schedule as taken: the lane of every step, entries the run did not
  // use dropped. Replaying it takes the same steps.
  std::vector<std::uint32_t> taken;
  // Per step: the lanes that could have taken it (a bit each), for a
  // search that tries every interleaving.
  std::vector<std::uint32_t> could;
  // Once every lane is done, every word of every page of every process is
  // read, one at a time, on every lane's CPU; then each space's pages are
  // dropped (madvise) and read again, which shows the objects behind them:
  // the final contents, as answers the order must explain.
  std::vector<Call> final_reads;
  std::optional<Violation> violation;
  std::size_t violation_step = 0;  // steps taken when it showed (setup not counted)
  bool in_setup = false;           // it showed in the setup, before any lane ran
};

// Runs `program` on a fresh stepped model beside the semantics. A setup op
// is checked as the harness checks one (check_step); then every call's
// answer must be explained by some order of the calls (the linearizability
// monitor), and at every point no op is in flight the state must hold for
// some state of the semantics that order reaches (check_state). Last, the
// final contents are read and explained the same way.
RaceTrace run_race(const SteppedFactory& make, const Config& config, const RaceProgram& program);

// Lane switches in a schedule: what minimizing a schedule makes few.
std::size_t switches(const std::vector<std::uint32_t>& schedule);

// The steps as lines, "lane 1: write 1 0 1  fault-in", for reports.
std::string describe_steps(const RaceProgram& program, const RaceTrace& trace);

}  // namespace cow
