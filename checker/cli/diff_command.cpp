// cowcheck diff: the differential engine, the model against one or more
// implementations in lock step.
#include <cstdio>
#include <filesystem>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "checker/cli/commands.h"
#include "checker/cli/findings.h"
#include "checker/cow_file.h"
#include "checker/diff_engine.h"
#include "checker/registry.h"

namespace cow::cli {

namespace {

struct DiffArgs {
  std::vector<std::string> impls{"fast"};
  DiffOptions options;
  std::string out_dir = "counterexamples";
  bool json = false;
  bool expect_violation = false;
};

CowFile to_cow_file(const ImplReport& r, const DiffArgs& args) {
  const Finding& f = *r.result.finding;
  const CheckOptions& o = args.options.check;
  CowFile file = finding_file(r, o.config);
  std::string machine;
  Config sizes = o.config;
  sizes.policy = Config{}.policy;
  sizes.oom = Config{}.oom;
  if (!(sizes == Config{}))
    machine = fmt::format(" --pages {} --frames {} --procs {} --words {}", o.config.pages,
                          o.config.frames, o.config.procs, o.config.words);
  machine += run_flags(o.config, o.ops);
  file.notes.push_back(fmt::format(
      "found by: cowcheck diff --impl {} --seed {} --runs {} --max-ops {} --snapshot-every {}{}",
      r.impl, o.seed, o.runs, o.max_ops, args.options.snapshot_every, machine));
  file.notes.push_back("replays as a differential run: the model and the implementation in lock "
                       "step, states compared after every op");
  file.notes.push_back(fmt::format("difference at op {}: {}", f.ops.size(), to_string(f.violation)));
  if (!f.reproduced)
    file.notes.push_back("warning: the minimized sequence did not fail again on a fresh run");
  return file;
}

void print_one(const ImplReport& r) {
  const CheckResult& c = r.result;
  if (!c.finding) {
    fmt::print("diff model {}: {} runs, {} ops in {:.2f} s ({:.0f} checked ops/s): no difference\n",
               r.impl, c.runs, c.ops, c.seconds, ops_per_second(c));
    return;
  }
  const Finding& f = *c.finding;
  fmt::print("diff model {}: {} in run {} ({} ops, shrunk to {} in {:.2f} s)\n", r.impl,
             invariant_name(f.violation.id), c.runs, c.found_length, f.ops.size(), c.shrink_seconds);
  print_finding(r);
}

int run_diff(const DiffArgs& args) {
  const Config& config = args.options.check.config;
  validate_config(config);
  std::vector<std::string> names = expand_impl_names(args.impls);
  for (const std::string& name : names)
    if (std::string error = implementation_error(name, config); !error.empty())
      throw UsageError(error);

  ImplFactory reference = [config] { return make_implementation("model", config); };
  std::vector<ImplReport> reports;
  for (const std::string& name : names) {
    DiffOptions options = args.options;
    if (!args.json)
      options.check.on_progress = [&name](const CheckProgress& p) {
        fmt::print(stderr, "  {}: {}{}/{} runs, {} ops, {:.1f} s\n", name,
                   p.shrinking ? "shrinking, " : "", p.runs_done, p.runs_total, p.ops, p.seconds);
      };
    ImplFactory make = [&name, config] { return make_implementation(name, config); };
    ImplReport report{name, diff_random(reference, make, options), ""};
    if (!report.result.error.empty())
      throw std::runtime_error(fmt::format("{}: {}", name, report.result.error));
    if (report.result.finding) save_finding(report, args.out_dir, to_cow_file(report, args));
    if (!args.json) print_one(report);
    reports.push_back(std::move(report));
  }

  if (args.json) {
    nlohmann::json results = nlohmann::json::array();
    for (const ImplReport& r : reports) results.push_back(report_json(r));
    fmt::print("{}\n", nlohmann::json{{"command", "diff"},
                                      {"snapshot_every", args.options.snapshot_every},
                                      {"results", results}}
                           .dump(2));
  }
  return exit_status(reports, args.expect_violation);
}

}  // namespace

Command add_diff(CLI::App& app) {
  auto args = std::make_shared<DiffArgs>();
  CheckOptions& o = args->options.check;
  app.add_option("--impl", args->impls,
                 "implementation(s) to run against the model; a trailing * matches many")
      ->capture_default_str();
  app.add_option("--seed", o.seed, "RapidCheck seed: the same seed, the same file")
      ->capture_default_str();
  app.add_option("--runs", o.runs, "sequences to generate")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--max-ops", o.max_ops, "longest generated sequence")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  app.add_option("--snapshot-every", args->options.snapshot_every,
                 "compare the canonical states every K ops (and always at the end)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--out", args->out_dir, "folder for .cow files")->capture_default_str();
  app.add_flag("--json", args->json, "print one JSON object");
  app.add_flag("--expect-violation", args->expect_violation,
               "exit 0 only if every implementation differs (for checking mutants)");
  add_config_options(app, o.config);
  add_ops_option(app, o.ops);
  return [args] { return run_diff(*args); };
}

}  // namespace cow::cli
