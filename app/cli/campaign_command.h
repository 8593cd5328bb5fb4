// check and diff, one runner: a RapidCheck campaign against each
// implementation --impl names, in turn. The two differ in their engine and
// their words only; the options, the loop over implementations, the .cow
// files and their "found by" line, the summary, the JSON and the exit
// status are this file's.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "app/cli/commands.h"
#include "app/cli/finding_report.h"
#include "checker/finding.h"
#include "checker/keep_going.h"

namespace cow::cli {

// How a command words its results.
struct CampaignWords {
  std::string command;    // "check": the subcommand, in "found by" and the JSON
  std::string title;      // "diff model": how a result line starts, before the implementation
  std::string found;      // "violation", "difference": what one finding is
  std::string caught;     // "VIOLATION of ": before the invariant, in a finding's first line
  std::string clean;      // "no violation": what a run that found nothing says
  std::string rate;       // "ops/s": the unit of the throughput
  std::string impl_help;  // --impl's help
};

struct Campaign;

// Runs one campaign on fresh implementations from `make`.
using CampaignEngine = std::function<CheckResult(const Campaign& campaign, const ImplFactory& make,
                                                 const CheckOptions& options)>;
// The same, going on after each finding (check --keep-going).
using KeepGoingEngine = std::function<KeepGoingResult(const ImplFactory& make,
                                                      const CheckOptions& options, int max_bugs)>;

struct Campaign {
  CampaignWords words;
  CampaignEngine engine;
  std::vector<std::string> impls;  // --impl: names and trailing-* patterns
  CheckOptions options;
  std::string out_dir = kDefaultOutDir;
  bool json = false;
  bool expect_violation = false;
  // Each file says these after "found by" (how it replays).
  std::vector<std::string> file_notes;
  // The engine's own flags and their values ("--snapshot-every" -> 8): in
  // "found by" after --max-ops, and in the JSON ("snapshot_every").
  std::map<std::string, int> engine_flags;
  const CLI::App* app = nullptr;  // which options were given, for "found by"
  // Set by a command that offers --keep-going; used when keep_going is.
  KeepGoingEngine keep_going_engine;
  bool keep_going = false;
  int max_bugs = 20;
};

// Registers --impl, --seed, --runs, --max-ops (1..longest), --out, --json,
// --expect-violation, the machine, --ops, the plug-in limits and the exit
// statuses in the help; the command runs the campaign. A command registers
// its engine's flags itself, bound to campaign->engine_flags.
Command add_campaign(CLI::App& app, std::shared_ptr<Campaign> campaign, int longest);

// Runs the campaign as add_campaign's command does; its exit status.
int run_campaign(const Campaign& campaign);

// "cowcheck check --impl NAME --seed 1 --runs 1000 --max-ops 24" and every
// flag that changes what is generated: the engine's flags after --max-ops,
// then the machine's sizes when given or not the default, the policies and --ops.
std::string found_by(const Campaign& campaign, const std::string& impl);

}  // namespace cow::cli
