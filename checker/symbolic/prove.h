// cowcheck prove, as a library: BMC to a depth, a counterexample replayed
// concretely on the implementation the encoding stands for (built by the
// caller's ImplMaker), and optionally k-induction. What it
// claims is exactly what Z3 answered: "no violation up to depth K" from
// BMC, "proved for all depths" only from a closed induction, "unknown" on a
// timeout — and an ENCODING BUG when a counterexample does not replay.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "checker/finding.h"
#include "checker/symbolic/bmc.h"
#include "checker/symbolic/kinduction.h"
#include "checker/symbolic/sym_state.h"
#include "spec/invariants.h"
#include "spec/op.h"
#include "spec/outcome.h"

namespace cow::symbolic {

struct ProveOptions {
  std::string impl = "model";  // "model" or "mutant:NAME"
  Config machine{2, 6, 3, 2};  // pages, frames, procs, words; policy and oom too
  std::uint32_t values = 2;
  std::uint32_t pins = 2;        // pin slots (1..2): at most this many pins held at once
  std::uint32_t swap_slots = 1;  // swap slots (1..4): swapout only with one free
  OpSet ops = cow::kEncodedOps;  // the op kinds Z3 may choose
  // Deep enough to be worth a claim, shallow enough that BMC answers on a
  // small loaded machine well within the timeout (depth 4 of the default
  // machine is about 20 s of CPU; each depth costs several times the last).
  std::uint32_t depth = 4;
  bool induction = false;
  double timeout_seconds = 300;
  // Builds `impl` for the concrete replay of a counterexample: the engine
  // links no implementation, the caller hands it one (the registry's).
  ImplMaker make;
  std::function<void(const DepthReport&)> on_depth;
  // Tests only: replay the counterexample on this implementation instead
  // of `impl`, to show that a replay that disagrees is told as an ENCODING BUG.
  std::string replay_impl;
};

// What the encoding leaves out, said wherever a claim is made: no
// sequence containing these is ever checked by prove.
inline constexpr const char* kNotEncoded =
    "mmap of shared-anon, text, private-file and shared-file (only private-anon is generated); "
    "more than the --pins pins held or --swap-slots slots in use at once";

enum class Verdict : std::uint8_t {
  Clean,      // no violation up to the asked depth
  Unknown,    // Z3 gave no answer (timeout) at depth clean_depth + 1: clean up to clean_depth only
  Proved,     // k-induction closed: no violation at any depth
  Violation,  // a counterexample that replays
  EncodingBug,  // Z3's counterexample did not replay as encoded
};

struct ProveResult {
  Verdict verdict = Verdict::Clean;
  SymConfig config;
  BmcResult bmc;
  std::optional<InductionResult> induction;
  // For Violation and EncodingBug:
  std::vector<Op> ops;
  InvariantId invariant = InvariantId::ISO;  // what Z3 said fails first
  std::optional<Violation> replayed;         // what the replay reported
  std::size_t replay_failed_at = 0;          // its step, from 1
  std::string encoding_bug;                  // why the replay disagrees
  std::vector<Outcome> outcomes;             // what each op returned in the replay
  double seconds = 0;
};

// Throws std::invalid_argument for an implementation the encoding does not
// cover, a configuration it cannot encode, or no `make`.
ProveResult prove(const ProveOptions& options);

// "prove-mutant-copy-always.cow"
std::string prove_file_name(const std::string& impl);

}  // namespace cow::symbolic
