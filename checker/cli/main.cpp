// cowcheck: an oracle for copy-on-write fork().
#include <cstdio>
#include <exception>
#include <map>

#include <fmt/format.h>

#include "checker/cli/commands.h"
#include "checker/cow_file.h"
#include "checker/registry.h"

namespace cow::cli {

void add_config_options(CLI::App& app, Config& config) {
  app.add_option("--pages", config.pages, "pages in every address space")->capture_default_str();
  app.add_option("--frames", config.frames, "physical frames")->capture_default_str();
  app.add_option("--procs", config.procs, "most processes live at once")->capture_default_str();
  app.add_option("--words", config.words, "words in a page (1-4)")->capture_default_str();
  std::map<std::string, ReusePolicy> policies;
  for (ReusePolicy p : {ReusePolicy::MapCount, ReusePolicy::PageCount, ReusePolicy::Exclusive})
    policies.emplace(policy_name(p), p);
  app.add_option("--policy", config.policy,
                 "when a write fault may reuse its frame: mapcount (Linux <= 5.8), pagecount (5.9), "
                 "exclusive (5.19)")
      ->transform(CLI::CheckedTransformer(policies))
      ->default_str(std::string(policy_name(config.policy)));
  std::map<std::string, OomPolicy> ooms{{"error", OomPolicy::Error}, {"kill", OomPolicy::Kill}};
  app.add_option("--oom", config.oom, "a fault with no free frame: error (the op fails) or kill")
      ->transform(CLI::CheckedTransformer(ooms))
      ->default_str(std::string(oom_name(config.oom)));
}

std::string run_flags(const Config& config, OpSet ops) {
  std::string flags;
  if (config.policy != Config{}.policy) flags += fmt::format(" --policy {}", policy_name(config.policy));
  if (config.oom != Config{}.oom) flags += fmt::format(" --oom {}", oom_name(config.oom));
  if (ops != kAllOps) flags += fmt::format(" --ops {}", op_set_names(ops));
  return flags;
}

void add_ops_option(CLI::App& app, OpSet& ops) {
  app.add_option_function<std::string>(
         "--ops",
         [&ops](const std::string& names) {
           auto set = op_set_from_names(names);
           if (!set)
             throw CLI::ValidationError("--ops", "'" + names +
                                                     "' is not 'all' or a comma list of op names "
                                                     "(fork,write,read,exit,exec,vfork,mmap,munmap,"
                                                     "swapout,pin,unpin,copyout)");
           ops = *set;
         },
         "op kinds to generate: 'all' or a comma list such as fork,write,read,exit")
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
    set_plugin_limits(std::chrono::milliseconds(*timeout_ms),
                      static_cast<std::size_t>(*memory_mib) << 20);
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
  add("diff", "run the model and an implementation in lock step, shrink a difference to a .cow file", add_diff);
  add("prove", "Z3 bounded model checking to --depth, and k-induction with --induction", add_prove);
  add("explore", "exhaustive breadth-first search of a small machine, up to symmetry", add_explore);
  add("bench", "measure host fork() against the fast implementation, faults, and throughput", add_bench);

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
