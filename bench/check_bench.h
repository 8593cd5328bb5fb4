// Throughput of `cowcheck check` (the random engine: RapidCheck generation,
// every invariant after every op, shrinking had there been a finding) on an
// in-process implementation and on a plug-in in its worker process, in the
// same run, so that their ratio holds on whatever machine it runs on.
#pragma once

#include <cstdint>
#include <string>

namespace cow::bench {

struct CheckCost {
  // Per second of CPU time of this process and every worker it started: a
  // plug-in's checking costs both sides.
  double checked_ops_per_cpu_second = 0;
  double checked_ops_per_wall_second = 0;  // lower when the machine is shared
  std::uint64_t ops = 0;
  bool clean = true;  // no violation was found (a finding would be a bug)
};

// `cowcheck check --impl IMPL --runs RUNS` with the other defaults, timed.
// With `one_cpu`, this process (and so every worker it starts) runs on the
// CPU it is on, as on a machine of one core.
CheckCost measure_check(const std::string& impl, int runs, bool one_cpu);

// The example plug-in (examples/c-plugin) as `--impl` names it, built beside
// the benchmark; empty when it was not built.
std::string example_plugin_impl();

}  // namespace cow::bench
