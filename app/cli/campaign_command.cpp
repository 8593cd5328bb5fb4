#include "app/cli/campaign_command.h"

#include <fmt/format.h>

#include <cctype>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <utility>

#include "app/cli/bounded_option.h"
#include "app/registry.h"

namespace cow::cli {

namespace {

// One distinct bug of a --keep-going run and where its file went.
struct BugReport {
  KeptBug bug;
  std::string file;
};

struct ImplReport {
  std::string impl;
  CheckResult result;  // with --keep-going: the counts, and the first bug as its finding
  std::string file;    // the .cow written, or kNotWritten, when there is a finding
  std::string error;   // why this implementation could not be checked
  // --keep-going only: every distinct bug, and why the run stopped.
  bool kept_going = false;
  std::vector<BugReport> bugs;
  std::string stop;
};

double ops_per_second(const CheckResult& r) { return r.seconds > 0 ? r.ops / r.seconds : 0; }

CowFile campaign_file(const Campaign& c, const std::string& impl, const Finding& f) {
  std::vector<std::string> notes{"found by: " + found_by(c, impl)};
  notes.insert(notes.end(), c.file_notes.begin(), c.file_notes.end());
  for (std::string& note : outcome_notes(f, c.words.found)) notes.push_back(std::move(note));
  return finding_file(impl, c.options.config, f, std::move(notes));
}

// Writes one finding's file (through save_finding: never lost) and returns where it went.
std::string save_campaign_finding(const Campaign& c, const std::string& impl, const Finding& f,
                                  const std::string& file_name, std::vector<std::string> extra) {
  CowFile file;
  try {
    file = campaign_file(c, impl, f);
    file.notes.insert(file.notes.begin() + 1, extra.begin(), extra.end());
  } catch (const std::exception& e) {
    // The ops and the invariant are what matter; the notes are a courtesy.
    file = finding_file(impl, c.options.config, f, {fmt::format("notes lost: {}", e.what())});
  }
  return save_finding(file, c.out_dir, file_name);
}

// "mutant-x.cow", bug 2 of ISO -> "mutant-x-2-iso.cow": the number keeps
// two bugs of one invariant apart, the invariant says which file is which.
std::string bug_file_name(const std::string& file_name, std::size_t n, InvariantId id) {
  std::string invariant(invariant_name(id));
  for (char& ch : invariant) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return fmt::format("{}-{}-{}.cow", file_name.substr(0, file_name.size() - 4), n, invariant);
}

// --keep-going: every distinct bug's file is written before anything is reported.
void run_keep_going(const Campaign& c, const ImplFactory& make, const CheckOptions& options,
                    const std::string& file_name, ImplReport& report) {
  report.kept_going = true;
  KeepGoingResult kept = c.keep_going_engine(make, options, c.max_bugs);
  report.result.runs = kept.runs;
  report.result.ops = kept.ops;
  report.result.seconds = kept.seconds;
  report.result.shrink_seconds = kept.shrink_seconds;
  report.error = report.result.error = kept.error;
  report.stop = std::string(keep_going_stop_name(kept.stop));
  for (std::size_t i = 0; i < kept.bugs.size(); ++i) {
    KeptBug& bug = kept.bugs[i];
    std::string name = bug_file_name(file_name, i + 1, bug.finding.violation.id);
    std::string file =
        save_campaign_finding(c, report.impl, bug.finding, name,
                              {fmt::format("distinct bug {} of this run: {}", i + 1, bug.key)});
    report.bugs.push_back({std::move(bug), std::move(file)});
  }
  if (!report.bugs.empty()) {
    report.result.finding = report.bugs.front().bug.finding;
    report.result.found_length = report.bugs.front().bug.found_length;
    report.file = report.bugs.front().file;
  }
}

// Runs the engine on one implementation; its finding is saved before
// anything about it is printed.
ImplReport run_one(const Campaign& c, const std::string& name, const std::string& file_name) {
  ImplReport report;
  report.impl = name;
  CheckOptions options = c.options;
  if (!c.json)
    options.on_progress = [&name](const CheckProgress& p) {
      fmt::print(stderr, "  {}: {}{}/{} runs, {} ops, {:.1f} s\n", name,
                 p.shrinking ? "shrinking, " : "", p.runs_done, p.runs_total, p.ops, p.seconds);
    };
  try {
    if (c.keep_going) {
      run_keep_going(c, implementation_factory(name, options.config), options, file_name, report);
      return report;
    }
    report.result = c.engine(c, implementation_factory(name, options.config), options);
    report.error = report.result.error;
  } catch (const std::exception& e) {
    report.error = e.what();
  }
  if (report.result.finding)
    report.file = save_campaign_finding(c, name, *report.result.finding, file_name, {});
  return report;
}

void print_steps(const Finding& f, const char* indent) {
  for (std::size_t i = 0; i < f.ops.size(); ++i)
    fmt::print("{}{:>2}. {:<16} {}\n", indent, i + 1, to_string(f.ops[i]), step_text(f, i));
}

// --keep-going: each distinct bug, then the summary table.
void print_bugs(const Campaign& c, const ImplReport& r, const std::string& totals) {
  const CampaignWords& w = c.words;
  if (r.bugs.empty()) {
    fmt::print("{} {}: {}: {} ({})\n", w.title, r.impl, totals, w.clean, r.stop);
    return;
  }
  fmt::print("{} {}: {} distinct bug{} in {} runs ({})\n", w.title, r.impl, r.bugs.size(),
             r.bugs.size() == 1 ? "" : "s", r.result.runs, r.stop);
  for (std::size_t i = 0; i < r.bugs.size(); ++i) {
    const KeptBug& b = r.bugs[i].bug;
    fmt::print("bug {}: {}{}, hit by {} run{}, first in run {} ({} ops, shrunk to {})\n", i + 1,
               w.caught, invariant_name(b.finding.violation.id), b.hits, b.hits == 1 ? "" : "s",
               b.first_run, b.found_length, b.finding.ops.size());
    fmt::print("  what it does: {}\n  {}\n", b.key, to_string(b.finding.violation));
    print_steps(b.finding, "  ");
    fmt::print("  counterexample: {}\n", r.bugs[i].file);
  }
  fmt::print("\n{:>3} {:<9} {:>4} {:>6}  {}\n", "bug", "invariant", "ops", "runs",
             "counterexample");
  for (std::size_t i = 0; i < r.bugs.size(); ++i) {
    const KeptBug& b = r.bugs[i].bug;
    fmt::print("{:>3} {:<9} {:>4} {:>6}  {}\n", i + 1, invariant_name(b.finding.violation.id),
               b.finding.ops.size(), b.hits, r.bugs[i].file);
  }
  fmt::print("  {}\n", totals);
}

void print_one(const Campaign& c, const ImplReport& r) {
  const CheckResult& result = r.result;
  if (!r.error.empty())
    fmt::print(stderr, "cowcheck {}: {}: could not be checked: {}\n", c.words.command, r.impl,
               r.error);
  if (!r.error.empty() && !result.finding) return;
  const CampaignWords& w = c.words;
  std::string totals = fmt::format("{} runs, {} ops in {:.2f} s ({:.0f} {})", result.runs,
                                   result.ops, result.seconds, ops_per_second(result), w.rate);
  if (r.kept_going) {
    print_bugs(c, r, totals);
    return;
  }
  if (!result.finding) {
    fmt::print("{} {}: {}: {}\n", w.title, r.impl, totals, w.clean);
    return;
  }
  const Finding& f = *result.finding;
  fmt::print("{} {}: {}{} in run {} ({} ops, shrunk to {} in {:.2f} s)\n", w.title, r.impl,
             w.caught, invariant_name(f.violation.id), result.runs, result.found_length,
             f.ops.size(), result.shrink_seconds);
  fmt::print("  {}\n", to_string(f.violation));
  print_steps(f, "  ");
  fmt::print("  counterexample: {}\n  {}\n", r.file, totals);
}

void print_table(const std::vector<ImplReport>& reports) {
  fmt::print("\n{:<30} {:<9} {:<9} {:>4} {:>8}  {}\n", "implementation", "result", "invariant",
             "ops", "seconds", "counterexample");
  for (const ImplReport& r : reports) {
    const auto& f = r.result.finding;
    std::string result = f ? "caught" : r.error.empty() ? "pass" : "error";
    if (r.bugs.size() > 1) result = fmt::format("{} bugs", r.bugs.size());
    fmt::print("{:<30} {:<9} {:<9} {:>4} {:>8.2f}  {}\n", r.impl, result,
               f ? invariant_name(f->violation.id) : "-",
               f ? fmt::format("{}", f->ops.size()) : "-", r.result.seconds,
               r.file.empty() ? "-" : r.file);
  }
}

nlohmann::json report_json(const ImplReport& r) {
  const CheckResult& c = r.result;
  nlohmann::json j = {{"impl", r.impl},       {"violation", c.finding.has_value()},
                      {"runs", c.runs},       {"ops", c.ops},
                      {"seconds", c.seconds}, {"ops_per_second", ops_per_second(c)}};
  if (!r.error.empty()) j["error"] = r.error;
  if (c.finding) {
    const Finding& f = *c.finding;
    j["invariant"] = invariant_name(f.violation.id);
    j["detail"] = to_string(f.violation);
    j["found_ops"] = c.found_length;
    j["counterexample_ops"] = f.ops.size();
    j["shrink_seconds"] = c.shrink_seconds;
    j["file"] = r.file;
    nlohmann::json ops = nlohmann::json::array();
    for (const Op& op : f.ops) ops.push_back(to_string(op));
    j["ops_list"] = ops;
  }
  if (r.kept_going) {
    j["stopped"] = r.stop;
    nlohmann::json bugs = nlohmann::json::array();
    for (const BugReport& b : r.bugs) {
      const Finding& f = b.bug.finding;
      nlohmann::json bug_ops = nlohmann::json::array();
      for (const Op& op : f.ops) bug_ops.push_back(to_string(op));
      bugs.push_back({{"key", b.bug.key},
                      {"invariant", invariant_name(f.violation.id)},
                      {"detail", to_string(f.violation)},
                      {"runs_hit", b.bug.hits},
                      {"first_run", b.bug.first_run},
                      {"found_ops", b.bug.found_length},
                      {"counterexample_ops", f.ops.size()},
                      {"ops_list", bug_ops},
                      {"reproduced", f.reproduced},
                      {"file", b.file}});
    }
    j["bugs"] = bugs;
  }
  return j;
}

void print_json(const Campaign& c, const std::vector<ImplReport>& reports) {
  nlohmann::json results = nlohmann::json::array();
  for (const ImplReport& r : reports) results.push_back(report_json(r));
  nlohmann::json j = {{"command", c.words.command}, {"results", results}};
  // "--snapshot-every" -> "snapshot_every"
  for (const auto& [flag, value] : c.engine_flags) {
    std::string key = flag.substr(flag.find_first_not_of('-'));
    for (char& ch : key) ch = ch == '-' ? '_' : ch;
    j[key] = value;
  }
  fmt::print("{}\n", j.dump(2));
}

// 1 when something was found (whatever else happened), else 2 when an
// implementation could not be checked, else 0. With expect_violation: 0
// only when every implementation had a finding, else 2 or 1.
int exit_status(const std::vector<ImplReport>& reports, bool expect_violation) {
  std::size_t caught = 0;
  std::size_t failed = 0;
  for (const ImplReport& r : reports) {
    caught += r.result.finding ? 1 : 0;
    failed += r.error.empty() ? 0 : 1;
  }
  if (expect_violation) {
    if (caught == reports.size()) return kExitOk;
    return failed ? kExitUsage : kExitViolation;
  }
  if (caught) return kExitViolation;
  return failed ? kExitUsage : kExitOk;
}

}  // namespace

// Every implementation in turn, after refusing unknown ones as bad input;
// one that cannot be checked is reported as such and never hides the
// findings of the others.
int run_campaign(const Campaign& c) {
  validate_config(c.options.config);
  std::vector<std::string> names = expand_impl_names(c.impls);
  for (const std::string& name : names) {
    require_writable_name(name);
    if (std::string error = implementation_error(name, c.options.config); !error.empty())
      throw UsageError(error);
  }
  std::vector<std::string> files = cow_file_names(names, c.options.config);
  std::vector<ImplReport> reports;
  for (std::size_t i = 0; i < names.size(); ++i) {
    reports.push_back(run_one(c, names[i], files[i]));
    if (!c.json) print_one(c, reports.back());
  }
  if (c.json)
    print_json(c, reports);
  else if (reports.size() > 1)
    print_table(reports);
  int status = exit_status(reports, c.expect_violation);
  if (c.expect_violation && status == kExitViolation && !c.json)
    fmt::print("some implementations were expected to fail and passed\n");
  return status;
}

Command add_campaign(CLI::App& app, std::shared_ptr<Campaign> campaign, int longest) {
  Campaign& c = *campaign;
  c.app = &app;
  CheckOptions& o = c.options;
  app.add_option("--impl", c.impls, c.words.impl_help)->capture_default_str();
  app.add_option("--seed", o.seed, "RapidCheck seed: the same seed, the same file")
      ->check(integer_in<std::uint64_t>(0, UINT64_MAX))
      ->capture_default_str();
  app.add_option("--runs", o.runs, "sequences to generate")
      ->check(integer_in(1, 100'000'000))
      ->capture_default_str();
  app.add_option("--max-ops", o.max_ops, "longest generated sequence")
      ->check(integer_in(1, longest))
      ->capture_default_str();
  app.add_option("--out", c.out_dir, "folder for .cow files (created if missing)")
      ->capture_default_str();
  app.add_flag("--json", c.json, "print one JSON object");
  add_config_options(app, o.config);
  add_ops_option(app, o.ops);
  app.add_flag("--bad-addresses", o.bad_addresses,
               "also generate ops on the page just past the space, which must be refused "
               "(bad-address) with no harm done");
  app.add_flag("--expect-violation", c.expect_violation,
               "exit 0 only if every implementation is caught (for checking mutants)");
  add_plugin_options(app);
  app.footer(fmt::format(
      "Exit status: 0 {}, 1 a {} found (its .cow file written first, or printed on stderr if it "
      "cannot be), 2 bad input or an implementation that could not be checked.",
      c.words.clean, c.words.found));
  return [campaign] { return run_campaign(*campaign); };
}

std::string found_by(const Campaign& c, const std::string& impl) {
  const CheckOptions& o = c.options;
  std::string line = fmt::format("cowcheck {} --impl {} --seed {} --runs {} --max-ops {}",
                                 c.words.command, shell_word(impl), o.seed, o.runs, o.max_ops);
  for (const auto& [flag, value] : c.engine_flags) line += fmt::format(" {} {}", flag, value);
  // Each campaign of a --keep-going chain after the first has a seed of its own.
  if (c.keep_going) line += fmt::format(" --keep-going --max-bugs {}", c.max_bugs);
  if (o.bad_addresses) line += " --bad-addresses";
  const Config defaults;
  auto size = [&](const char* flag, std::uint32_t value, std::uint32_t standard) {
    bool given = c.app && c.app->count(flag) > 0;
    if (given || value != standard) line += fmt::format(" {} {}", flag, value);
  };
  size("--pages", o.config.pages, defaults.pages);
  size("--frames", o.config.frames, defaults.frames);
  size("--procs", o.config.procs, defaults.procs);
  size("--words", o.config.words, defaults.words);
  return line + run_flags(o.config, o.ops);
}

}  // namespace cow::cli
