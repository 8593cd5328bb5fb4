#include "checker/keep_going.h"

#include <chrono>
#include <map>

#include "checker/bug_key.h"
#include "checker/campaign.h"
#include "checker/harness.h"
#include "checker/minimize.h"
#include "checker/random_engine.h"

namespace cow {

namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// splitmix64: campaign n > 0 of a chain gets a seed far from seed + n, so
// that a chain from seed 1 does not replay the chain from seed 2.
std::uint64_t campaign_seed(std::uint64_t seed, int n) {
  if (n == 0) return seed;
  std::uint64_t z = seed + 0x9e3779b97f4a7c15ULL * static_cast<std::uint64_t>(n);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// What a failing run is: a stop that is costly to re-run keeps its coarse
// key and is not minimized per run; any other is minimized first, so two
// runs that hit one bug by different routes get one key.
Triage::Verdict classify(const ImplFactory& make, const CheckOptions& options,
                         const std::vector<Op>& ops, const Violation& v) {
  const Config& config = options.config;
  // A stop returned nothing, so only the op and the invariant say which.
  if (ops.empty() || costly_to_rerun(v.id, options)) return {bug_key(ops, std::nullopt, v), ops};
  std::vector<Op> minimized = minimize_ops(make, config, ops, v.id);
  Trace trace = trace_from_start(make, config, minimized, false);
  Violation seen = trace.violation.value_or(v);
  std::optional<Outcome> last;  // an implementation that stopped answered nothing
  if (!minimized.empty() && trace.steps.size() == minimized.size() && !is_stop(seen.id))
    last = trace.steps.back().outcome;
  return {bug_key(minimized, last, seen), std::move(minimized)};
}

// The finding of the bug a campaign ended on, minimized as check_random does.
KeptBug new_bug(const ImplFactory& make, const CheckOptions& options,
                const CampaignResult& campaign) {
  const Violation& seen = campaign.violation;
  int skipped = 0;
  std::vector<Op> ops = campaign.failing_minimized;
  if (!ops.empty() && costly_to_rerun(seen.id, options))
    ops = minimize_ops(make, options.config, ops, seen.id, options.costly_shrink_runs, &skipped,
                       options.costly_runs);
  Trace trace = trace_from_start(make, options.config, ops);
  KeptBug bug;
  bug.key = campaign.failing_key;
  bug.finding = finding_from_trace(std::move(ops), trace, seen);
  if (campaign.shrinks_skipped > 0)
    bug.finding.notes.push_back(campaign_shrink_note(campaign.shrinks_skipped, seen.id));
  if (skipped > 0)
    bug.finding.notes.push_back(shrink_note(skipped, options.costly_shrink_runs, seen.id));
  bug.hits = 1;
  bug.found_length = campaign.found_length;
  return bug;
}

}  // namespace

std::string_view keep_going_stop_name(KeepGoingStop stop) {
  switch (stop) {
    case KeepGoingStop::RunsUsed: return "runs used up";
    case KeepGoingStop::BugLimit: return "bug limit reached";
    case KeepGoingStop::Error: return "error";
  }
  return "?";
}

KeepGoingResult check_keep_going(const ImplFactory& make, const CheckOptions& asked, int max_bugs) {
  auto start = Clock::now();
  KeepGoingResult out;
  StartProbe probe = probe_start(make, asked.ops);
  if (probe.stopped) {
    KeptBug bug;
    bug.key = bug_key({}, std::nullopt, *probe.stopped);
    bug.finding = Finding{*probe.stopped, {}, {}, true, {}};
    bug.hits = bug.first_run = 1;
    out.runs = 1;
    out.bugs.push_back(std::move(bug));
    out.stop = KeepGoingStop::Error;
    out.seconds = since(start);
    return out;
  }
  if (!probe.error.empty()) {
    out.error = probe.error;
    out.stop = KeepGoingStop::Error;
    return out;
  }
  CheckOptions options = asked;
  options.ops = probe.ops;
  options.maps = probe.maps;
  std::map<std::string, std::size_t> index;  // key -> its bug in out.bugs
  Triage triage{[&](const std::vector<Op>& ops, const Violation& v) {
                  return classify(make, options, ops, v);
                },
                [&](const std::string& key) { return index.count(key) > 0; }};
  StepperFactory steppers = harness_steppers(make, options.config);

  for (int n = 0; out.runs < asked.runs; ++n) {
    if (out.bugs.size() >= static_cast<std::size_t>(max_bugs)) {
      out.stop = KeepGoingStop::BugLimit;
      break;
    }
    CheckOptions round = options;
    round.seed = campaign_seed(asked.seed, n);
    round.runs = asked.runs - out.runs;
    int runs_before = out.runs;
    if (asked.on_progress)
      round.on_progress = [&](const CheckProgress& p) {
        asked.on_progress(
            {runs_before + p.runs_done, asked.runs, out.ops + p.ops, since(start), p.shrinking});
      };
    CampaignResult campaign = run_campaign(round, steppers, &triage);
    out.runs += campaign.runs;
    out.ops += campaign.ops;
    out.shrink_seconds += campaign.shrink_seconds;
    for (const auto& [key, hits] : campaign.known_hits) out.bugs[index.at(key)].hits += hits;
    if (!campaign.error.empty()) {
      out.error = campaign.error;
      out.stop = KeepGoingStop::Error;
      break;
    }
    if (!campaign.failing) break;  // every run left passed or hit a known bug
    auto shrink_start = Clock::now();
    KeptBug bug = new_bug(make, options, campaign);
    out.shrink_seconds += since(shrink_start);
    bug.first_run = out.runs;
    if (auto known = index.find(bug.key); known != index.end()) {
      // RapidCheck shrank it, and the last pass moved it onto a known one.
      ++out.bugs[known->second].hits;
      continue;
    }
    index.emplace(bug.key, out.bugs.size());
    out.bugs.push_back(std::move(bug));
  }
  out.seconds = since(start);
  return out;
}

}  // namespace cow
