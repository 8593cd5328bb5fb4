#include "bench/campaign_bench.h"

#include <ctime>
#include <random>
#include <stdexcept>
#include <vector>

#include "app/registry.h"
#include "bench/measure.h"
#include "checker/diff_engine.h"
#include "spec/semantics.h"

namespace cow::bench {

namespace {

// The random engine's mix (op_gen.cpp) from a plain PRNG, so that timing
// the implementation does not time RapidCheck: forks of the youngest,
// writes and reads of the few low pages, exits of any but the last.
std::vector<Op> generate(std::mt19937& rng, const Config& config, int length) {
  Semantics sem(config);
  std::vector<Op> ops;
  while (static_cast<int>(ops.size()) < length) {
    std::vector<Pid> live;
    for (const auto& [pid, proc] : sem.processes()) live.push_back(pid);
    std::size_t back = rng() % 6 < 3 ? 0 : rng() % live.size();
    Pid pid = live[live.size() - 1 - back];
    Vpn vpn = rng() % 3;
    std::uint32_t word = rng() % config.words;
    Op op;
    switch (rng() % 13) {
      case 0:
      case 1:
      case 2:
      case 3: op = Op::fork(pid); break;
      case 4:
      case 5:
      case 6:
      case 7:
      case 8: op = Op::write(pid, vpn, 1 + rng() % 7, word); break;
      case 9:
      case 10: op = Op::read(pid, vpn, word); break;
      default:
        if (live.size() == 1) continue;
        op = Op::exit(pid);
    }
    sem.apply(op, sem.expect(op));
    ops.push_back(op);
  }
  return ops;
}

double thread_cpu_seconds() {
  timespec t{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

}  // namespace

double measure_ops_per_second(const std::string& impl, int sequences, int length) {
  Config config{};
  std::mt19937 rng(1);
  std::vector<std::vector<Op>> all;
  for (int i = 0; i < sequences; ++i) all.push_back(generate(rng, config, length));
  Clock::time_point start = Clock::now();
  std::uint64_t ops = 0;
  for (const std::vector<Op>& sequence : all) {
    std::unique_ptr<Implementation> instance = make_implementation(impl, config);
    if (!instance) throw std::runtime_error("bench: unknown implementation " + impl);
    for (const Op& op : sequence) keep(instance->apply(op));
    ops += sequence.size();
  }
  return ops / (ns_since(start) / 1e9);
}

CampaignCost measure_diff_campaign(const std::string& impl, int runs, int max_ops,
                                   int snapshot_every) {
  Config config{};
  DiffOptions options;
  options.check.config = config;
  options.check.runs = runs;
  options.check.max_ops = max_ops;
  options.snapshot_every = snapshot_every;
  double cpu_start = thread_cpu_seconds();
  CheckResult r = diff_random([&] { return make_implementation("model", config); },
                              [&] { return make_implementation(impl, config); }, options);
  double cpu = thread_cpu_seconds() - cpu_start;
  if (!r.error.empty()) throw std::runtime_error("bench: " + r.error);
  return {cpu > 0 ? r.ops / cpu : 0, r.seconds > 0 ? r.ops / r.seconds : 0, r.ops,
          !r.finding.has_value()};
}

}  // namespace cow::bench
