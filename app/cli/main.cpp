// cowcheck: an oracle for copy-on-write fork().
#include <fmt/format.h>

#include <charconv>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <map>

#include "app/cli/commands.h"
#include "app/registry.h"
#include "checker/cow_file.h"
#include "spec/reuse_policy.h"

namespace cow::cli {

namespace {

// An option that takes one of a few words, shown in --help as {a,b,c}: plain
// text, where CLI11's enum transformer prints the enum values as raw bytes.
template <typename Enum>
void add_word_option(CLI::App& app, const std::string& name, Enum& value,
                     std::vector<std::pair<std::string, Enum>> words, const std::string& help) {
  std::string names;
  for (const auto& [word, e] : words) names += (names.empty() ? "" : ",") + word;
  app.add_option_function<std::string>(
         name,
         [&value, words, name, names](const std::string& text) {
           for (const auto& [word, e] : words)
             if (word == text) {
               value = e;
               return;
             }
           throw CLI::ValidationError(name, "'" + text + "' is not one of " + names);
         },
         help)
      ->type_name("{" + names + "}");
}

std::string name_of(ReusePolicy p) { return std::string(policy_name(p)); }

// A seed in decimal digits: "-1" must be refused, not wrap to 2^64-1.
CLI::Validator unsigned_64() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        std::uint64_t value = 0;
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (text.empty() || ec != std::errc{} || end != text.data() + text.size())
          return "'" + text + "' is not a whole number in [0 - 18446744073709551615]";
        return "";
      },
      "in [0 - 18446744073709551615]");
}

}  // namespace

// Every numeric option has a range, shown in --help and checked before a
// command runs. Options the commands define without one are bounded here,
// in one place, so the rule is seen whole.
void bound_numeric_options(CLI::App& app) {
  struct Bound {
    const char* command;
    const char* option;
    CLI::Validator range;
  };
  const Bound bounds[] = {
      {"check", "--seed", unsigned_64()},
      {"diff", "--seed", unsigned_64()},
      {"check", "--runs", CLI::Range(1, INT_MAX)},
      {"diff", "--runs", CLI::Range(1, INT_MAX)},
      {"diff", "--snapshot-every", CLI::Range(1, 100000)},
      {"explore", "--depth", CLI::Range(0, 1000)},
      {"explore", "--max-states", CLI::Range(1, 1'000'000'000)},
      // Each thread holds a frontier and a stack: more than a machine's
      // cores only costs memory.
      {"explore", "--threads", CLI::Range(0, 256)},
      {"explore", "--timeout", CLI::Range(0.001, 604800.0)},
      {"prove", "--timeout", CLI::Range(0.001, 604800.0)},
  };
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; }))
    for (const Bound& b : bounds)
      if (sub->get_name() == b.command)
        if (CLI::Option* option = sub->get_option_no_throw(b.option)) option->check(b.range);
}

void add_config_options(CLI::App& app, Config& config) {
  app.add_option("--pages", config.pages, "pages in every address space")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  app.add_option("--frames", config.frames, "physical frames")
      ->check(CLI::Range(1, 1 << 20))
      ->capture_default_str();
  app.add_option("--procs", config.procs, "most processes live at once")
      ->check(CLI::Range(1, 4096))
      ->capture_default_str();
  app.add_option("--words", config.words, "words in a page")
      ->check(CLI::Range(1, static_cast<int>(kMaxWords)))
      ->capture_default_str();
  std::vector<std::pair<std::string, ReusePolicy>> policies;
  std::string kernels;
  for (const PolicyInfo& p : kPolicies) {
    policies.emplace_back(std::string(p.name), p.policy);
    kernels += fmt::format("{}{} ({})", kernels.empty() ? "" : ", ", p.name, p.kernels);
  }
  add_word_option(
      app, "--policy", config.policy, policies,
      "when a write fault may reuse its frame: " + kernels + "; default " + name_of(config.policy));
  add_word_option(app, "--oom", config.oom,
                  {{std::string(oom_name(OomPolicy::Error)), OomPolicy::Error},
                   {std::string(oom_name(OomPolicy::Kill)), OomPolicy::Kill}},
                  "a fault with no free frame: error (the op fails) or kill; default " +
                      std::string(oom_name(config.oom)));
  add_word_option(app, "--reuse", config.reuse,
                  {{std::string(reuse_rule_name(ReuseRule::Required)), ReuseRule::Required},
                   {std::string(reuse_rule_name(ReuseRule::Optional)), ReuseRule::Optional}},
                  "the sole-owner reuse: required (REUSE fails a copy where the policy reuses) "
                  "or optional (a copy is fine there, for implementations that never claimed the "
                  "optimization; a reuse where the policy copies is still caught); default " +
                      std::string(reuse_rule_name(config.reuse)));
  add_word_option(app, "--paging", config.paging,
                  {{std::string(paging_name(Paging::Demand)), Paging::Demand},
                   {std::string(paging_name(Paging::Eager)), Paging::Eager}},
                  "when frames are taken: demand (at first touch, as Linux) or eager (text at "
                  "mmap and page tables at fork, as xv6: both may then fail for want of a "
                  "frame); default " +
                      std::string(paging_name(config.paging)));
}

