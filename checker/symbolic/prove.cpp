#include "checker/symbolic/prove.h"

#include <stdexcept>

#include <fmt/format.h>

#include "checker/cow_file.h"
#include "checker/harness.h"

namespace cow::symbolic {

namespace {

SymConfig config_of(const ProveOptions& o) {
  std::optional<Bug> bug = bug_of(o.impl);
  if (!bug)
    throw std::invalid_argument(
        fmt::format("prove encodes the model and its built-in mutants only, not '{}'", o.impl));
  if (const char* error = config_error(o.machine); *error)
    throw std::invalid_argument(fmt::format("bad configuration: {}", error));
  if (o.machine.procs > 16 || o.machine.pages > 16 || o.machine.frames > 64)
    throw std::invalid_argument("prove encodes at most 16 procs, 16 pages and 64 frames");
  if (o.values < 1 || o.values > 1000) throw std::invalid_argument("values must be 1..1000");
  if (o.depth < 1 || o.depth > 1000) throw std::invalid_argument("depth must be 1..1000");
  // A fork copies each exclusive pinned page at once; the encoding has two
  // frames to hand out per step, so two pins at most.
  if (o.pins < 1 || o.pins > 2) throw std::invalid_argument("pins must be 1..2");
  if (o.swap_slots < 1 || o.swap_slots > 4) throw std::invalid_argument("swap slots must be 1..4");
  if (o.ops == 0 || (o.ops & ~cow::kAllOps) != 0)
    throw std::invalid_argument("no op kinds to generate");
  if ((o.ops & ~cow::kEncodedOps) != 0)
    throw std::invalid_argument(
        fmt::format("the encoding has no steps for {} (explore and check run it)",
                    cow::op_set_names(o.ops & ~cow::kEncodedOps)));
  if (!o.make)
    throw std::invalid_argument("prove needs a way to build the implementation to replay");
  return SymConfig{o.machine, o.values, *bug, o.depth, o.pins, o.swap_slots, o.ops};
}

// Replays Z3's ops on the real implementation: they must break the same
// invariant at the last step and nothing before it.
void replay(ProveResult& r, const ProveOptions& o) {
  const std::string& impl = o.replay_impl.empty() ? o.impl : o.replay_impl;
  Trace trace = trace_ops(o.make(impl, o.machine), o.machine, r.ops, false);
  for (const TraceStep& step : trace.steps) r.outcomes.push_back(step.outcome);
  if (trace.violation) {
    r.replayed = trace.violation;
    r.replay_failed_at = trace.steps.size();
  }
  if (!trace.violation)
    r.encoding_bug = fmt::format("Z3 says step {} breaks {}, but the replay breaks nothing",
                                 r.ops.size(), invariant_name(r.invariant));
  else if (trace.steps.size() != r.ops.size() || trace.violation->id != r.invariant)
    r.encoding_bug = fmt::format(
        "Z3 says step {} breaks {} first, but the replay breaks {} at step {}", r.ops.size(),
        invariant_name(r.invariant), invariant_name(trace.violation->id), trace.steps.size());
  r.verdict = r.encoding_bug.empty() ? Verdict::Violation : Verdict::EncodingBug;
}

}  // namespace

std::string prove_file_name(const std::string& impl) { return "prove-" + cow_file_name(impl); }

ProveResult prove(const ProveOptions& o) {
  ProveResult r;
  r.config = config_of(o);
  Deadline deadline(o.timeout_seconds);
  z3::context ctx;
  TransitionSystem ts(ctx, r.config);
  r.bmc = run_bmc(ts, o.depth, deadline, o.on_depth);
  if (const auto& cex = r.bmc.counterexample) {
    r.invariant = cex->invariant;
    try {
      r.ops = to_ops(cex->trace);
      replay(r, o);
    } catch (const std::logic_error& e) {
      r.verdict = Verdict::EncodingBug;
      r.encoding_bug = e.what();
    }
  } else if (r.bmc.clean_depth < o.depth) {
    r.verdict = Verdict::Unknown;
  } else if (o.induction) {
    r.induction = run_k_induction(ts, o.depth, r.bmc.clean_depth, deadline);
    if (r.induction->proved) r.verdict = Verdict::Proved;
  }
  r.seconds = deadline.elapsed();
  return r;
}

}  // namespace cow::symbolic
