// cowcheck check: the random engine against one or more implementations.
#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "checker/cli/commands.h"
#include "checker/cli/findings.h"
#include "checker/cow_file.h"
#include "checker/random_engine.h"
#include "checker/registry.h"

namespace cow::cli {

namespace {

CowFile to_cow_file(const ImplReport& r, const CampaignArgs& args) {
  const Finding& f = *r.result.finding;
  CowFile file = finding_file(r, args.options.config);
  file.notes.push_back("found by: " + found_by("check", r.impl, args));
  file.notes.push_back(fmt::format("violation at op {}: {}", f.ops.size(), to_string(f.violation)));
  for (const std::string& note : f.notes) file.notes.push_back(note);
  if (!f.reproduced)
    file.notes.push_back("warning: the minimized sequence did not fail again on a fresh run");
  return file;
}

void print_one(const ImplReport& r) {
  const CheckResult& c = r.result;
  if (!r.error.empty() && !c.finding) return;  // said on stderr
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
    const char* result = f ? "caught" : r.error.empty() ? "pass" : "error";
    fmt::print("{:<30} {:<9} {:<9} {:>4} {:>8.2f}  {}\n", r.impl, result,
               f ? invariant_name(f->violation.id) : "-",
               f ? fmt::format("{}", f->ops.size()) : "-", r.result.seconds,
               r.file.empty() ? "-" : r.file);
  }
}

int run_check(const CampaignArgs& args) {
  Engine engine = [](const std::string& name, const CheckOptions& options) {
    Config config = options.config;
    ImplFactory make = [&name, config] { return make_implementation(name, config); };
    return check_random(make, options);
  };
  std::vector<ImplReport> reports = run_each(
      args, engine, [&args](const ImplReport& r) { return to_cow_file(r, args); }, print_one);

  if (args.json) {
    nlohmann::json results = nlohmann::json::array();
    for (const ImplReport& r : reports) results.push_back(report_json(r));
    fmt::print("{}\n", nlohmann::json{{"command", "check"}, {"results", results}}.dump(2));
  } else if (reports.size() > 1) {
    print_table(reports);
  }
  int status = exit_status(reports, args.expect_violation);
  if (args.expect_violation && status == kExitViolation && !args.json)
    fmt::print("some implementations were expected to fail and passed\n");
  return status;
}

}  // namespace

Command add_check(CLI::App& app) {
  auto args = std::make_shared<CampaignArgs>();
  args->impls = {"model"};
  app.add_option("--impl", args->impls,
                 "implementation(s) to check; a trailing * matches many ('mutant:*')")
      ->capture_default_str();
  add_campaign_options(app, *args, 1000);
  app.add_flag("--expect-violation", args->expect_violation,
               "exit 0 only if every implementation is caught (for checking mutants)");
  add_plugin_options(app);
  app.footer(
      "Exit status: 0 no violation, 1 a violation found (its .cow file written first, or printed "
      "on stderr if it cannot be), 2 bad input or an implementation that could not be checked.");
  return [args] { return run_check(*args); };
}

}  // namespace cow::cli
