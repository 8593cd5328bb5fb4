// The concurrent property of fast-mt: rounds of random lanes, threads of one
// process writing and reading the same few pages of several words, with a
// madvise or a fork now and then, run at once; between rounds the children
// exit and pid 1 forks again, so every round starts on copy-on-write pages.
// Every history (the sequential calls between rounds included) must be
// linearizable against the semantics started from the same setup, and
// after each round, with no op in flight, the state must hold together (every
// frame's refcount is the PTEs that map it, a writable PTE maps its frame
// alone, the free frames and the used ones add up) and agree with a state
// the semantics reaches by some order of the calls. The same code judges the
// correct implementation and its mutants.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "impl/fast/mt/fast_mt.h"
#include "spec/types.h"

namespace cow::mt_stress {

struct StressOptions {
  Config config{.pages = 4, .frames = 48, .procs = 12, .words = 4};
  std::uint32_t min_lanes = 2;  // a round runs 2 to 4 lanes (half of them 2, a sixth 4)
  std::uint32_t max_lanes = 4;
  std::array<std::uint32_t, 5> ops_per_lane = {0, 0, 16, 6, 3};  // per round, by lanes running
  std::uint32_t rounds = 8;  // of lanes run at once, on one setup
  // The pages the lanes write, read and madvise from; empty: every page.
  std::vector<Vpn> vpns;
  std::uint64_t seed = 1;
};

struct StressResult {
  std::uint64_t runs = 0;   // runs made, the failing one included
  std::uint64_t calls = 0;  // calls made in the lanes
  std::optional<std::string> failure;
};

// Runs until `max_calls` lane calls were made or a run fails.
StressResult stress(fast::MtMutation mutation, const StressOptions& options,
                    std::uint64_t max_calls);

}  // namespace cow::mt_stress