std::string run_flags(const Config& config, OpSet ops) {
  std::string flags;
  if (config.policy != Config{}.policy)
    flags += fmt::format(" --policy {}", policy_name(config.policy));
  if (config.oom != Config{}.oom) flags += fmt::format(" --oom {}", oom_name(config.oom));
  if (config.reuse != Config{}.reuse)
    flags += fmt::format(" --reuse {}", reuse_rule_name(config.reuse));
  if (config.paging != Config{}.paging)
    flags += fmt::format(" --paging {}", paging_name(config.paging));
  if (ops != kAllOps) flags += fmt::format(" --ops {}", op_set_names(ops));
  return flags;
}

void add_ops_option(CLI::App& app, OpSet& ops) {
  app.add_option_function<std::string>(
         "--ops",
         [&ops](const std::string& names) {
           auto set = op_set_from_names(names);
           if (!set)
             throw CLI::ValidationError(
                 "--ops", fmt::format("'{}' is not 'all' or a comma list of op names ({})", names,
                                      op_names()));
           ops = *set;
         },
         "op kinds to generate: 'all' or a comma list such as " + op_set_names(kCoreOps))
      ->default_str(op_set_names(ops));
}

void add_plugin_options(CLI::App& app) {
  auto timeout_ms = std::make_shared<int>(500);
  auto memory_mib = std::make_shared<int>(256);
  app.add_option("--op-timeout", *timeout_ms, "plug-ins: milliseconds an op may take (else HANG)")
      ->check(CLI::Range(1, 600000))
      ->capture_default_str();
  app.add_option("--plugin-memory", *memory_mib, "plug-ins: MiB of address space (else OOM)")
      ->check(CLI::Range(16, 1 << 20))
      ->capture_default_str();
  app.callback([timeout_ms, memory_mib] {
    set_plugin_limits(std::chrono::milliseconds(*timeout_ms), static_cast<std::size_t>(*memory_mib)
                                                                  << 20);
  });
}

void validate_config(const Config& config) {
  if (const char* error = config_error(config); *error)
    throw UsageError(fmt::format("bad configuration: {}", error));
}

}  // namespace cow::cli

int main(int argc, char** argv) {
  using namespace cow::cli;
  CLI::App app{"cowcheck: an oracle for copy-on-write fork()", "cowcheck"};
  app.set_version_flag("--version", "cowcheck 0.1.0");
  app.require_subcommand(1);
  std::map<CLI::App*, Command> commands;
  auto add = [&](const char* name, const char* help, Command (*add_fn)(CLI::App&)) {
    CLI::App* sub = app.add_subcommand(name, help);
    commands[sub] = add_fn(*sub);
  };
  add("check", "generate op sequences, check every invariant, shrink a failure to a .cow file",
      add_check);
  add("replay", "run .cow files and report whether their violation reproduces", add_replay);
  add("impls", "list the implementations the oracle can check", add_impls);
  add("diff",
      "run the model and an implementation in lock step, shrink a difference to a .cow file",
      add_diff);
  add("prove", "Z3 bounded model checking to --depth, and k-induction with --induction", add_prove);
  add("explore", "exhaustive breadth-first search of a small machine, up to symmetry", add_explore);
  add("xv6",
      "check an xv6-riscv copy-on-write lab from its source tree: every distinct bug, then a "
      "pass with many sharers",
      add_xv6);
  add("race",
      "interleave the steps of ops running at once on the stepped model; every answer must be "
      "explained by an order of the calls",
      add_race);
  add("bench",
      "measure host fork() against the fast implementation, faults, throughput, and a plug-in "
      "checked against in-process",
      add_bench);
  bound_numeric_options(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }
  try {
    for (auto& [sub, run] : commands)
      if (sub->parsed()) return run();
  } catch (const UsageError& e) {
    fmt::print(stderr, "cowcheck: {}\n", e.what());
    return kExitUsage;
  } catch (const cow::CowParseError& e) {
    fmt::print(stderr, "{}\n", e.what());
    return kExitUsage;
  } catch (const std::exception& e) {
    fmt::print(stderr, "cowcheck: error: {}\n", e.what());
    return kExitUsage;
  }
  return kExitUsage;
}
