// The cowcheck subcommands. Each registers its options on the CLI11 app and
// returns the process exit status: 0 no violation, 1 a violation found or
// reproduced, 2 bad input or usage, 3 inconclusive (a timeout or a bound
// reached before an answer: never a pass).
#pragma once

#include <functional>
#include <string>

#include <CLI/CLI.hpp>

#include "spec/op.h"
#include "spec/types.h"

namespace cow::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitViolation = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitInconclusive = 3;

// Bad input found after parsing (an unknown implementation, a bad config):
// main prints what() and exits with kExitUsage.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

using Command = std::function<int()>;

// --pages/--frames/--procs/--words/--policy/--oom, shared by every command that builds a machine.
void add_config_options(CLI::App& app, Config& config);

// --ops: which op kinds an engine generates.
void add_ops_option(CLI::App& app, OpSet& ops);
// " --policy mapcount --ops fork,pin": the flags that differ from the defaults,
// for "found by" notes.
std::string run_flags(const Config& config, OpSet ops);
void validate_config(const Config& config);
// Adds a range to each numeric option a command registered without one
// (--seed, --threads, ...), so none takes a negative or unbounded value.
void bound_numeric_options(CLI::App& app);
// --op-timeout/--plugin-memory, for commands that may start plug-ins.
void add_plugin_options(CLI::App& app);

Command add_check(CLI::App& app);
Command add_replay(CLI::App& app);
Command add_impls(CLI::App& app);
Command add_diff(CLI::App& app);
Command add_prove(CLI::App& app);
Command add_explore(CLI::App& app);
Command add_bench(CLI::App& app);
Command add_xv6(CLI::App& app);
Command add_race(CLI::App& app);

}  // namespace cow::cli
