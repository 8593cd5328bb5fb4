// cowcheck xv6 PATH: an xv6-riscv copy-on-write lab checked as the lab
// defines the machine: reuse by page count and optional (the lab allows
// always copying), the process killed when a fault finds no page, frames
// taken eagerly (text at exec, page tables at fork), and every distinct bug
// reported. A second pass forks hundreds of sharers of one page, where a
// refcount kept in a narrow type wraps.
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "app/cli/campaign_command.h"
#include "app/cli/commands.h"
#include "app/registry.h"
#include "checker/keep_going.h"
#include "checker/random_engine.h"
#include "impl/xv6/xv6_impl.h"

namespace cow::cli {

namespace {

// The many-sharers pass: more processes than a byte counts, forks and
// reads only (a write takes its page out of the sharing), long sequences.
constexpr std::uint32_t kSharersProcs = 300;
constexpr int kSharersMaxOps = 1000;

struct Xv6Args {
  std::string lab;
  xv6::LabOptions options;
  int sharers_runs = 4;
};

int run_xv6(const Campaign& base, const Xv6Args& args) {
  set_lab_options(args.options);
  fmt::print("xv6 lab {}:\n", args.lab);
  for (const std::string& line : xv6::lab_findings(args.lab, args.options))
    fmt::print("  {}\n", line);
  std::fflush(stdout);
  int status = run_campaign(base);
  if (args.sharers_runs == 0 || status == kExitUsage) return status;

  Campaign sharers = base;
  sharers.options.config.procs = std::max(base.options.config.procs, kSharersProcs);
  sharers.options.ops = op_mask(OpKind::Fork) | op_mask(OpKind::Read);
  sharers.options.max_ops = kSharersMaxOps;
  sharers.options.runs = args.sharers_runs;
  sharers.options.costly_runs = true;
  sharers.out_dir = (std::filesystem::path(base.out_dir) / "many-sharers").string();
  fmt::print("\nmany sharers ({} processes, fork and read, up to {} ops):\n",
             sharers.options.config.procs, kSharersMaxOps);
  std::fflush(stdout);
  int wide = run_campaign(sharers);
  return std::max(status, wide);
}

}  // namespace

Command add_xv6(CLI::App& app) {
  auto campaign = std::make_shared<Campaign>();
  auto args = std::make_shared<Xv6Args>();
  campaign->words = {"check", "check", "violation", "VIOLATION of ", "no violation", "ops/s", ""};
  campaign->engine = [](const Campaign&, const ImplFactory& make, const CheckOptions& options) {
    return check_random(make, options);
  };
  campaign->keep_going_engine = [](const ImplFactory& make, const CheckOptions& options,
                                   int max_bugs) {
    return check_keep_going(make, options, max_bugs);
  };
  // The lab's machine, set before the flags so that they can change it.
  Config& config = campaign->options.config;
  config.policy = ReusePolicy::PageCount;
  config.oom = OomPolicy::Kill;
  config.reuse = ReuseRule::Optional;
  config.paging = Paging::Eager;
  campaign->keep_going = true;
  campaign->options.runs = 2000;
  campaign->options.bad_addresses = true;
  Command run = add_campaign(app, campaign, kSharersMaxOps);
  app.remove_option(app.get_option("--impl"));
  app.add_option("lab", args->lab, "the lab's repository: the folder that holds kernel/")
      ->required();
  app.add_option("--cow-bit", args->options.cow_bit,
                 "the PTE's COW bit, when cowcheck cannot find a PTE_...COW... macro: a bit "
                 "number (8) or a macro (PTE_RSW)");
  app.add_option("--refcount", args->options.refcount,
                 "the lab's function that reads a physical page's refcount (krefcount), or "
                 "'none' to take refcounts from the page tables and the free list");
  app.add_option("--sharers-runs", args->sharers_runs, "runs of the many-sharers pass (0: skip it)")
      ->check(CLI::Range(0, 1000))
      ->capture_default_str();
  app.add_option("--max-bugs", campaign->max_bugs, "stop after this many distinct bugs")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  (void)run;  // run_xv6 runs the campaign, once per pass
  return [campaign, args] {
    campaign->impls = {"xv6:" + args->lab};
    if (!args->options.cow_bit.empty() || !args->options.refcount.empty())
      campaign->file_notes.push_back(fmt::format(
          "lab options: cowcheck xv6 {}{}{}", args->lab,
          args->options.cow_bit.empty() ? "" : " --cow-bit " + args->options.cow_bit,
          args->options.refcount.empty() ? "" : " --refcount " + args->options.refcount));
    return run_xv6(*campaign, *args);
  };
}

}  // namespace cow::cli
