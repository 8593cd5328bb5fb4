#include "checker/random_engine.h"

#include <chrono>
#include <iostream>

#include <rapidcheck.h>
#include <rapidcheck/detail/TestListenerAdapter.h>

#include "checker/harness.h"
#include "checker/op_gen.h"

namespace cow {

namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Everything the property shares with the engine between RapidCheck calls.
struct Campaign {
  Campaign(const ImplFactory& m, const CheckOptions& o) : make(m), options(o) {}

  const ImplFactory& make;
  const CheckOptions& options;
  Clock::time_point start = Clock::now();
  Clock::time_point last_report = Clock::now();
  int runs = 0;
  std::uint64_t ops = 0;
  bool shrinking = false;
  std::optional<Clock::time_point> first_failure;
  std::size_t found_length = 0;
  // The last failing sequence seen: once RapidCheck stops shrinking, the
  // minimal one (every later candidate passed).
  std::vector<Op> last_failing;
  Violation last_violation;

  void report() {
    if (!options.on_progress || std::chrono::duration<double>(Clock::now() - last_report).count() < 1.0)
      return;
    last_report = Clock::now();
    options.on_progress({runs, options.runs, ops, since(start), shrinking});
  }

  // One generated sequence: resolve each op against the live processes,
  // apply it, check every invariant.
  void run_property() {
    std::vector<GenOp> generated = *gen_ops(options.config);
    if (!shrinking) ++runs;
    Harness harness(make(), options.config);
    std::vector<Op> ops;
    for (const GenOp& g : generated) {
      if (ops.size() == static_cast<std::size_t>(options.max_ops)) break;
      std::optional<Op> op = resolve(g, harness.semantics());
      if (!op) continue;
      ops.push_back(*op);
      ++this->ops;
      if (std::optional<Violation> v = harness.step(*op)) {
        if (!first_failure) {
          first_failure = Clock::now();
          found_length = ops.size();
          shrinking = true;
        }
        last_failing = ops;
        last_violation = *v;
        RC_FAIL(to_string(*v));
      }
    }
    report();
  }
};

}  // namespace

CheckResult check_random(const ImplFactory& make, const CheckOptions& options) {
  Campaign campaign(make, options);
  rc::detail::TestParams params;
  params.seed = options.seed;
  params.maxSuccess = options.runs;
  params.maxSize = options.max_ops;
  params.maxDiscardRatio = 10;
  rc::detail::TestListenerAdapter quiet;
  rc::detail::TestMetadata metadata{"cowcheck", "cowcheck random check"};
  // RapidCheck announces its global configuration on std::cerr the first
  // time it loads it; our seed is explicit, so that line only misleads.
  std::streambuf* cerr_buf = std::cerr.rdbuf(nullptr);
  rc::detail::TestResult result = rc::detail::checkTestable(
      [&campaign] { campaign.run_property(); }, metadata, params, quiet);
  std::cerr.rdbuf(cerr_buf);
  std::cerr.clear();

  CheckResult out;
  out.runs = campaign.runs;
  out.found_length = campaign.found_length;
  if (rc::detail::Error error; result.match(error)) out.error = error.description;
  rc::detail::GaveUpResult gave_up;
  if (result.match(gave_up)) out.error = gave_up.description;
  if (campaign.first_failure && out.error.empty()) {
    std::vector<Op> ops = minimize_ops(make, options.config, campaign.last_failing,
                                       campaign.last_violation.id);
    Trace trace = trace_ops(make(), options.config, ops, false);
    Finding finding;
    finding.reproduced = trace.violation.has_value();
    finding.violation = trace.violation.value_or(campaign.last_violation);
    finding.ops = std::move(ops);
    for (const TraceStep& step : trace.steps) finding.outcomes.push_back(step.outcome);
    out.finding = std::move(finding);
    out.shrink_seconds = since(*campaign.first_failure);
  }
  out.ops = campaign.ops;
  out.seconds = since(campaign.start);
  return out;
}

}  // namespace cow
