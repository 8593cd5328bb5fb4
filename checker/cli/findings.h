// How every command reports what it found: the .cow file is written first
// (or, when it cannot be, printed whole on stderr), then the finding is
// reported. And what check and diff share: their arguments, running each
// implementation in turn, the "found by" line, the JSON and the exit status.
#pragma once

#include <CLI/CLI.hpp>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "checker/cow_file.h"
#include "checker/random_engine.h"

namespace cow::cli {

// Not a tracked folder: running a command from the README never rewrites a committed file.
inline constexpr const char* kDefaultOutDir = "cowcheck-out";
// Where a report says the file went when it could not be written.
inline constexpr const char* kNotWritten = "(not written: printed on stderr)";

// Writes `file` as out_dir/name, placed so that it travels (placed_in), and
// returns its path; when that fails, prints the whole file on stderr instead
// and returns kNotWritten. Never throws, even when stderr cannot be written
// either: the caller goes on to report the finding and exit 1.
std::string save_finding(const CowFile& file, const std::filesystem::path& out_dir,
                         const std::string& name) noexcept;

// A name a .cow file cannot hold (a control character) is bad input.
void require_writable_name(const std::string& impl);

// The arguments check and diff share.
struct CampaignArgs {
  std::vector<std::string> impls;
  CheckOptions options;
  std::string out_dir = kDefaultOutDir;
  bool json = false;
  bool expect_violation = false;
  const CLI::App* app = nullptr;  // which options were given, for "found by"
};

// --impl, --seed, --runs, --max-ops (1..longest), --out, --json,
// --expect-violation, the machine and --ops.
void add_campaign_options(CLI::App& app, CampaignArgs& args, int longest);

// "cowcheck check --impl NAME --seed 1 --runs 1000 --max-ops 24" and every
// flag that changes what is generated: `extra` after --max-ops, then the
// machine's sizes when given, the policies and --ops.
std::string found_by(const char* command, const std::string& impl, const CampaignArgs& args,
                     const std::string& extra = "");

struct ImplReport {
  std::string impl;
  CheckResult result;
  std::string file;   // the .cow written, or kNotWritten, when there is a finding
  std::string error;  // why this implementation could not be checked
};

using Engine = std::function<CheckResult(const std::string& impl, const CheckOptions& options)>;
using FileOf = std::function<CowFile(const ImplReport& report)>;
using PrintOne = std::function<void(const ImplReport& report)>;

// Runs `engine` on each implementation in turn (after refusing unknown ones
// as bad input). Each finding is saved as soon as it is made and before it
// is printed; an implementation that cannot be checked is reported as such
// and never hides the findings of the others.
std::vector<ImplReport> run_each(const CampaignArgs& args, const Engine& engine,
                                 const FileOf& file_of, const PrintOne& print_one);

// What op `i` of a finding returned; the op that stopped the implementation
// returned nothing, and shows the kind of stop.
std::string step_text(const Finding& f, std::size_t i);

// The finding's ops with one outcome comment each, the invariant and
// configuration; the caller adds its own notes.
CowFile finding_file(const ImplReport& report, const Config& config);

// The violation, the numbered steps and where the file went.
void print_finding(const ImplReport& report);
// On stderr: an implementation that could not be checked.
void print_error(const std::string& command, const ImplReport& report);

double ops_per_second(const CheckResult& r);
nlohmann::json report_json(const ImplReport& report);

// 1 when something was found (whatever else happened), else 2 when an
// implementation could not be checked, else 0. With expect_violation: 0
// only when every implementation had a finding, else 2 or 1.
int exit_status(const std::vector<ImplReport>& reports, bool expect_violation);

}  // namespace cow::cli
