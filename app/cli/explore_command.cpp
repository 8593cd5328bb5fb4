// cowcheck explore: the exhaustive engine. Breadth-first search over every
// reachable state of a small machine; the first violation is one of a
// shortest sequence and is written as a .cow file before it is reported.
#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "app/cli/bounded_option.h"
#include "app/cli/commands.h"
#include "app/cli/finding_report.h"
#include "app/registry.h"
#include "checker/cow_file.h"
#include "checker/explore/explorer.h"

namespace cow::cli {

namespace {

// More threads than this only contend for the same cores; each costs a stack.
constexpr unsigned kMaxThreads = 256;

struct ExploreArgs {
  std::string impl = "model";
  explore::ExploreOptions options;
  std::string out_dir = kDefaultOutDir;
  bool json = false;
};

std::string command_line(const ExploreArgs& a) {
  const explore::ExploreOptions& o = a.options;
  return fmt::format(
      "cowcheck explore --impl {} --procs {} --pages {} --frames {} --values {} "
      "--words {}{}{}",
      shell_word(a.impl), o.machine.procs, o.machine.pages, o.machine.frames, o.values,
      o.machine.words, o.max_depth ? fmt::format(" --depth {}", o.max_depth) : "",
      run_flags(o.machine, o.ops));
}

double per_second(const explore::ExploreResult& r) {
  return r.seconds > 0 ? r.states / r.seconds : 0;
}

std::string totals(const explore::ExploreResult& r) {
  return fmt::format("{} states, {} transitions, {:.2f} s, {:.0f} states/s, peak memory {:.1f} MB",
                     r.states, r.transitions, r.seconds, per_second(r), r.peak_rss_bytes / 1e6);
}

CowFile explore_file(const ExploreArgs& a, const Finding& f) {
  std::vector<std::string> notes{
      fmt::format("found by: {}", command_line(a)),
      fmt::format("shortest: breadth-first search showed that no sequence of "
                  "fewer than {} ops breaks an invariant (values 1..{})",
                  f.ops.size(), a.options.values)};
  for (std::string& note : outcome_notes(f)) notes.push_back(std::move(note));
  return finding_file(a.impl, a.options.machine, f, std::move(notes));
}

void print_result(const ExploreArgs& a, const explore::ExploreResult& r, const std::string& file) {
  if (r.finding) {
    const Finding& f = *r.finding;
    fmt::print(
        "VIOLATION of {} at depth {}: the shortest sequence that breaks an invariant (none "
        "of {} op{} does)\n",
        invariant_name(f.violation.id), f.ops.size(), f.ops.size() - 1,
        f.ops.size() == 2 ? "" : "s");
    for (std::size_t i = 0; i < f.ops.size(); ++i)
      fmt::print(
          "  {:>2}. {}{}\n", i + 1, to_string(f.ops[i]),
          i + 1 == f.ops.size() ? "   <-- " + std::string(invariant_name(f.violation.id)) : "");
    fmt::print("  {}\n", to_string(f.violation));
    if (!f.reproduced) fmt::print("  warning: a fresh replay did not fail again\n");
    fmt::print("  counterexample: {}\n  {}\n", file, totals(r));
    return;
  }
  if (r.complete)
    fmt::print(
        "no violation: every reachable state explored, up to renaming of frames and "
        "permutation of processes ({}, depth {})\n",
        totals(r), r.depth);
  else if (r.stopped.empty())
    fmt::print(
        "no violation in any sequence of up to {} ops (not exhaustive: states remain "
        "deeper; {})\n",
        r.depth, totals(r));
  else
    fmt::print(
        "stopped ({}) after depth {}: no violation in any sequence of up to {} ops, not "
        "exhaustive ({})\n",
        r.stopped, r.depth, r.depth, totals(r));
  (void)a;
}

nlohmann::json to_json(const ExploreArgs& a, const explore::ExploreResult& r,
                       const std::string& file) {
  const explore::ExploreOptions& o = a.options;
  std::string result = r.finding           ? "violation"
                       : r.complete        ? "no-violation-exhaustive"
                       : r.stopped.empty() ? "no-violation-up-to-depth"
                                           : "incomplete";
  nlohmann::json j = {{"command", "explore"},
                      {"impl", a.impl},
                      {"config",
                       {{"procs", o.machine.procs},
                        {"pages", o.machine.pages},
                        {"frames", o.machine.frames},
                        {"values", o.values},
                        {"words", o.machine.words}}},
                      {"result", result},
                      {"states", r.states},
                      {"transitions", r.transitions},
                      {"depth", r.depth},
                      {"complete", r.complete},
                      {"seconds", r.seconds},
                      {"states_per_second", per_second(r)},
                      {"peak_rss_bytes", r.peak_rss_bytes}};
  if (!r.stopped.empty()) j["stopped"] = r.stopped;
  if (r.finding) {
    nlohmann::json ops = nlohmann::json::array();
    for (const Op& op : r.finding->ops) ops.push_back(to_string(op));
    j["counterexample"] = {{"ops", ops},
                           {"length", r.finding->ops.size()},
                           {"invariant", invariant_name(r.finding->violation.id)},
                           {"detail", to_string(r.finding->violation)},
                           {"reproduced", r.finding->reproduced},
                           {"file", file}};
  }
  return j;
}

int run_explore_command(const ExploreArgs& a) {
  validate_config(a.options.machine);
  require_writable_name(a.impl);
  if (!known_implementation(a.impl))
    throw UsageError(
        fmt::format("unknown implementation '{}' (cowcheck impls lists them)", a.impl));
  Config machine = a.options.machine;
  ImplFactory make = implementation_factory(a.impl, machine);
  // Checked before anything is printed, so bad input reads as such.
  std::unique_ptr<Implementation> probe = make();
  if (!probe->snapshot())
    throw UsageError(
        fmt::format("{}: explore needs snapshots: a black-box implementation has none", a.impl));
  if (!probe->clone())
    throw UsageError(fmt::format("{}: explore needs an implementation that can be cloned", a.impl));
  probe.reset();
  std::function<void(const explore::ExploreProgress&)> on_level;
  if (!a.json) {
    unsigned threads = a.options.threads ? a.options.threads : std::thread::hardware_concurrency();
    auto n = [](std::uint32_t count, const char* what) {
      return fmt::format("{} {}{}", count, what, count == 1 ? "" : "s");
    };
    fmt::print("explore {}: {}, {}, {}, values 1..{}, {}; breadth-first, {}\n", a.impl,
               n(machine.procs, "proc"), n(machine.pages, "page"), n(machine.frames, "frame"),
               a.options.values, n(machine.words, "word"), n(threads, "thread"));
    on_level = [](const explore::ExploreProgress& p) {
      fmt::print("  depth {:>2}: {} states, {} transitions, {} new ({:.2f} s)\n", p.depth, p.states,
                 p.transitions, p.frontier, p.seconds);
      std::fflush(stdout);
    };
  }
  explore::ExploreResult r;
  try {
    r = explore::run_explore(make, a.options, on_level);
  } catch (const std::invalid_argument& e) {
    throw UsageError(fmt::format("{}: {}", a.impl, e.what()));
  }
  // Written before anything is reported: a finding is never lost.
  std::string file;
  if (r.finding)
    file = save_finding(explore_file(a, *r.finding), a.out_dir,
                        "explore-" + cow_file_name(a.impl, a.options.machine));
  if (a.json)
    fmt::print("{}\n", to_json(a, r, file).dump(2));
  else
    print_result(a, r, file);
  if (r.finding) return kExitViolation;
  // A search cut short by the clock or the state limit has not answered.
  return r.stopped.empty() ? kExitOk : kExitInconclusive;
}

}  // namespace

Command add_explore(CLI::App& app) {
  auto args = std::make_shared<ExploreArgs>();
  explore::ExploreOptions& o = args->options;
  app.add_option("--impl", args->impl, "implementation to explore (it must support clone())")
      ->capture_default_str();
  add_config_options(app, o.machine);
  add_ops_option(app, o.ops);
  app.add_option("--values", o.values, "writes store the values 1..NV")
      ->check(integer_in(1u, 1000u))
      ->capture_default_str();
  app.add_option("--depth", o.max_depth, "longest op sequence; 0: until no new state")
      ->check(integer_in(0u, 100000u))
      ->capture_default_str();
  app.add_option("--timeout", o.timeout_seconds,
                 "seconds before giving up (then exit 3: inconclusive, never a pass)")
      ->check(seconds_up_to(1e6))
      ->capture_default_str();
  app.add_option("--max-states", o.max_states,
                 "stop after this many states, a memory guard (then exit 3: inconclusive)")
      ->check(integer_in<std::uint64_t>(1, 1'000'000'000'000))
      ->capture_default_str();
  app.add_option("--threads", o.threads, "worker threads; 0: one per core")
      ->check(integer_in(0u, kMaxThreads))
      ->capture_default_str();
  app.add_option("--out", args->out_dir, "folder for the .cow file (created if missing)")
      ->capture_default_str();
  app.add_flag("--json", args->json, "print one JSON object");
  app.footer(
      "Exit status: 0 no violation (every reachable state, or every sequence up to --depth), 1 a "
      "violation (its .cow file written first, or printed on stderr if it cannot be), 2 bad "
      "input, 3 inconclusive: stopped by --timeout or --max-states before an answer.");
  return [args] { return run_explore_command(*args); };
}

}  // namespace cow::cli
