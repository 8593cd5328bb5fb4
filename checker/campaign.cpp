#include "checker/campaign.h"

#include <fmt/format.h>
#include <rapidcheck.h>
#include <rapidcheck/detail/TestListenerAdapter.h>

#include <chrono>
#include <iostream>

#include "checker/op_gen.h"

namespace cow {

namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Everything the property shares with the engine between RapidCheck calls.
struct Campaign {
  Campaign(const CheckOptions& o, const StepperFactory& m, const Triage* t)
      : options(o), make_stepper(m), triage(t) {}

  const CheckOptions& options;
  const StepperFactory& make_stepper;
  const Triage* triage;
  Clock::time_point start = Clock::now();
  Clock::time_point last_report = Clock::now();
  std::optional<Clock::time_point> first_failure;
  CampaignResult result;
  std::string unsupported;

  void report() {
    if (!options.on_progress || since(last_report) < 1.0) return;
    last_report = Clock::now();
    options.on_progress(
        {result.runs, options.runs, result.ops, since(start), first_failure.has_value()});
  }

  // Fails the property, unless the triage knows the bug already: then the
  // run is counted (when it is not a shrinking candidate) and passes.
  void fail(const std::vector<Op>& ops, const Violation& v) {
    Triage::Verdict verdict;
    if (triage) {
      verdict = triage->classify(ops, v);
      if (triage->known(verdict.key)) {
        if (!first_failure) ++result.known_hits[verdict.key];
        return;
      }
    }
    if (!first_failure) {
      first_failure = Clock::now();
      result.found_length = ops.size();
    }
    // Once RapidCheck stops shrinking, the last failure seen is the minimal
    // one: every later candidate passed.
    result.failing = ops;
    result.violation = v;
    result.failing_key = std::move(verdict.key);
    result.failing_minimized = std::move(verdict.minimized);
    RC_FAIL(to_string(v));
  }

  void run_property() {
    if (!unsupported.empty()) return;
    // A failure before any op (the implementation stopped while starting)
    // is already minimal.
    if (first_failure && result.failing && result.failing->empty()) return;
    // RapidCheck's shrinking tries thousands of candidates, and every one
    // that still fails a costly way costs a timeout: each "passes" unrun,
    // so RapidCheck ends with the failure it found, and the engine shrinks
    // it by dropping single ops within a budget instead (minimize_ops).
    if (first_failure && costly_to_rerun(result.violation.id, options)) {
      ++result.shrinks_skipped;
      return;
    }
    try {
      run_sequence();
    } catch (const UnsupportedOp& e) {
      unsupported = e.what();  // the campaign stops with this as its error
    }
  }

  void run_sequence() {
    std::vector<GenOp> generated = *gen_ops(options.config, options.ops, options.bad_addresses);
    if (!first_failure) ++result.runs;
    std::unique_ptr<Stepper> stepper;
    try {
      stepper = make_stepper();
    } catch (const ImplementationStopped& e) {
      fail({}, start_violation(e));
      return;
    }
    std::vector<Op> ops;
    for (const GenOp& g : generated) {
      if (ops.size() == static_cast<std::size_t>(options.max_ops)) break;
      std::optional<Op> op = resolve(g, stepper->semantics(), options.maps);
      if (!op) continue;
      ops.push_back(*op);
      ++result.ops;
      if (std::optional<Violation> v = stepper->step(*op)) {
        fail(ops, *v);
        report();
        return;  // a known bug: the run ends at its first violation all the same
      }
    }
    if (std::optional<Violation> v = stepper->finish()) fail(ops, *v);
    report();
  }
};

}  // namespace

CampaignResult run_campaign(const CheckOptions& options, const StepperFactory& make_stepper,
                            const Triage* triage) {
  Campaign campaign(options, make_stepper, triage);
  rc::detail::TestParams params;
  params.seed = options.seed;
  params.maxSuccess = options.runs;
  params.maxSize = options.max_ops;
  params.maxDiscardRatio = 10;
  rc::detail::TestListenerAdapter quiet;
  rc::detail::TestMetadata metadata{"cowcheck", "cowcheck campaign"};
  // RapidCheck announces its global configuration on std::cerr the first
  // time it loads it; our seed is explicit, so that line only misleads.
  std::streambuf* cerr_buf = std::cerr.rdbuf(nullptr);
  rc::detail::TestResult outcome =
      rc::detail::checkTestable([&campaign] { campaign.run_property(); }, metadata, params, quiet);
  std::cerr.rdbuf(cerr_buf);
  std::cerr.clear();

  CampaignResult result = std::move(campaign.result);
  if (rc::detail::Error error; outcome.match(error)) result.error = error.description;
  if (rc::detail::GaveUpResult gave_up; outcome.match(gave_up)) result.error = gave_up.description;
  if (!campaign.unsupported.empty()) result.error = campaign.unsupported;
  if (campaign.first_failure) result.shrink_seconds = since(*campaign.first_failure);
  result.seconds = since(campaign.start);
  return result;
}

