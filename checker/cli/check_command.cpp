// cowcheck check: the random engine against one or more implementations.
#include <cstdio>
#include <filesystem>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "checker/cli/commands.h"
#include "checker/cli/findings.h"
#include "checker/cow_file.h"
#include "checker/random_engine.h"
#include "checker/registry.h"

namespace cow::cli {

namespace {

struct CheckArgs {
  std::vector<std::string> impls{"model"};
  CheckOptions options;
  std::string out_dir = "counterexamples";
  bool json = false;
  bool expect_violation = false;
};

CowFile to_cow_file(const ImplReport& r, const CheckArgs& args) {
  const Finding& f = *r.result.finding;
  CowFile file = finding_file(r, args.options.config);
  file.notes.push_back(fmt::format("found by: cowcheck check --impl {} --seed {} --runs {} --max-ops {}{}",
                                   r.impl, args.options.seed, args.options.runs,
                                   args.options.max_ops, run_flags(args.options.config, args.options.ops)));
  file.notes.push_back(fmt::format("violation at op {}: {}", f.ops.size(), to_string(f.violation)));
  if (!f.reproduced)
    file.notes.push_back("warning: the minimized sequence did not fail again on a fresh run");
  return file;
}

void print_progress(const std::string& impl, const CheckProgress& p) {
  fmt::print(stderr, "  {}: {}{}/{} runs, {} ops, {:.1f} s\n", impl, p.shrinking ? "shrinking, " : "",
             p.runs_done, p.runs_total, p.ops, p.seconds);
}

void print_one(const ImplReport& r) {
  const CheckResult& c = r.result;
  if (!c.finding) {
    fmt::print("check {}: {} runs, {} ops in {:.2f} s ({:.0f} ops/s): no violation\n", r.impl,
               c.runs, c.ops, c.seconds, ops_per_second(c));
    return;
  }
  const Finding& f = *c.finding;
  fmt::print("check {}: VIOLATION of {} in run {} ({} ops, shrunk to {} in {:.2f} s)\n", r.impl,
             invariant_name(f.violation.id), c.runs, c.found_length, f.ops.size(),
             c.shrink_seconds);
  print_finding(r);
  fmt::print("  {} runs, {} ops in {:.2f} s ({:.0f} ops/s)\n", c.runs, c.ops, c.seconds,
             ops_per_second(c));
}

void print_table(const std::vector<ImplReport>& reports) {
  fmt::print("\n{:<30} {:<9} {:<9} {:>4} {:>8}  {}\n", "implementation", "result", "invariant",
             "ops", "seconds", "counterexample");
  for (const ImplReport& r : reports) {
    const auto& f = r.result.finding;
    fmt::print("{:<30} {:<9} {:<9} {:>4} {:>8.2f}  {}\n", r.impl, f ? "caught" : "pass",
               f ? invariant_name(f->violation.id) : "-",
               f ? fmt::format("{}", f->ops.size()) : "-", r.result.seconds,
               r.file.empty() ? "-" : r.file);
  }
}

int run_check(const CheckArgs& args) {
  validate_config(args.options.config);
  std::vector<std::string> names = expand_impl_names(args.impls);
  for (const std::string& name : names)
    if (std::string error = implementation_error(name, args.options.config); !error.empty())
      throw UsageError(error);

  std::vector<ImplReport> reports;
  for (const std::string& name : names) {
    CheckOptions options = args.options;
    if (!args.json) options.on_progress = [&name](const CheckProgress& p) { print_progress(name, p); };
    Config config = options.config;
    ImplFactory make = [&name, config] { return make_implementation(name, config); };
    ImplReport report{name, check_random(make, options), ""};
    if (!report.result.error.empty())
      throw std::runtime_error(fmt::format("{}: {}", name, report.result.error));
    if (report.result.finding) save_finding(report, args.out_dir, to_cow_file(report, args));
    if (!args.json) print_one(report);
    reports.push_back(std::move(report));
  }

  if (args.json) {
    nlohmann::json results = nlohmann::json::array();
    for (const ImplReport& r : reports) results.push_back(report_json(r));
    fmt::print("{}\n", nlohmann::json{{"command", "check"}, {"results", results}}.dump(2));
  } else if (reports.size() > 1) {
    print_table(reports);
  }
  int status = exit_status(reports, args.expect_violation);
  if (args.expect_violation && status != kExitOk && !args.json)
    fmt::print("some implementations were expected to fail and passed\n");
  return status;
}

}  // namespace

Command add_check(CLI::App& app) {
  auto args = std::make_shared<CheckArgs>();
  app.add_option("--impl", args->impls,
                 "implementation(s) to check; a trailing * matches many ('mutant:*')")
      ->capture_default_str();
  app.add_option("--seed", args->options.seed, "RapidCheck seed: the same seed, the same file")
      ->capture_default_str();
  app.add_option("--runs", args->options.runs, "sequences to generate")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--max-ops", args->options.max_ops, "longest generated sequence")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  app.add_option("--out", args->out_dir, "folder for .cow files")->capture_default_str();
  app.add_flag("--json", args->json, "print one JSON object");
  app.add_flag("--expect-violation", args->expect_violation,
               "exit 0 only if every implementation is caught (for checking mutants)");
  add_config_options(app, args->options.config);
  add_ops_option(app, args->options.ops);
  add_plugin_options(app);
  return [args] { return run_check(*args); };
}

}  // namespace cow::cli
