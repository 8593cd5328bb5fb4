// cowcheck prove: the symbolic engine. BMC to --depth with Z3, a
// counterexample written as a .cow file and replayed concretely, and with
// --induction an attempt at a proof for every depth.
#include <fmt/format.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "app/cli/bounded_option.h"
#include "app/cli/commands.h"
#include "app/cli/finding_report.h"
#include "app/registry.h"
#include "checker/symbolic/bug.h"
#include "checker/symbolic/lemmas.h"
#include "checker/symbolic/prove.h"
#include "checker/symbolic/violations.h"

namespace cow::cli {

namespace {

using symbolic::Answer;
using symbolic::ProveResult;
using symbolic::Verdict;

// With --induction, BMC only has to be the base case: a closed induction
// covers every depth. 1-induction with the lemmas closes for the default
// machine (about 30 s of CPU), and depth 2 leaves room for 2-induction.
constexpr std::uint32_t kInductionDepth = 2;

// --ops core: the kinds every implementation has.
constexpr const char* kCoreName = "core";

struct ProveArgs {
  symbolic::ProveOptions options;
  bool json = false;
  std::string ops;  // --ops
  std::string out_dir = kDefaultOutDir;
  const CLI::App* app = nullptr;  // whether --depth was given
};

std::string command_line(const symbolic::ProveOptions& o) {
  return fmt::format(
      "cowcheck prove --impl {} --procs {} --pages {} --frames {} --values {} "
      "--words {} --policy {} --oom {} --pins {} --swap-slots {} --ops {} "
      "--depth {}{}",
      o.impl, o.machine.procs, o.machine.pages, o.machine.frames, o.values, o.machine.words,
      policy_name(o.machine.policy), oom_name(o.machine.oom), o.pins, o.swap_slots,
      op_set_names(o.ops), o.depth, o.induction ? " --induction" : "");
}

// Z3's counterexample as the replay saw it: what each op returned, and the
// violation the replay reported (or, when it reported none, the one Z3 claimed).
CowFile prove_file(const ProveResult& r, const symbolic::ProveOptions& o) {
  Finding f{r.replayed.value_or(Violation{r.invariant, 0, std::nullopt, kNoFrame, ""}),
            r.ops,
            r.outcomes,
            r.verdict == Verdict::Violation,
            {}};
  std::vector<std::string> notes{
      fmt::format("found by: {}", command_line(o)),
      fmt::format("shortest: Z3 (QF_BV) showed that no sequence of fewer than {} ops breaks an "
                  "invariant (values 1..{})",
                  r.ops.size(), o.values)};
  if (r.replayed)
    notes.push_back(
        fmt::format("violation at op {}: {}", r.replay_failed_at, to_string(*r.replayed)));
  if (!r.encoding_bug.empty()) notes.push_back("ENCODING BUG: " + r.encoding_bug);
  return finding_file(o.impl, o.machine, f, std::move(notes));
}

std::string machine(const symbolic::ProveOptions& o) {
  auto n = [](std::uint32_t count, const char* what) {
    return fmt::format("{} {}{}", count, what, count == 1 ? "" : "s");
  };
  return fmt::format("{}, {}, {}, values 1..{}, {}, policy {}, oom {}, {}, {}, ops {}",
                     n(o.machine.procs, "proc"), n(o.machine.pages, "page"),
                     n(o.machine.frames, "frame"), o.values, n(o.machine.words, "word"),
                     policy_name(o.machine.policy), oom_name(o.machine.oom), n(o.pins, "pin slot"),
                     n(o.swap_slots, "swap slot"), op_set_names(o.ops));
}

void print_depth(const symbolic::DepthReport& d) {
  std::string answers;
  for (std::size_t i = 0; i < symbolic::kCheckedInvariants.size(); ++i)
    answers += fmt::format(" {}={}", invariant_name(symbolic::kCheckedInvariants[i]),
                           symbolic::answer_name(d.first_violation[i]));
  fmt::print("  depth {:>2}:{}  ({:.2f} s)\n", d.depth, answers, d.seconds);
  std::fflush(stdout);
}

// The lemmas' names and meanings, from a throwaway state.
std::vector<std::pair<std::string, std::string>> lemma_list(const symbolic::SymConfig& config) {
  z3::context ctx;
  symbolic::TransitionSystem ts(ctx, config);
  std::vector<std::pair<std::string, std::string>> list;
  for (const symbolic::Lemma& l :
       symbolic::strengthening(ts, symbolic::make_state(ctx, config, "x")))
    list.emplace_back(l.name, l.meaning);
  return list;
}

void print_violation(const ProveResult& r, const symbolic::ProveOptions& o,
                     const std::string& file) {
  if (r.verdict == Verdict::EncodingBug) {
    fmt::print("ENCODING BUG: {}\n", r.encoding_bug);
    fmt::print(stderr, "cowcheck prove: ENCODING BUG: {}\n", r.encoding_bug);
  } else {
    fmt::print(
        "VIOLATION of {} at depth {}: the shortest sequence that breaks an invariant "
        "(none of {} op{} does)\n",
        invariant_name(r.replayed->id), r.ops.size(), r.ops.size() - 1,
        r.ops.size() == 2 ? "" : "s");
  }
  for (std::size_t i = 0; i < r.ops.size(); ++i)
    fmt::print("  {:>2}. {}{}\n", i + 1, to_string(r.ops[i]),
               r.replayed && i + 1 == r.replay_failed_at
                   ? "   <-- " + std::string(invariant_name(r.replayed->id))
                   : "");
  if (r.replayed) fmt::print("  {}\n", to_string(*r.replayed));
  if (!file.empty())
    fmt::print("  counterexample: {} (replayed on {}: {})\n", file, o.impl,
               r.verdict == Verdict::Violation ? "reproduced" : "did NOT reproduce as encoded");
}

void print_induction(const ProveResult& r, const symbolic::ProveOptions& o) {
  const symbolic::InductionResult& ind = *r.induction;
  for (const symbolic::InductionAttempt& a : ind.attempts)
    fmt::print("  {}-induction{}: {} ({:.2f} s)\n", a.k, a.strengthened ? ", strengthened" : "",
               a.answer == Answer::Unsat ? "closes"
               : a.answer == Answer::Sat ? "counterexample to induction"
                                         : "unknown",
               a.seconds);
  if (ind.proved) {
    fmt::print("proved for all depths ({}-induction{}) for {}\n", ind.k,
               ind.strengthened ? ", strengthened with the lemmas below" : "", machine(o));
    if (ind.strengthened)
      for (const auto& [name, meaning] : lemma_list(r.config))
        fmt::print("  lemma {}: {}\n", name, meaning);
    return;
  }
  if (!ind.attempts.empty() && ind.attempts.back().answer == Answer::Sat)
    fmt::print(
        "k-induction did not close; the counterexample to induction it could not rule "
        "out:\n{}",
        ind.attempts.back().cti);
  if (!ind.unknown.empty()) fmt::print("k-induction stopped: {}\n", ind.unknown);
}

nlohmann::json to_json(const ProveResult& r, const symbolic::ProveOptions& o,
                       const std::string& file) {
  nlohmann::json depths = nlohmann::json::array();
  for (const symbolic::DepthReport& d : r.bmc.depths) {
    nlohmann::json one = {{"depth", d.depth}, {"seconds", d.seconds}};
    for (std::size_t i = 0; i < symbolic::kCheckedInvariants.size(); ++i)
      one[std::string(invariant_name(symbolic::kCheckedInvariants[i]))] =
          symbolic::answer_name(d.first_violation[i]);
    depths.push_back(one);
  }
  std::string result = r.verdict == Verdict::Proved        ? "proved"
                       : r.verdict == Verdict::Violation   ? "violation"
                       : r.verdict == Verdict::EncodingBug ? "encoding-bug"
                       : r.verdict == Verdict::Unknown     ? "unknown"
                                                           : "no-violation-up-to-depth";
  nlohmann::json j = {{"command", "prove"},
                      {"impl", o.impl},
                      {"config",
                       {{"procs", o.machine.procs},
                        {"pages", o.machine.pages},
                        {"frames", o.machine.frames},
                        {"values", o.values},
                        {"words", o.machine.words},
                        {"policy", policy_name(o.machine.policy)},
                        {"oom", oom_name(o.machine.oom)},
                        {"pins", o.pins},
                        {"swap_slots", o.swap_slots},
                        {"ops", op_set_names(o.ops)}}},
                      {"depth", o.depth},
                      {"not_encoded", symbolic::kNotEncoded},
                      {"result", result},
                      {"clean_depth", r.bmc.clean_depth},
                      {"depths", depths},
                      {"seconds", r.seconds}};
  if (!r.bmc.unknown.empty()) j["unknown"] = r.bmc.unknown;
  if (!r.ops.empty()) {
    nlohmann::json ops = nlohmann::json::array();
    for (const Op& op : r.ops) ops.push_back(to_string(op));
    j["counterexample"] = {{"ops", ops},
                           {"length", r.ops.size()},
                           {"invariant", invariant_name(r.invariant)},
                           {"file", file}};
    if (r.replayed) j["counterexample"]["replayed"] = to_string(*r.replayed);
    if (!r.encoding_bug.empty()) j["encoding_bug"] = r.encoding_bug;
  }
  if (r.induction) {
    nlohmann::json attempts = nlohmann::json::array();
    for (const symbolic::InductionAttempt& a : r.induction->attempts)
      attempts.push_back({{"k", a.k},
                          {"strengthened", a.strengthened},
                          {"answer", symbolic::answer_name(a.answer)},
                          {"seconds", a.seconds},
                          {"cti", a.cti}});
    j["induction"] = {{"proved", r.induction->proved}, {"attempts", attempts}};
    if (r.induction->proved) {
      j["induction"]["k"] = r.induction->k;
      j["induction"]["strengthened"] = r.induction->strengthened;
    }
    if (!r.induction->unknown.empty()) j["induction"]["unknown"] = r.induction->unknown;
  }
  return j;
}

int run_prove(ProveArgs& args) {
  symbolic::ProveOptions& o = args.options;
  validate_config(o.machine);
  // The Z3 encoding states REUSE as the sole-owner optimization required.
  if (o.machine.reuse != ReuseRule::Required)
    throw UsageError(
        "prove does not take --reuse optional: its Z3 encoding requires the sole-owner reuse "
        "(check and explore take --reuse optional)");
  if (o.machine.paging != Paging::Demand)
    throw UsageError(
        "prove does not take --paging eager: its Z3 encoding takes frames on demand (check and "
        "explore take --paging eager)");
  if (o.induction && args.app->count("--depth") == 0) o.depth = kInductionDepth;
  if (std::optional<std::string_view> why = symbolic::not_encoded(o.impl))
    throw UsageError(
        fmt::format("prove does not encode '{}': {} (check and explore find it)", o.impl, *why));
  if (!symbolic::bug_of(o.impl))
    throw UsageError(fmt::format(
        "prove encodes the model and its built-in mutants only, not '{}' (explore and check "
        "drive any implementation)",
        o.impl));
  if (!args.ops.empty()) {
    std::optional<OpSet> ops = args.ops == kCoreName ? std::optional<OpSet>(kCoreOps)
                               : args.ops == "all"
                                   ? std::optional<OpSet>(kEncodedOps)  // every op prove can choose
                                   : op_set_from_names(args.ops);
    if (!ops)
      throw UsageError(
          fmt::format("--ops: '{}' is not 'all', '{}' or a comma-separated list of op names ({})",
                      args.ops, kCoreName, op_names()));
    o.ops = *ops;
  }
  o.make = make_implementation;
  if (!args.json) {
    fmt::print("prove {}: {}; every sequence of up to {} ops (Z3 {}, QF_BV)\n", o.impl, machine(o),
               o.depth, Z3_get_full_version());
    fmt::print("  not encoded: {}\n", symbolic::kNotEncoded);
    o.on_depth = print_depth;
  }
  ProveResult r;
  try {
    r = symbolic::prove(o);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  // Written before anything is reported, even when suspect: a finding is never lost.
  std::string file = r.ops.empty() ? ""
                                   : save_finding(prove_file(r, o), args.out_dir,
                                                  symbolic::prove_file_name(o.impl));
  if (args.json) {
    fmt::print("{}\n", to_json(r, o, file).dump(2));
  } else if (r.verdict == Verdict::Violation || r.verdict == Verdict::EncodingBug) {
    print_violation(r, o, file);
  } else {
    if (r.verdict != Verdict::Unknown)
      fmt::print("no violation up to depth {} ({:.2f} s)\n", o.depth, r.seconds);
    else
      fmt::print("unknown at depth {} ({}): no violation up to depth {} only ({:.2f} s)\n",
                 r.bmc.clean_depth + 1, r.bmc.unknown, r.bmc.clean_depth, r.seconds);
    if (r.induction) print_induction(r, o);
  }
  switch (r.verdict) {
    case Verdict::Violation: return kExitViolation;
    case Verdict::EncodingBug: return kExitUsage;
    case Verdict::Proved: return kExitOk;
    case Verdict::Unknown: return kExitInconclusive;
    case Verdict::Clean: break;
  }
  // Asked for a proof and given none (a timeout, or no k up to --depth closed).
  return o.induction ? kExitInconclusive : kExitOk;
}

}  // namespace

Command add_prove(CLI::App& app) {
  auto args = std::make_shared<ProveArgs>();
  args->app = &app;
  symbolic::ProveOptions& o = args->options;
  app.add_option("--impl", o.impl, "the model or a built-in mutant (mutant:NAME)")
      ->capture_default_str();
  add_config_options(app, o.machine);
  app.add_option("--values", o.values, "writes store the values 1..NV")
      ->check(integer_in(1u, 1000u))
      ->capture_default_str();
  app.add_option("--depth", o.depth,
                 fmt::format("longest op sequence to check; with --induction the default is {} "
                             "(the base case: a proof covers every depth)",
                             kInductionDepth))
      ->check(integer_in(1u, 1000u))
      ->capture_default_str();
  app.add_option("--pins", o.pins, "pin slots: at most this many pins held at once")
      ->check(integer_in(1u, 2u))
      ->capture_default_str();
  app.add_option("--swap-slots", o.swap_slots, "swap slots: swapout only with one free")
      ->check(integer_in(1u, 4u))
      ->capture_default_str();
  app.add_option("--ops", args->ops,
                 fmt::format("op kinds Z3 may choose: all (default), {} ({}), or a list", kCoreName,
                             op_set_names(kCoreOps)));
  app.add_flag("--induction", o.induction, "then try k-induction: a proof for every depth");
  app.add_option("--timeout", o.timeout_seconds,
                 "seconds for the whole command (then exit 3: inconclusive, never a pass)")
      ->check(seconds_up_to(1e6))
      ->capture_default_str();
  app.add_option("--out", args->out_dir, "folder for the .cow file (created if missing)")
      ->capture_default_str();
  app.add_flag("--json", args->json, "print one JSON object");
  app.footer(
      "Exit status: 0 no violation up to --depth (with --induction: proved for every depth), 1 a "
      "violation (its .cow file written first, or printed on stderr if it cannot be), 2 bad "
      "input or an encoding bug, 3 inconclusive: the timeout came first, or with --induction no "
      "proof closed.");
  return [args] { return run_prove(*args); };
}

}  // namespace cow::cli