bool costly_to_rerun(InvariantId id) { return id == InvariantId::HANG || id == InvariantId::OOM; }

bool costly_to_rerun(InvariantId id, const CheckOptions& options) {
  return options.costly_runs || costly_to_rerun(id);
}

Violation start_violation(const ImplementationStopped& e) {
  return stop_violation(e, 0, "while starting, before any op was sent");
}

Trace trace_from_start(const ImplFactory& make, const Config& config, const std::vector<Op>& ops,
                       bool isolated) {
  std::unique_ptr<Implementation> impl;
  try {
    impl = make();
    if (isolated) impl->isolate();
  } catch (const ImplementationStopped& e) {
    Trace trace;
    trace.violation = start_violation(e);
    return trace;
  }
  return trace_ops(std::move(impl), config, ops, false);
}

std::string campaign_shrink_note(int skipped, InvariantId id) {
  return fmt::format(
      "shrinking: RapidCheck's {} candidate sequences were not run, each could cost a {} "
      "(a timeout or a memory fill) or a long run; the sequence was shrunk by dropping single "
      "ops instead",
      skipped, invariant_name(id));
}

std::string shrink_note(int skipped, int budget, InvariantId id) {
  return fmt::format(
      "shrinking cut short: {} candidate sequences not re-run after {} that failed with {} "
      "(each costs a timeout, a memory fill or a long run); the sequence may not be minimal",
      skipped, budget, invariant_name(id));
}

StartProbe probe_start(const ImplFactory& make, OpSet ops, MapSet maps) {
  StartProbe probe;
  probe.ops = ops;
  probe.maps = maps;
  try {
    std::unique_ptr<Implementation> impl = make();
    probe.ops = ops & impl->supported_ops();
    probe.maps = maps & impl->supported_map_kinds();
    // An mmap with no kind to map is no op at all.
    if (probe.maps == 0) probe.ops &= ~op_mask(OpKind::Mmap);
    if (probe.ops == 0)
      probe.error = fmt::format("it has none of the op kinds asked for ({}); it has {}",
                                op_set_names(ops), op_set_names(impl->supported_ops()));
  } catch (const ImplementationStopped& e) {
    probe.stopped = start_violation(e);
  } catch (const std::exception&) {
    // Bad input (a load error): the campaign reports it itself.
  }
  return probe;
}

CheckResult start_failure_result(const Violation& stopped) {
  CheckResult out;
  out.runs = 1;
  out.finding = Finding{stopped, {}, {}, true, {}};
  return out;
}

CheckResult result_counts(const CampaignResult& campaign) {
  CheckResult out;
  out.runs = campaign.runs;
  out.ops = campaign.ops;
  out.found_length = campaign.found_length;
  out.error = campaign.error;
  return out;
}

Finding finding_from_trace(std::vector<Op> ops, const Trace& trace, const Violation& first_seen) {
  Finding finding;
  finding.reproduced = trace.violation.has_value();
  finding.violation = trace.violation.value_or(first_seen);
  finding.ops = std::move(ops);
  for (const TraceStep& step : trace.steps) finding.outcomes.push_back(step.outcome);
  return finding;
}

std::vector<Op> shrink_ops(std::vector<Op> ops, const FailingPrefix& failing_prefix) {
  if (std::optional<std::size_t> n = failing_prefix(ops)) ops.resize(*n);
  bool shrunk = true;
  while (shrunk) {
    shrunk = false;
    for (std::size_t i = ops.size(); i-- > 0;) {
      std::vector<Op> candidate = ops;
      candidate.erase(candidate.begin() + static_cast<std::ptrdiff_t>(i));
      if (std::optional<std::size_t> n = failing_prefix(candidate)) {
        candidate.resize(*n);
        ops = std::move(candidate);
        shrunk = true;
        break;
      }
    }
  }
  return ops;
}

}  // namespace cow
