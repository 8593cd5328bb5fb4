// cowcheck-bench: everything `cowcheck bench` reports, measured in one run
// (well under two minutes): the host's fork() against the fast
// implementation's two forks, the write faults against memcpy, the
// throughput of the model and of the differential campaign, and `check` of
// the fast implementation in process against the example plug-in in its
// worker.
#include <cstdio>
#include <cstring>
#include <string>

#include <fmt/format.h>

#include "bench/campaign_bench.h"
#include "bench/check_bench.h"
#include "bench/fast_bench.h"
#include "bench/host_fork.h"
#include "bench/measure.h"
#include "bench/mt_bench.h"
#include "bench/report.h"

namespace cow::bench {

namespace {

struct Size {
  const char* name;  // "64mib"
  const char* label;
  std::uint32_t pages;
  int host_reps;
  int fast_reps;
};

constexpr Size kSizes[] = {
    {"64mib", "64 MiB", 16384, 20, 20},
    {"256mib", "256 MiB", 65536, 10, 10},
    {"1024mib", "1 GiB", 262144, 6, 6},
};

// The copy and reuse faults run over 16 MiB: beyond L2, as a real working set.
constexpr std::uint32_t kFaultPages = 4096;

void forks(Report& report, double& worst_eager_ratio, double& shared_speedup_1g) {
  std::vector<HostForkCost> host;
  // The host forks first, before the fast implementation's arenas exist, so
  // the host copies only the region under test.
  for (const Size& s : kSizes)
    host.push_back(measure_host_fork(std::size_t{s.pages} * 4096, s.host_reps));
  for (std::size_t i = 0; i < std::size(kSizes); ++i) {
    const Size& s = kSizes[i];
    const HostForkCost& h = host[i];
    FastForkCost eager = measure_fast_fork(s.pages, fast::ForkMode::Eager, s.fast_reps);
    FastForkCost shared = measure_fast_fork(s.pages, fast::ForkMode::SharedTables, 50);
    report.section(
        fmt::format("fork of a process that touched {} ({} pages of 4 KiB)", s.label, s.pages));
    std::string n = s.name;
    double pages = s.pages;
    report.add("host_fork_ns_" + n, h.fork_ns, "host fork()", "ns");
    report.add("host_fork_ns_per_page_" + n, h.fork_ns / pages, "host fork(), per page", "ns");
    report.add("host_fork_exit_wait_ns_" + n, h.fork_wait_ns,
               "host fork() + child _exit(0) + waitpid()", "ns");
    report.add("fast_eager_fork_ns_" + n, eager.fork_ns, "fast eager fork", "ns");
    report.add("fast_eager_fork_ns_per_page_" + n, eager.fork_ns / pages,
               "fast eager fork, per page", "ns");
    report.add("fast_eager_fork_exit_ns_" + n, eager.fork_exit_ns, "fast eager fork + child exit",
               "ns");
    report.add("fast_shared_fork_ns_" + n, shared.fork_ns, "fast shared-tables fork", "ns");
    report.add("fast_shared_fork_ns_per_page_" + n, shared.fork_ns / pages,
               "fast shared-tables fork, per page", "ns");
    report.add("fast_shared_fork_exit_ns_" + n, shared.fork_exit_ns,
               "fast shared-tables fork + child exit", "ns");
    double ratio = eager.fork_ns / h.fork_ns;
    report.add("eager_over_host_fork_ratio_" + n, ratio, "eager fork / host fork (per page)", "x");
    report.add("eager_fork_exit_over_host_fork_wait_ratio_" + n,
               eager.fork_exit_ns / h.fork_wait_ns, "eager fork+exit / host fork+exit+wait", "x");
    double speedup = h.fork_ns / shared.fork_ns;
    report.add("host_over_shared_fork_speedup_" + n, speedup, "host fork / shared-tables fork",
               "x");
    worst_eager_ratio = std::max(worst_eager_ratio, ratio);
    if (n == "1024mib") shared_speedup_1g = speedup;
    if (!h.huge_pages_off)
      report.note("note: madvise(MADV_NOHUGEPAGE) failed; host pages may be huge");
  }
}

void faults(Report& report, double& copy_ratio, double& reuse_ns) {
  double copy = measure_copy_fault(kFaultPages, 8);
  double reuse = measure_reuse_fault(kFaultPages, fast::ForkMode::Eager, 8);
  double reuse_shared = measure_reuse_fault(kFaultPages, fast::ForkMode::SharedTables, 8);
  double memcpy_set = measure_memcpy_4k(kFaultPages, 8);
  double memcpy_hot = measure_memcpy_4k_hot(200000);
  report.section(
      fmt::format("write faults ({} distinct pages, 16 MiB, through apply())", kFaultPages));
  report.add("cow_copy_fault_ns", copy, "COW copy fault (eager)", "ns");
  report.add("reuse_fault_ns", reuse, "COW reuse fault (eager)", "ns");
  report.add("reuse_fault_shared_tables_ns", reuse_shared,
             "COW reuse fault (shared-tables, incl. table reclaim)", "ns");
  report.add("memcpy_4kib_ns", memcpy_set, "memcpy 4 KiB, same 16 MiB working set", "ns");
  report.add("memcpy_4kib_hot_ns", memcpy_hot, "memcpy 4 KiB, hot in L1", "ns");
  report.add("copy_fault_over_memcpy_ratio", copy / memcpy_set, "copy fault / memcpy (same set)",
             "x");
  report.add("copy_fault_over_memcpy_hot_ratio", copy / memcpy_hot, "copy fault / memcpy (hot)",
             "x");
  copy_ratio = copy / memcpy_set;
  reuse_ns = reuse;
}

// fast-mt's COW copy faults on 1 and 2 threads of one process, each on
// pages of its own, with the copy yielding the CPU where Linux's allocation
// may sleep (the default, which the tests use) and without; each ratio is
// against the 1-thread figure of this run.
void concurrent_faults(Report& report) {
  constexpr std::uint32_t kPagesPerThread = 2048;
  report.section(
      fmt::format("fast-mt write faults (COW copies, {} pages per thread, one process, run_lanes)",
                  kPagesPerThread));
  for (bool resched : {true, false}) {
    double one = measure_mt_write_faults(1, kPagesPerThread, 8, resched);
    double two = measure_mt_write_faults(2, kPagesPerThread, 8, resched);
    std::string key = resched ? "mt_write_faults" : "mt_write_faults_no_resched";
    std::string label = resched ? "fast-mt" : "fast-mt, copy never yields";
    report.add(key + "_per_s_1_thread", one, label + ", 1 thread, faults/s", "faults/s");
    report.add(key + "_per_s_2_threads", two, label + ", 2 threads, faults/s", "faults/s");
    report.add(key + "_2_over_1_thread_ratio", one > 0 ? two / one : 0,
               label + ", 2 threads / 1 thread", "x");
  }
}

void throughput(Report& report, double& diff_best) {
  report.section("throughput (one core: the campaigns per second of their thread's CPU time)");
  report.add("model_ops_per_s", measure_ops_per_second("model", 4000, 100),
             "model alone, ops/s (sequences of 100)", "ops/s");
  report.add("fast_ops_per_s", measure_ops_per_second("fast", 4000, 100), "fast eager alone, ops/s",
             "ops/s");
  report.add("fast_shared_ops_per_s", measure_ops_per_second("fast:shared-tables", 4000, 100),
             "fast shared-tables alone, ops/s", "ops/s");
  struct Campaign {
    const char* key;
    const char* label;
    const char* impl;
    int runs, max_ops, every;
  };
  constexpr Campaign kCampaigns[] = {
      {"diff_checked_ops_per_s", "diff model/fast, max-ops 24, snapshot every 8 (defaults)", "fast",
       40000, 24, 8},
      {"diff_shared_checked_ops_per_s", "diff model/fast:shared-tables, defaults",
       "fast:shared-tables", 40000, 24, 8},
      {"diff_long_checked_ops_per_s", "diff model/fast, max-ops 500, snapshot every 16", "fast",
       2000, 500, 16},
      {"diff_every_op_checked_ops_per_s", "diff model/fast, max-ops 500, snapshot every op", "fast",
       1000, 500, 1},
  };
  for (const Campaign& c : kCampaigns) {
    CampaignCost cost = measure_diff_campaign(c.impl, c.runs, c.max_ops, c.every);
    if (!cost.clean) report.note(fmt::format("BUG: the campaign '{}' found a difference", c.label));
    report.add(c.key, cost.checked_ops_per_second, c.label, "ops/s");
    report.add(std::string(c.key) + "_wall", cost.checked_ops_per_wall_second,
               "  the same, per wall-clock second", "ops/s");
    diff_best = std::max(diff_best, cost.checked_ops_per_second);
  }
}

struct PluginFigures {
  double ratio = 0;       // plug-in / fast, checked ops per CPU second, on one CPU
  double plugin_ops = 0;  // plug-in checked ops per CPU second, on one CPU
  bool measured = false;  // the example plug-in was built
};

// The same `check` campaign on the fast implementation and on the example
// plug-in (white-box: the view after every op), both on one CPU, the
// plug-in's CPU time counting its worker's; then both as scheduled freely.
void checked(Report& report, PluginFigures& plugin) {
  std::string example = example_plugin_impl();
  report.section(
      "check (random engine, defaults: max-ops 24, every invariant after every op), one CPU");
  CheckCost fast = measure_check("fast", 20000, true);
  report.add("check_fast_checked_ops_per_s", fast.checked_ops_per_cpu_second,
             "check --impl fast, ops/s of CPU time", "ops/s");
  if (!fast.clean) report.note("BUG: check --impl fast found a violation");
  if (example.empty()) {
    report.note("note: the example plug-in was not built: no plug-in figures");
    return;
  }
  CheckCost white = measure_check(example, 5000, true);
  if (!white.clean) report.note("BUG: check of the example plug-in found a violation");
  report.add("check_plugin_checked_ops_per_s", white.checked_ops_per_cpu_second,
             "check example plug-in, white-box, ops/s of CPU (+ worker)", "ops/s");
  report.add("check_plugin_checked_ops_per_s_wall", white.checked_ops_per_wall_second,
             "  the same, per wall-clock second", "ops/s");
  double ratio = fast.checked_ops_per_cpu_second > 0
                     ? white.checked_ops_per_cpu_second / fast.checked_ops_per_cpu_second
                     : 0;
  report.add("plugin_over_fast_checked_ratio", ratio, "plug-in / fast, checked ops per CPU second",
             "x");
  plugin = {ratio, white.checked_ops_per_cpu_second, true};

  report.section("check as scheduled (both CPUs free: the worker may answer from the other one)");
  CheckCost fast_free = measure_check("fast", 20000, false);
  CheckCost white_free = measure_check(example, 5000, false);
  report.add("check_fast_free_checked_ops_per_s_wall", fast_free.checked_ops_per_wall_second,
             "check --impl fast, per wall-clock second", "ops/s");
  report.add("check_plugin_free_checked_ops_per_s_wall", white_free.checked_ops_per_wall_second,
             "check example plug-in, per wall-clock second", "ops/s");
  report.add("check_plugin_free_checked_ops_per_s", white_free.checked_ops_per_cpu_second,
             "  the same, per second of CPU (+ worker)", "ops/s");
}

}  // namespace

int run(bool json) {
  Clock::time_point start = Clock::now();
  Report report;
  double worst_eager_ratio = 0, shared_speedup_1g = 0, copy_ratio = 0, reuse_ns = 0, diff_best = 0;
  forks(report, worst_eager_ratio, shared_speedup_1g);
  faults(report, copy_ratio, reuse_ns);
  concurrent_faults(report);
  throughput(report, diff_best);
  PluginFigures plugin;
  checked(report, plugin);
  report.section("this run");
  report.add("bench_seconds", ns_since(start) / 1e9, "wall time of the whole benchmark", "s");

  report.target({"target_eager_fork_fifth_of_host_met", "eager fork <= 1/5 host fork, per page",
                 fmt::format("worst {:.3f}x of host", worst_eager_ratio),
                 worst_eager_ratio <= 0.2});
  report.target({"target_shared_fork_100x_host_met", "shared-tables fork of 1 GiB >= 100x cheaper",
                 fmt::format("{:.0f}x cheaper", shared_speedup_1g), shared_speedup_1g >= 100});
  report.target({"target_copy_fault_2x_memcpy_met", "COW copy fault <= 2x memcpy 4 KiB",
                 fmt::format("{:.2f}x (same working set)", copy_ratio), copy_ratio <= 2});
  report.target({"target_reuse_fault_50ns_met", "reuse fault < 50 ns",
                 fmt::format("{:.1f} ns", reuse_ns), reuse_ns < 50});
  report.target({"target_diff_500k_ops_met", "differential campaign >= 500,000 checked ops/s",
                 fmt::format("best {:.0f} ops/s", diff_best), diff_best >= 500000});
  if (plugin.measured) {
    report.target({"target_plugin_tenth_of_fast_met",
                   "plug-in check >= 1/10 of fast check (one CPU)",
                   fmt::format("{:.3f}x", plugin.ratio), plugin.ratio >= 0.1});
    report.target({"target_plugin_50k_ops_met", "plug-in check >= 50,000 ops/s (one CPU)",
                   fmt::format("{:.0f} ops/s", plugin.plugin_ops), plugin.plugin_ops >= 50000});
  }
  if (json)
    fmt::print("{}\n", report.json());
  else
    fmt::print("cowcheck bench: medians; times in ns unless marked{}", report.table());
  return 0;
}

}  // namespace cow::bench

int main(int argc, char** argv) {
  bool json = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--json") == 0) {
      json = true;
    } else {
      std::fprintf(stderr, "usage: cowcheck-bench [--json]\n");
      return 2;
    }
  }
  try {
    return cow::bench::run(json);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cowcheck bench: %s\n", e.what());
    return 2;
  }
}
