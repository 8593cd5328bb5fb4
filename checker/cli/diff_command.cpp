// cowcheck diff: the differential engine, the model against one or more
// implementations in lock step.
#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "checker/cli/bounded_option.h"
#include "checker/cli/commands.h"
#include "checker/cli/findings.h"
#include "checker/cow_file.h"
#include "checker/diff_engine.h"
#include "checker/registry.h"

namespace cow::cli {

namespace {

struct DiffArgs {
  CampaignArgs campaign;
  int snapshot_every = DiffOptions{}.snapshot_every;
};

CowFile to_cow_file(const ImplReport& r, const DiffArgs& args) {
  const Finding& f = *r.result.finding;
  CowFile file = finding_file(r, args.campaign.options.config);
  file.notes.push_back("found by: " +
                       found_by("diff", r.impl, args.campaign,
                                fmt::format(" --snapshot-every {}", args.snapshot_every)));
  file.notes.push_back(
      "replays as a differential run: the model and the implementation in lock "
      "step, states compared after every op");
  file.notes.push_back(
      fmt::format("difference at op {}: {}", f.ops.size(), to_string(f.violation)));
  for (const std::string& note : f.notes) file.notes.push_back(note);
  if (!f.reproduced)
    file.notes.push_back("warning: the minimized sequence did not fail again on a fresh run");
  return file;
}

void print_one(const ImplReport& r) {
  const CheckResult& c = r.result;
  if (!r.error.empty() && !c.finding) return;  // said on stderr
  if (!c.finding) {
    fmt::print("diff model {}: {} runs, {} ops in {:.2f} s ({:.0f} checked ops/s): no difference\n",
               r.impl, c.runs, c.ops, c.seconds, ops_per_second(c));
    return;
  }
  const Finding& f = *c.finding;
  fmt::print("diff model {}: {} in run {} ({} ops, shrunk to {} in {:.2f} s)\n", r.impl,
             invariant_name(f.violation.id), c.runs, c.found_length, f.ops.size(),
             c.shrink_seconds);
  print_finding(r);
}

int run_diff(const DiffArgs& args) {
  const Config& config = args.campaign.options.config;
  ImplFactory reference = [config] { return make_implementation("model", config); };
  Engine engine = [&](const std::string& name, const CheckOptions& check) {
    ImplFactory make = [&name, config] { return make_implementation(name, config); };
    return diff_random(reference, make, DiffOptions{check, args.snapshot_every});
  };
  std::vector<ImplReport> reports = run_each(
      args.campaign, engine, [&args](const ImplReport& r) { return to_cow_file(r, args); },
      print_one);

  if (args.campaign.json) {
    nlohmann::json results = nlohmann::json::array();
    for (const ImplReport& r : reports) results.push_back(report_json(r));
    fmt::print("{}\n", nlohmann::json{{"command", "diff"},
                                      {"snapshot_every", args.snapshot_every},
                                      {"results", results}}
                           .dump(2));
  }
  return exit_status(reports, args.campaign.expect_violation);
}

}  // namespace

Command add_diff(CLI::App& app) {
  auto args = std::make_shared<DiffArgs>();
  args->campaign.impls = {"fast"};
  app.add_option("--impl", args->campaign.impls,
                 "implementation(s) to run against the model; a trailing * matches many")
      ->capture_default_str();
  add_campaign_options(app, args->campaign, 100000);
  app.add_option("--snapshot-every", args->snapshot_every,
                 "compare the canonical states every K ops (and always at the end)")
      ->check(integer_in(1, 100000))
      ->capture_default_str();
  app.add_flag("--expect-violation", args->campaign.expect_violation,
               "exit 0 only if every implementation differs (for checking mutants)");
  app.footer(
      "Exit status: 0 no difference, 1 a difference found (its .cow file written first, or "
      "printed on stderr if it cannot be), 2 bad input or an implementation that could not be "
      "checked.");
  return [args] { return run_diff(*args); };
}

}  // namespace cow::cli
