// cowcheck replay: run .cow files step by step and report whether the
// violation they record reproduces. Steps are printed as they run, so a
// long file costs what it shows, not every state at once.
#include <fmt/format.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "app/cli/commands.h"
#include "app/race_registry.h"
#include "app/registry.h"
#include "app/replay_by_name.h"
#include "checker/cow_file.h"
#include "checker/picture.h"
#include "checker/race/race_program.h"
#include "impl/plugin/worker_process.h"

namespace cow::cli {

namespace {

struct ReplayArgs {
  std::vector<std::string> files;
  std::string impl;  // overrides the file's
  bool trust_file_impl = false;
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

constexpr std::string_view kTrustRule =
    "A .cow file is data that people mail around: replay runs a plug-in named on the file's "
    "'impl' line (plugin:PATH, relative to the file's folder) only with --trust-file-impl, or "
    "when --impl names it; otherwise it says on stderr which library it would load and replays "
    "on the model.";

// A plug-in's library, or an xv6 lab's sources that cowcheck would compile.
bool names_a_library(std::string_view impl) { return !impl_path_prefix(impl).empty(); }

[[noreturn]] void bad_impl(const ReplayArgs& args, const std::string& path, const CowFile& file,
                           const std::string& error) {
  if (args.impl.empty())
    throw CowParseError(printable(fmt::format("{}:{}: {}", path, file.impl_line, error)));
  throw UsageError(printable(error));
}

// Every file is parsed and checked before any runs, so bad input is
// reported as such and never half-way through.
std::vector<Loaded> load_all(const ReplayArgs& args) {
  std::vector<Loaded> loaded;
  for (const std::string& path : args.files) {
    CowFile file = read_cow(path);
    std::string impl = args.impl;
    if (impl.empty()) {
      impl = resolve_file_impl(file.impl, path);
      if (names_a_library(impl) && !args.trust_file_impl) {
        fmt::print(stderr,
                   "{}:{}: not loading {} named by the file (pass --trust-file-impl to run it, "
                   "or --impl to choose); replaying on the model\n",
                   printable(path), file.impl_line,
                   printable(impl.substr(impl_path_prefix(impl).size())));
        impl = "model";
      }
    }
    // A name that is known is not started here: a plug-in that will not
    // load is reported when its file runs, and one that dies starting is a
    // finding (a constructor that takes seconds to die does so once).
    if (file.is_race()) {
      if (!stepped_factory(impl, file.config))
        bad_impl(args, path, file,
                 fmt::format("'{}' is not a stepped model: a race replays on 'model' or "
                             "'race-mutant:NAME'",
                             impl));
    } else if (!known_implementation(impl)) {
      bad_impl(args, path, file, implementation_error(impl, file.config));
    }
    loaded.push_back({path, std::move(file), std::move(impl)});
  }
  return loaded;
}

std::string verdict(const Loaded& l, const ReplayResult& r) {
  if (!r.violation)
    return l.file.invariant ? "passed (the recorded violation did not reproduce)" : "passed";
  std::string got(invariant_name(r.violation->id));
  if (!l.file.invariant) return fmt::format("VIOLATION of {} (the file expects none)", got);
  if (*l.file.invariant != r.violation->id)
    return fmt::format("VIOLATION of {} (the file records {})", got,
                       invariant_name(*l.file.invariant));
  return fmt::format("reproduced {}", got);
}

// What a step returned, or how the implementation stopped on it.
std::string outcome_text(const ReplayedStep& s) {
  return s.outcome ? to_string(*s.outcome) : std::string(invariant_name(s.violation->id));
}

// Prints each step as it runs.
class TextReport : public ReplayObserver {
 public:
  TextReport(const Loaded& l, bool show) : loaded_(l), show_(show) {
    fmt::print("replay {} on {}\n", printable(l.path), printable(l.impl));
  }
  bool wants_states() const override { return show_; }
  void started(const Snapshot* initial) override {
    if (show_ && initial) fmt::print("initial state:\n{}", to_string(*initial));
    if (show_ && !initial) fmt::print("(a black box: outcomes only, no page tables to show)\n");
    std::fflush(stdout);
  }
  void step(const ReplayedStep& s) override {
    fmt::print("  {:>3}. {:<16} {}{}\n", s.number, to_string(*s.op), outcome_text(s),
               s.violation ? "   <-- " + std::string(invariant_name(s.violation->id)) : "");
    if (show_ && s.after) fmt::print("{}", to_string(*s.after));
    // Out as it happens: a step that hangs or a user who stops a long
    // replay still sees every step before it.
    std::fflush(stdout);
  }
  void finish(const ReplayResult& r) {
    if (r.violation) fmt::print("  {}\n", printable(to_string(*r.violation)));
    fmt::print("  {}\n", verdict(loaded_, r));
  }

 private:
  const Loaded& loaded_;
  bool show_;
};

class JsonReport : public ReplayObserver {
 public:
  void step(const ReplayedStep& s) override {
    steps_.push_back({{"op", to_string(*s.op)}, {"outcome", outcome_text(s)}});
  }
  nlohmann::json result(const Loaded& l, const ReplayResult& r) {
    nlohmann::json j = {{"file", l.path},
                        {"impl", l.impl},
                        {"expected", l.file.invariant ? invariant_name(*l.file.invariant) : "none"},
                        {"violation", r.violation.has_value()},
                        {"steps", std::move(steps_)}};
    if (r.violation) {
      j["invariant"] = invariant_name(r.violation->id);
      j["detail"] = to_string(*r.violation);
      j["failed_at"] = r.steps;
    }
    return j;
  }

