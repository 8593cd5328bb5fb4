#include "checker/cli/findings.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <filesystem>

#include "checker/cli/bounded_option.h"
#include "checker/cli/commands.h"
#include "checker/registry.h"

namespace cow::cli {

namespace {

// Straight to file descriptor 2, ignoring failure: this runs when a write has
// already failed, and must not throw (from a catch block) if stderr fails too.
void print_on_stderr(std::string_view text) noexcept {
  // What was printed so far comes first, as it would on a terminal.
  std::fflush(stdout);
  std::fflush(stderr);
  while (!text.empty()) {
    ssize_t n = ::write(STDERR_FILENO, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    text.remove_prefix(static_cast<std::size_t>(n));
  }
}

// One word for a POSIX shell, so that a "found by" line can be pasted.
std::string shell_word(const std::string& word) {
  bool plain = !word.empty() && std::all_of(word.begin(), word.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           std::string_view("-_.,:/=+@%").find(c) != std::string_view::npos;
  });
  if (plain) return word;
  std::string quoted = "'";
  for (char c : word) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

}  // namespace

std::string save_finding(const CowFile& file, const std::filesystem::path& out_dir,
                         const std::string& name) noexcept {
  std::string why;
  try {
    std::filesystem::path path = out_dir / name;
    write_cow_atomic(path, placed_in(file, out_dir));
    return path.string();
  } catch (const std::exception& e) {
    why = e.what();
  } catch (...) {
    why = "unknown error";
  }
  try {
    // Placed in the working folder: saved there from the terminal, it replays as it is.
    print_on_stderr("cowcheck: cannot write the counterexample: " + why +
                    "\ncowcheck: here it is whole (paths relative to the working folder):\n" +
                    format_cow(placed_in(file, ".")));
  } catch (...) {
    print_on_stderr("cowcheck: cannot write the counterexample, nor print it\n");
  }
  return kNotWritten;
}

void require_writable_name(const std::string& impl) {
  std::string shown;
  bool control = false;
  for (char c : impl) {
    bool bad = static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
    control = control || bad;
    shown += bad ? fmt::format("\\x{:02x}", static_cast<unsigned char>(c)) : std::string(1, c);
  }
  if (control)
    throw UsageError(fmt::format(
        "implementation name '{}' holds a control character: a .cow file cannot name it", shown));
}

void add_campaign_options(CLI::App& app, CampaignArgs& args, int longest) {
  args.app = &app;
  CheckOptions& o = args.options;
  app.add_option("--seed", o.seed, "RapidCheck seed: the same seed, the same file")
      ->check(integer_in<std::uint64_t>(0, UINT64_MAX))
      ->capture_default_str();
  app.add_option("--runs", o.runs, "sequences to generate")
      ->check(integer_in(1, 100'000'000))
      ->capture_default_str();
  app.add_option("--max-ops", o.max_ops, "longest generated sequence")
      ->check(integer_in(1, longest))
      ->capture_default_str();
  app.add_option("--out", args.out_dir, "folder for .cow files (created if missing)")
      ->capture_default_str();
  app.add_flag("--json", args.json, "print one JSON object");
  add_config_options(app, o.config);
  add_ops_option(app, o.ops);
}

std::string found_by(const char* command, const std::string& impl, const CampaignArgs& args,
                     const std::string& extra) {
  const CheckOptions& o = args.options;
  std::string line = fmt::format("cowcheck {} --impl {} --seed {} --runs {} --max-ops {}{}",
                                 command, shell_word(impl), o.seed, o.runs, o.max_ops, extra);
  const Config defaults;
  auto size = [&](const char* flag, std::uint32_t value, std::uint32_t standard) {
    bool given = args.app && args.app->count(flag) > 0;
    if (given || value != standard) line += fmt::format(" {} {}", flag, value);
  };
  size("--pages", o.config.pages, defaults.pages);
  size("--frames", o.config.frames, defaults.frames);
  size("--procs", o.config.procs, defaults.procs);
  size("--words", o.config.words, defaults.words);
  return line + run_flags(o.config, o.ops);
}

std::vector<ImplReport> run_each(const CampaignArgs& args, const Engine& engine,
                                 const FileOf& file_of, const PrintOne& print_one) {
  validate_config(args.options.config);
  std::vector<std::string> names = expand_impl_names(args.impls);
  for (const std::string& name : names) {
    require_writable_name(name);
    if (std::string error = implementation_error(name, args.options.config); !error.empty())
      throw UsageError(error);
  }
  std::vector<std::string> files = cow_file_names(names, args.options.config);
  std::vector<ImplReport> reports;
  for (std::size_t i = 0; i < names.size(); ++i) {
    const std::string& name = names[i];
    ImplReport report{name, {}, "", ""};
    CheckOptions options = args.options;
    if (!args.json)
      options.on_progress = [&name](const CheckProgress& p) {
        fmt::print(stderr, "  {}: {}{}/{} runs, {} ops, {:.1f} s\n", name,
                   p.shrinking ? "shrinking, " : "", p.runs_done, p.runs_total, p.ops, p.seconds);
      };
    try {
      report.result = engine(name, options);
      report.error = report.result.error;
    } catch (const std::exception& e) {
      report.error = e.what();
    }
    if (report.result.finding) {
      CowFile file;
      try {
        file = file_of(report);
      } catch (const std::exception& e) {
        // The ops and the invariant are what matter; the notes are a courtesy.
        file = finding_file(report, args.options.config);
        file.notes.push_back(fmt::format("notes lost: {}", e.what()));
      }
      report.file = save_finding(file, args.out_dir, files[i]);
    }
    if (!report.error.empty() && !args.json) print_error(args.app->get_name(), report);
    if (!args.json) print_one(report);
    reports.push_back(std::move(report));
  }
  return reports;
}

std::string step_text(const Finding& f, std::size_t i) {
  bool last = i + 1 == f.ops.size();
  if (last && is_stop(f.violation.id)) return std::string(invariant_name(f.violation.id));
  return i < f.outcomes.size() ? to_string(f.outcomes[i]) : "";
}

CowFile finding_file(const ImplReport& r, const Config& config) {
  const Finding& f = *r.result.finding;
  CowFile file;
  file.impl = r.impl;
  file.config = config;
  file.invariant = f.violation.id;
  file.ops = f.ops;
  for (std::size_t i = 0; i < f.ops.size(); ++i) file.op_comments.push_back(step_text(f, i));
  return file;
}

void print_finding(const ImplReport& r) {
  const Finding& f = *r.result.finding;
  fmt::print("  {}\n", to_string(f.violation));
  for (std::size_t i = 0; i < f.ops.size(); ++i)
    fmt::print("  {:>2}. {:<16} {}\n", i + 1, to_string(f.ops[i]), step_text(f, i));
  fmt::print("  counterexample: {}\n", r.file);
}

void print_error(const std::string& command, const ImplReport& r) {
  fmt::print(stderr, "cowcheck {}: {}: could not be checked: {}\n", command, r.impl, r.error);
}

double ops_per_second(const CheckResult& r) { return r.seconds > 0 ? r.ops / r.seconds : 0; }

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
  return j;
}

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

}  // namespace cow::cli
