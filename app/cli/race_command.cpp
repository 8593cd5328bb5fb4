// cowcheck race: random concurrent runs of the stepped model. RapidCheck
// draws a setup, lanes of ops and a schedule; every answer must be
// explained by an order of the calls, and every quiet state must hold the
// invariants. A failure is shrunk (ops and schedule) and written as a .cow
// file that replays step for step.
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "app/cli/commands.h"
#include "app/cli/finding_report.h"
#include "app/race_registry.h"
#include "checker/cow_file.h"
#include "checker/explore/race_explore.h"
#include "checker/race/race_black_box.h"
#include "checker/race/race_random.h"

namespace cow::cli {

namespace {

struct RaceArgs {
  std::vector<std::string> impls{"model"};
  RaceOptions options;
  bool exhaustive = false;
  std::uint32_t values = 1;
  std::uint64_t max_runs = 50'000'000;
  std::string out_dir = kDefaultOutDir;
  bool expect_violation = false;
};

std::string command_line(const RaceArgs& a, const std::string& impl) {
  const RaceOptions& o = a.options;
  if (a.exhaustive)
    return fmt::format(
        "cowcheck race --exhaustive --impl {} --pages {} --frames {} --procs {} --words {} "
        "--values {} --lanes {} --lane-ops {} --setup {}{}",
        shell_word(impl), o.config.pages, o.config.frames, o.config.procs, o.config.words, a.values,
        o.lanes, o.max_lane_ops, o.max_setup, run_flags(o.config, o.ops));
  return fmt::format(
      "cowcheck race --impl {} --seed {} --runs {} --lanes {} --lane-ops {} --setup {}{}",
      shell_word(impl), o.seed, o.runs, o.lanes, o.max_lane_ops, o.max_setup,
      run_flags(o.config, o.ops));
}

std::string schedule_text(const std::vector<std::uint32_t>& schedule) {
  std::string text;
  for (std::uint32_t lane : schedule) text += (text.empty() ? "" : " ") + std::to_string(lane);
  return text;
}

// Each lane op's comment: what its call returned ("not run" when none did).
// A lane's calls are taken in the order they began; a call that is not the
// lane's next op (a read after every lane was done) is not a lane's.
void comment_lanes(CowFile& file, std::vector<Call> calls) {
  std::stable_sort(calls.begin(), calls.end(),
                   [](const Call& a, const Call& b) { return a.invoked < b.invoked; });
  file.lane_comments.assign(file.lanes.size(), {});
  for (std::size_t lane = 0; lane < file.lanes.size(); ++lane)
    file.lane_comments[lane].assign(file.lanes[lane].size(), "not run");
  std::vector<std::size_t> next(file.lanes.size(), 0);
  for (const Call& c : calls)
    if (c.lane < file.lanes.size() && next[c.lane] < file.lanes[c.lane].size() &&
        file.lanes[c.lane][next[c.lane]] == c.op)
      file.lane_comments[c.lane][next[c.lane]++] = to_string(c.outcome);
}

CowFile race_file(const RaceArgs& a, const std::string& impl, const RaceFinding& f) {
  CowFile file;
  file.impl = impl;
  file.config = a.options.config;
  file.invariant = f.trace.violation->id;
  file.notes = {fmt::format("found by: {}", command_line(a, impl)),
                fmt::format("violation after step {}: {}", f.trace.violation_step,
                            to_string(*f.trace.violation))};
  std::size_t lane_ops = 0;
  for (const std::vector<Op>& lane : f.first.lanes) lane_ops += lane.size();
  if (a.exhaustive)
    file.notes.push_back(fmt::format(
        "shortest: no program of fewer ops fails, and no interleaving of this one with fewer "
        "steps, or as many and fewer switches ({} steps, {} switches)",
        f.trace.taken.size(), switches(f.trace.taken)));
  else
    file.notes.push_back(fmt::format(
        "found in run {}; shrunk from {} setup ops, {} lane ops and {} schedule entries", f.run,
        f.first.setup.size(), lane_ops, f.first.schedule.size()));
  file.ops = f.program.setup;
  for (const Outcome& o : f.trace.setup_outcomes) file.op_comments.push_back(to_string(o));
  file.lanes = f.program.lanes;
  comment_lanes(file, f.trace.calls);
  file.schedule = f.trace.taken;
  return file;
}

// The setup, then the lanes step by step.
void print_program(const RaceFinding& f) {
  if (!f.program.setup.empty()) fmt::print("  setup:\n");
  for (std::size_t i = 0; i < f.program.setup.size(); ++i)
    fmt::print("   {:>2}. {:<22} {}\n", i + 1, to_string(f.program.setup[i]),
               i < f.trace.setup_outcomes.size() ? to_string(f.trace.setup_outcomes[i]) : "");
  fmt::print("  lanes, step by step (schedule {}):\n", schedule_text(f.trace.taken));
  fmt::print("{}", describe_steps(f.program, f.trace));
}

void print_finding(const std::string& impl, const RaceFinding& f, const std::string& path) {
  fmt::print("race {}: VIOLATION of {} in run {} (found in {:.2f} s, shrunk in {:.2f} s)\n", impl,
             invariant_name(f.trace.violation->id), f.run, f.seconds_to_find, f.seconds_to_shrink);
  fmt::print("  {}\n", to_string(*f.trace.violation));
  print_program(f);
  fmt::print("  counterexample: {}\n", path);
}

explore::RaceExploreOptions explore_options(const RaceArgs& a) {
  explore::RaceExploreOptions o;
  o.config = a.options.config;
  o.values = a.values;
  o.ops = a.options.ops;
  o.lanes = a.options.lanes;
  o.lane_ops = a.options.max_lane_ops;
  o.setup_ops = a.options.max_setup;
  o.max_runs = a.max_runs;
  return o;
}

// Every program up to the bounds and every interleaving of its steps.
int run_exhaustive(const RaceArgs& a, const std::string& impl, const SteppedFactory& make) {
  explore::RaceExploreResult r = race_explore(make, explore_options(a));
  std::string totals = fmt::format("{} programs, {} interleavings, {} steps in {:.2f} s",
                                   r.programs, r.runs, r.steps, r.seconds);
  if (!r.trace) {
    fmt::print("race --exhaustive {}: {}: no violation{}\n", impl, totals,
               r.complete ? " (every program and interleaving within the bounds)"
                          : " (not exhaustive: stopped at " + r.stopped + ")");
    return r.complete ? kExitOk : kExitInconclusive;
  }
  RaceFinding f{*r.program, *r.trace, 0, *r.program, r.seconds, 0};
  std::string path = save_finding(race_file(a, impl, f), a.out_dir, cow_file_name(impl));
  fmt::print(
      "race --exhaustive {}: VIOLATION of {}: a program of the fewest ops that fails, on its "
      "interleaving of the fewest steps and switches ({} steps, {} switches; {})\n",
      impl, invariant_name(f.trace.violation->id), f.trace.taken.size(), switches(f.trace.taken),
      totals);
  fmt::print("  {}\n", to_string(*f.trace.violation));
  print_program(f);
  fmt::print("  counterexample: {}\n", path);
  return kExitViolation;
}

// An implementation that runs lanes itself: its threads pick the interleaving.
int run_black_box(const RaceArgs& a, const std::string& impl) {
  BlackBoxResult r = race_black_box(implementation_factory(impl, a.options.config), a.options);
  if (!r.error.empty()) throw UsageError(fmt::format("race {}: {}", impl, r.error));
  std::string totals = fmt::format(
      "{} runs, {} calls, {} pairs of calls of different lanes in flight at once, in "
      "{:.2f} s",
      r.runs, r.calls, r.overlapped, r.seconds);
  if (!r.finding) {
    fmt::print("race {} (its own threads): {}: no violation\n", impl, totals);
    return kExitOk;
  }
  const BlackBoxFinding& f = *r.finding;
  CowFile file;
  file.impl = impl;
  file.config = a.options.config;
  file.invariant = InvariantId::ISO;
  file.notes = {fmt::format("found by: {}", command_line(a, impl)),
                "not linearizable: " + *f.run.why,
                "the implementation's threads chose the interleaving: a replay runs the lanes "
                "again and may race differently"};
  file.ops = f.program.setup;
  file.lanes = f.program.lanes;
  std::size_t setup = f.program.setup.size();
  for (std::size_t i = 0; i < setup && i < f.run.history.size(); ++i)
    file.op_comments.push_back(to_string(f.run.history[i].outcome));
  comment_lanes(file, std::vector<Call>(f.run.history.begin() + static_cast<std::ptrdiff_t>(setup),
                                        f.run.history.end()));
  std::string path = save_finding(file, a.out_dir, cow_file_name(impl));
  fmt::print("race {} (its own threads): VIOLATION of ISO in run {} ({})\n  not linearizable: {}\n",
             impl, f.found_in, totals, *f.run.why);
  for (const Call& c : f.run.history)
    fmt::print("  lane {} [{:>3}, {:>3}] {:<22} {}\n", c.lane, c.invoked, c.returned,
               to_string(c.op), to_string(c.outcome));
  fmt::print("  counterexample: {}\n", path);
  return kExitViolation;
}

int run_race_command(const RaceArgs& a) {
  validate_config(a.options.config);
  if (a.options.lanes < 1 || a.options.lanes > kMaxLanes)
    throw UsageError(fmt::format("--lanes must be 1 to {}", kMaxLanes));
  bool any = false;
  for (const std::string& impl : expand_stepped_names(a.impls)) {
    require_writable_name(impl);
    SteppedFactory make = stepped_factory(impl, a.options.config);
    if (!make && known_implementation(impl) && !a.exhaustive) {
      any = run_black_box(a, impl) == kExitViolation || any;
      continue;
    }
    if (!make)
      throw UsageError(fmt::format(
          "'{}' is not a stepped model ('model' or 'race-mutant:NAME'){}", impl,
          known_implementation(impl) ? ": --exhaustive interleaves a stepped model's steps"
                                     : ", nor an implementation (see cowcheck impls)"));
    if (a.exhaustive) {
      int status = run_exhaustive(a, impl, make);
      if (status == kExitInconclusive) return status;
      any = any || status == kExitViolation;
      continue;
    }
    RaceResult r = race_random(make, a.options);
    if (!r.error.empty()) throw UsageError(fmt::format("race {}: {}", impl, r.error));
    if (!r.finding) {
      fmt::print("race {}: {} runs, {} steps in {:.2f} s: no violation\n", impl, r.runs, r.steps,
                 r.seconds);
      continue;
    }
    any = true;
    std::string path = save_finding(race_file(a, impl, *r.finding), a.out_dir, cow_file_name(impl));
    print_finding(impl, *r.finding, path);
  }
  if (a.expect_violation) return any ? kExitOk : kExitViolation;
  return any ? kExitViolation : kExitOk;
}

}  // namespace

Command add_race(CLI::App& app) {
  auto a = std::make_shared<RaceArgs>();
  a->options.ops = kAllOps;
  app.add_option("--impl", a->impls,
                 "what to race (repeatable): the stepped model 'model' or a 'race-mutant:NAME' "
                 "(a trailing * matches many), or an implementation that runs lanes at once "
                 "itself (fast-mt, linux)")
      ->capture_default_str();
  add_config_options(app, a->options.config);
  add_ops_option(app, a->options.ops);
  app.add_option("--seed", a->options.seed, "RapidCheck seed")->capture_default_str();
  app.add_option("--runs", a->options.runs, "concurrent runs to generate")
      ->check(CLI::Range(1, 100000000))
      ->capture_default_str();
  app.add_option("--lanes", a->options.lanes, "lanes (CPUs) running ops at once")
      ->capture_default_str();
  CLI::Option* lane_ops =
      app.add_option("--lane-ops", a->options.max_lane_ops, "most ops per lane (--exhaustive: 1)")
          ->check(CLI::Range(1, 16))
          ->capture_default_str();
  CLI::Option* setup =
      app.add_option("--setup", a->options.max_setup,
                     "most ops run one at a time before the lanes (--exhaustive: 1)")
          ->check(CLI::Range(0, 64))
          ->capture_default_str();
  app.add_option("--schedule", a->options.max_schedule, "longest schedule drawn")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  app.add_option("--out", a->out_dir, "folder for the .cow file of a finding")
      ->capture_default_str();
  app.add_flag("--exhaustive", a->exhaustive,
               "run every program of up to --setup ops then --lane-ops ops a lane, from --ops "
               "with values 1..--values, and every interleaving of their steps, smallest first");
  app.add_option("--values", a->values, "--exhaustive: writes store 1..values")
      ->check(CLI::Range(1, 16))
      ->capture_default_str();
  app.add_option("--max-interleavings", a->max_runs,
                 "--exhaustive: stop (inconclusive, exit 3) after this many")
      ->capture_default_str();
  app.add_flag("--expect-violation", a->expect_violation,
               "exit 0 only if every implementation shows a violation (for mutants)");
  return [a, lane_ops, setup] {
    // Exhaustive search grows with every op: smaller bounds unless asked.
    if (a->exhaustive && lane_ops->count() == 0) a->options.max_lane_ops = 1;
    if (a->exhaustive && setup->count() == 0) a->options.max_setup = 1;
    return run_race_command(*a);
  };
}

}  // namespace cow::cli