 private:
  nlohmann::json steps_ = nlohmann::json::array();
};

// Passes every step to the report, and draws it too when a picture is asked for.
class Tee : public ReplayObserver {
 public:
  Tee(ReplayObserver& report, ReplayPicture* picture) : report_(report), picture_(picture) {}
  bool wants_states() const override { return picture_ || report_.wants_states(); }
  void started(const Snapshot* initial) override {
    report_.started(initial);
    if (!picture_) return;
    if (!initial) throw UsageError("a black-box implementation has no page tables to draw");
    picture_->initial(*initial);
  }
  void step(const ReplayedStep& s) override {
    report_.step(s);
    if (picture_) picture_->step(s.number, to_string(*s.op), outcome_text(s), s.after, s.violation);
  }

 private:
  ReplayObserver& report_;
  ReplayPicture* picture_;
};

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out.flush()) throw UsageError(fmt::format("cannot write {}", printable(path)));
}

// A race file: its setup, then its lanes step by step as its schedule says.
ReplayResult replay_race(const Loaded& l, bool json, nlohmann::json& results,
                         ReplayPicture* picture) {
  RaceProgram program{l.file.ops, l.file.lanes, l.file.schedule};
  RaceTrace trace = run_race(stepped_factory(l.impl, l.file.config), l.file.config, program);
  ReplayResult result;
  result.violation = trace.violation;
  result.steps = trace.violation_step;
  if (picture) picture->lanes(program, trace);
  Loaded shown = l;
  if (json) {
    nlohmann::json steps = nlohmann::json::array();
    for (const RaceStep& s : trace.steps)
      steps.push_back({{"lane", s.lane},
                       {"op", to_string(program.lanes[s.lane][s.op_index])},
                       {"step", s.starts ? "start" : std::string(model::pc_name(s.pc))},
                       {"returned", s.returned ? to_string(*s.returned) : ""}});
    nlohmann::json j = {{"file", l.path},
                        {"impl", l.impl},
                        {"expected", l.file.invariant ? invariant_name(*l.file.invariant) : "none"},
                        {"violation", trace.violation.has_value()},
                        {"steps", std::move(steps)}};
    if (trace.violation) {
      j["invariant"] = invariant_name(trace.violation->id);
      j["detail"] = to_string(*trace.violation);
    }
    results.push_back(std::move(j));
    return result;
  }
  fmt::print("replay {} on {}: {} setup op{}, {} lanes\n", printable(l.path), printable(l.impl),
             program.setup.size(), program.setup.size() == 1 ? "" : "s", program.lanes.size());
  for (std::size_t i = 0; i < program.setup.size(); ++i)
    fmt::print("  {:>3}. {:<16} {}\n", i + 1, to_string(program.setup[i]),
               i < trace.setup_outcomes.size() ? to_string(trace.setup_outcomes[i]) : "");
  fmt::print("{}", describe_steps(program, trace));
  if (trace.violation) fmt::print("  {}\n", printable(to_string(*trace.violation)));
  fmt::print("  {}\n", verdict(shown, result));
  return result;
}

int run_replay(const ReplayArgs& args) {
  bool pictures = !args.dot_out.empty() || !args.svg_out.empty();
  if (pictures && args.files.size() != 1)
    throw UsageError("--dot and --svg draw one file at a time");
  std::vector<Loaded> loaded = load_all(args);
  bool any_violation = false;
  nlohmann::json results = nlohmann::json::array();
  for (const Loaded& l : loaded) {
    std::optional<ReplayPicture> picture;
    if (pictures) picture.emplace();
    ReplayResult result;
    try {
      if (l.file.is_race()) {
        result = replay_race(l, args.json, results, picture ? &*picture : nullptr);
      } else if (args.json) {
        JsonReport report;
        Tee tee(report, picture ? &*picture : nullptr);
        result = replay_cow(l.file, l.impl, tee);
        results.push_back(report.result(l, result));
      } else {
        TextReport report(l, args.show);
        Tee tee(report, picture ? &*picture : nullptr);
        result = replay_cow(l.file, l.impl, tee);
        report.finish(result);
      }
    } catch (const plugin::PluginLoadError& e) {
      bad_impl(args, l.path, l.file, e.what());
    }
    if (picture) {
      std::string dot = picture->dot();
      if (!args.dot_out.empty()) write_text(args.dot_out, dot);
      if (!args.svg_out.empty()) write_text(args.svg_out, dot_to_svg(dot));
    }
    any_violation |= result.violation.has_value();
  }
  // Bytes from a file or a plug-in's message need not be UTF-8: replaced, never a throw.
  if (args.json)
    fmt::print("{}\n", nlohmann::json{{"command", "replay"}, {"results", results}}.dump(
                           2, ' ', false, nlohmann::json::error_handler_t::replace));
  return any_violation ? kExitViolation : kExitOk;
}

}  // namespace

Command add_replay(CLI::App& app) {
  auto args = std::make_shared<ReplayArgs>();
  app.footer(std::string(kTrustRule));
  app.add_option("files", args->files, ".cow files to replay")->required();
  app.add_option("--impl", args->impl, "run on this implementation instead of the file's");
  app.add_flag("--trust-file-impl", args->trust_file_impl,
               "load and run the plug-in the file names (it runs that library's code)");
  app.add_flag("--show", args->show, "print the page tables and frames after every step");
  app.add_flag("--json", args->json, "print one JSON object");
  add_plugin_options(app);
  app.add_option("--dot", args->dot_out,
                 "write the page tables and frames after every step as DOT");
  app.add_option("--svg", args->svg_out, "the same, rendered to SVG with graphviz");
  return [args] { return run_replay(*args); };
}

}  // namespace cow::cli
