// cowcheck replay: run .cow files step by step and report whether the
// violation they record reproduces.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "checker/cli/commands.h"
#include "checker/cow_file.h"
#include "checker/harness.h"
#include "checker/replay.h"
#include "checker/registry.h"

namespace cow::cli {

namespace {

struct ReplayArgs {
  std::vector<std::string> files;
  std::string impl;  // overrides the file's
  bool show = false;
  bool json = false;
};

struct Loaded {
  std::string path;
  CowFile file;
  std::string impl;
};

// Every file is parsed and checked before any runs, so bad input is
// reported as such and never half-way through.
std::vector<Loaded> load_all(const ReplayArgs& args) {
  std::vector<Loaded> loaded;
  for (const std::string& path : args.files) {
    CowFile file = read_cow(path);
    std::string impl = args.impl.empty() ? file.impl : args.impl;
    if (std::string error = implementation_error(impl, file.config); !error.empty()) {
      if (args.impl.empty()) throw CowParseError(fmt::format("{}:{}: {}", path, file.impl_line, error));
      throw UsageError(error);
    }
    loaded.push_back({path, std::move(file), std::move(impl)});
  }
  return loaded;
}

std::string verdict(const Loaded& l, const Trace& t) {
  if (!t.violation) return l.file.invariant ? "passed (the recorded violation did not reproduce)"
                                            : "passed";
  std::string got(invariant_name(t.violation->id));
  if (!l.file.invariant) return fmt::format("VIOLATION of {} (the file expects none)", got);
  if (*l.file.invariant != t.violation->id)
    return fmt::format("VIOLATION of {} (the file records {})", got,
                       invariant_name(*l.file.invariant));
  return fmt::format("reproduced {}", got);
}

void print_trace(const Loaded& l, const Trace& t, bool show) {
  fmt::print("replay {} on {}\n", l.path, l.impl);
  if (show) fmt::print("initial state:\n{}", to_string(*make_implementation(l.impl, l.file.config)->snapshot()));
  for (std::size_t i = 0; i < t.steps.size(); ++i) {
    const TraceStep& s = t.steps[i];
    bool failing = t.violation && i + 1 == t.steps.size();
    fmt::print("  {:>3}. {:<16} {}{}\n", i + 1, to_string(s.op),
               failing && is_stop(t.violation->id) ? std::string(invariant_name(t.violation->id))
                                                   : to_string(s.outcome),
               failing ? "   <-- " + std::string(invariant_name(t.violation->id)) : "");
    if (show && s.after) fmt::print("{}", to_string(*s.after));
  }
  if (t.violation) fmt::print("  {}\n", to_string(*t.violation));
  fmt::print("  {}\n", verdict(l, t));
}

nlohmann::json to_json(const Loaded& l, const Trace& t) {
  nlohmann::json steps = nlohmann::json::array();
  for (const TraceStep& s : t.steps)
    steps.push_back({{"op", to_string(s.op)}, {"outcome", to_string(s.outcome)}});
  nlohmann::json j = {{"file", l.path},
                      {"impl", l.impl},
                      {"expected", l.file.invariant ? invariant_name(*l.file.invariant) : "none"},
                      {"violation", t.violation.has_value()},
                      {"steps", steps}};
  if (t.violation) {
    j["invariant"] = invariant_name(t.violation->id);
    j["detail"] = to_string(*t.violation);
    j["failed_at"] = t.steps.size();
  }
  return j;
}

int run_replay(const ReplayArgs& args) {
  std::vector<Loaded> loaded = load_all(args);
  bool any_violation = false;
  nlohmann::json results = nlohmann::json::array();
  for (const Loaded& l : loaded) {
    Trace trace = *replay_cow(l.file, l.impl, args.show);  // load_all checked the name
    any_violation |= trace.violation.has_value();
    if (args.json) results.push_back(to_json(l, trace));
    else print_trace(l, trace, args.show);
  }
  if (args.json) fmt::print("{}\n", nlohmann::json{{"command", "replay"}, {"results", results}}.dump(2));
  return any_violation ? kExitViolation : kExitOk;
}

}  // namespace

Command add_replay(CLI::App& app) {
  auto args = std::make_shared<ReplayArgs>();
  app.add_option("files", args->files, ".cow files to replay")->required()->check(CLI::ExistingFile);
  app.add_option("--impl", args->impl, "run on this implementation instead of the file's");
  app.add_flag("--show", args->show, "print the page tables and frames after every step");
  app.add_flag("--json", args->json, "print one JSON object");
  return [args] { return run_replay(*args); };
}

}  // namespace cow::cli
