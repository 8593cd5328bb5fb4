// Throughput of the checking machinery: the model alone, the fast
// implementation alone, and the differential campaign that runs both.
#pragma once

#include <cstdint>
#include <string>

namespace cow::bench {

// Ops a second of one implementation (by registry name) over pre-generated
// sequences of the random engine's mix, a fresh machine per sequence.
double measure_ops_per_second(const std::string& impl, int sequences, int length);

struct CampaignCost {
  double checked_ops_per_second = 0;       // per second of the thread's CPU time: one core
  double checked_ops_per_wall_second = 0;  // lower when the machine is shared
  std::uint64_t ops = 0;
  bool clean = true;  // no difference was found (a finding would be a bug)
};

// `cowcheck diff --impl IMPL --runs RUNS --max-ops MAX_OPS --snapshot-every K`, timed.
CampaignCost measure_diff_campaign(const std::string& impl, int runs, int max_ops,
                                   int snapshot_every);

}  // namespace cow::bench
