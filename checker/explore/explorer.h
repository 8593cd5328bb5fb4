// The exhaustive engine: breadth-first search over every state an
// implementation reaches from its start, with every op of the kinds
// ExploreOptions::ops names that a live process can do (every argument
// spec/op.h gives the kind: every pid, vpn, word, value 1..NV, mapping
// kind, pin and mode; ranges of one page), states
// deduplicated up to renaming of frames and permutation of processes
// (state_key.h). Each op is checked with spec's check_step, as the harness
// does, so the first violation found is one of a shortest sequence.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "checker/finding.h"
#include "spec/invariants.h"
#include "spec/op.h"

namespace cow::explore {

struct ExploreOptions {
  Config machine{2, 6, 3, 1};   // pages, frames, procs, words
  std::uint32_t values = 3;     // writes store 1..values
  OpSet ops = kCoreOps;         // op kinds tried; every kind multiplies the state space
  std::uint32_t max_depth = 0;  // longest sequence; 0: until no new state
  double timeout_seconds = 60;
  std::uint64_t max_states = 50'000'000;  // a memory guard
  unsigned threads = 0;                   // 0: one per core
};

struct ExploreProgress {
  std::uint32_t depth = 0;  // BFS levels done
  std::uint64_t states = 0;
  std::uint64_t transitions = 0;
  std::uint64_t frontier = 0;
  double seconds = 0;
};

struct ExploreResult {
  std::uint64_t states = 0;       // distinct up to symmetry, the start included
  std::uint64_t transitions = 0;  // ops applied and checked
  std::uint32_t depth = 0;        // levels fully explored: every sequence this long was checked
  bool complete = false;          // no new state was left: every reachable state seen
  std::string stopped;            // why it stopped early ("timeout", "state limit"), if it did
  double seconds = 0;
  std::uint64_t peak_rss_bytes = 0;
  std::uint64_t key_bytes = 0;  // of which the set of seen states
  // The path to the violating op, which is last, and what each op returned
  // on a fresh replay through the harness; `reproduced` false when that
  // replay did not fail (a non-deterministic implementation).
  std::optional<Finding> finding;
};

// Throws std::invalid_argument when `make` gives an implementation that
// cannot be cloned or gives no snapshot, or that has none of options.ops.
ExploreResult run_explore(const ImplFactory& make, const ExploreOptions& options,
                          const std::function<void(const ExploreProgress&)>& on_level = {});

// Every op of a kind in `ops` the search tries from `sem`, in the order it
// tries them.
// Only mmaps of a kind in `maps`.
std::vector<Op> ops_from(const Semantics& sem, std::uint32_t values, OpSet ops = kCoreOps,
                         MapSet maps = kAllMaps);

}  // namespace cow::explore
