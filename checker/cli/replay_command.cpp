// cowcheck replay: run .cow files step by step and report whether the
// violation they record reproduces.
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "checker/cli/commands.h"
#include "checker/cow_file.h"
#include "checker/harness.h"
#include "checker/picture.h"
#include "checker/replay.h"
#include "checker/registry.h"

namespace cow::cli {

namespace {

struct ReplayArgs {
  std::vector<std::string> files;
  std::string impl;  // overrides the file's
  bool show = false;
  bool json = false;
  std::string dot_out;  // write a DOT picture of the (single) file's replay
  std::string svg_out;  // the same rendered to SVG by graphviz
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
  if (show && t.initial) fmt::print("initial state:\n{}", to_string(*t.initial));
  if (show && !t.initial) fmt::print("(a black box: outcomes only, no page tables to show)\n");
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

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out.flush()) throw UsageError(fmt::format("cannot write {}", path));
}

void draw(const ReplayArgs& args, const Trace& trace) {
  if (!trace.initial)
    throw UsageError("a black-box implementation has no page tables to draw");
  std::string dot = trace_to_dot(trace.initial, trace);
  if (!args.dot_out.empty()) write_text(args.dot_out, dot);
  if (!args.svg_out.empty()) write_text(args.svg_out, dot_to_svg(dot));
}

int run_replay(const ReplayArgs& args) {
  if ((!args.dot_out.empty() || !args.svg_out.empty()) && args.files.size() != 1)
    throw UsageError("--dot and --svg draw one file at a time");
  std::vector<Loaded> loaded = load_all(args);
  bool any_violation = false;
  nlohmann::json results = nlohmann::json::array();
  for (const Loaded& l : loaded) {
    bool pictures = !args.dot_out.empty() || !args.svg_out.empty();
    Trace trace = *replay_cow(l.file, l.impl, args.show || pictures);  // load_all checked the name
    if (pictures) draw(args, trace);
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
  add_plugin_options(app);
  app.add_option("--dot", args->dot_out, "write the page tables and frames after every step as DOT");
  app.add_option("--svg", args->svg_out, "the same, rendered to SVG with graphviz");
  return [args] { return run_replay(*args); };
}

}  // namespace cow::cli
