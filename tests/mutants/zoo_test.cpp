// The plug-in zoo, run by the oracle the way a user's plug-in is: through
// cowcheck-worker, never loaded into this process (a mutant may crash, hang,
// exhaust memory or exit). Each mutant's documented trigger is caught, by the
// documented invariant, at its last op; and the random engine with its
// default settings catches every one, as it must catch a user's bug.
#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "checker/harness.h"
#include "checker/random_engine.h"
#include "app/registry.h"
#include "impl/plugin/plugin_impl.h"

namespace cow {
namespace {

struct ZooMutant {
  std::string name;
  std::vector<Op> trigger;  // the shortest path from the start to the bug
  InvariantId caught_by;
};

const std::vector<ZooMutant>& zoo() {
  static const std::vector<ZooMutant> all = {
      {"missed-cow", {Op::fork(1)}, InvariantId::WP},
      {"missed-cow-grandchild", {Op::fork(1), Op::write(2, 0, 1), Op::fork(2)}, InvariantId::WP},
      {"missing-cow-bit", {Op::fork(1)}, InvariantId::WP},
      {"wrong-cow-frame", {Op::fork(1), Op::write(2, 0, 1)}, InvariantId::ISO},
      {"wrong-cow-partial", {Op::fork(1), Op::write(2, 0, 1)}, InvariantId::ISO},
      {"unnecessary-cow", {Op::fork(1), Op::exit(1), Op::write(2, 0, 1)}, InvariantId::REUSE},
      {"reuse-by-mapcount", {Op::fork(1), Op::write(2, 0, 1)}, InvariantId::ISO},
      {"refcount-leak", {Op::fork(1), Op::exit(1)}, InvariantId::RC},
      // The double drop frees the frame pid 1 still maps; its poison shows first.
      {"refcount-underflow", {Op::fork(1), Op::write(2, 0, 1)}, InvariantId::ISO},
      {"free-while-mapped", {Op::fork(1), Op::exit(1)}, InvariantId::ISO},
      {"fault-loop", {Op::fork(1), Op::exit(1), Op::write(2, 0, 1)}, InvariantId::HANG},
      {"crash-rare-path", {Op::fork(1), Op::exit(2), Op::fork(1)}, InvariantId::CRASH},
      {"abort-on-assert", {Op::fork(1), Op::fork(2), Op::write(3, 0, 1)}, InvariantId::CRASH},
      {"oom-leak", {Op::fork(1), Op::fork(2)}, InvariantId::OOM},
      {"calls-exit", {Op::fork(1), Op::exit(1)}, InvariantId::EXIT},
      // ABI version 2: the kernel's store skips the COW fault, so the
      // child sees its parent's copyout.
      {"copyout-no-cow", {Op::fork(1), Op::copyout(1, 0, 1)}, InvariantId::ISO},
      // The unmapped page's frame keeps a reference nobody holds.
      {"munmap-leak", {Op::munmap(1, 0, 1)}, InvariantId::RC},
      // Out of memory with the one frame the copy needs still free.
      {"oom-keeps-reserve",
       {Op::fork(1), Op::write(2, 0, 1), Op::write(2, 1, 1), Op::write(2, 2, 1),
        Op::write(2, 3, 1)},
       InvariantId::RC},
      // The pin is gone but its count stays: swapout answers busy.
      {"unpin-keeps-pincount", {Op::pin_page(1, 0), Op::unpin(1), Op::swapout(1, 0)},
       InvariantId::RC},
  };
  return all;
}

std::string library(const std::string& name) {
  return std::string(COW_PLUGIN_DIR) + "/libcowzoo-" + name + ".so";
}

ImplFactory factory(const std::string& path, const Config& config,
                    const plugin::WorkerLimits& limits = {}) {
  return [path, config, limits] {
    return std::make_unique<plugin::PluginImplementation>(path, config, limits, COW_WORKER);
  };
}

// The worker's op timeout is wall-clock time: on a loaded machine, filling
// its 256 MiB takes oom-leak longer than the default 500 ms, and its OOM is
// reported as a HANG. Only the mutant that hangs keeps the default, so that
// its runs stay quick.
ImplFactory factory(const ZooMutant& m, const Config& config) {
  plugin::WorkerLimits limits;
  if (m.caught_by != InvariantId::HANG) limits.op_timeout = std::chrono::seconds(5);
  return factory(library(m.name), config, limits);
}

bool stops(InvariantId id) {
  return id == InvariantId::CRASH || id == InvariantId::HANG || id == InvariantId::OOM ||
         id == InvariantId::EXIT;
}

TEST(Zoo, EveryBuiltMutantIsDescribedHere) {
  std::vector<std::string> built;
  for (const ImplInfo& info : implementations())
    if (info.name.starts_with("zoo:")) built.push_back(info.name.substr(4));
  std::vector<std::string> described;
  for (const ZooMutant& m : zoo()) described.push_back(m.name);
  std::sort(described.begin(), described.end());
  EXPECT_EQ(built, described);
  EXPECT_GE(described.size(), 19u);
}

TEST(Zoo, EachTriggerIsCaughtByItsInvariantAtItsLastOp) {
  Config config;
  for (const ZooMutant& m : zoo()) {
    RunResult r = run_ops(factory(m, config)(), config, m.trigger);
    ASSERT_TRUE(r.violation) << m.name << " was not caught";
    EXPECT_EQ(r.violation->id, m.caught_by) << m.name << ": " << to_string(*r.violation);
    EXPECT_EQ(r.failed_at + 1, m.trigger.size()) << m.name << ": " << to_string(*r.violation);
    // A plug-in that stops on the first op leaves the shrinker nothing to do.
    if (stops(m.caught_by)) {
      EXPECT_GE(m.trigger.size(), 2u) << m.name;
    }
  }
}

TEST(Zoo, TheRandomEngineCatchesEveryMutantWithItsDefaults) {
  for (const ZooMutant& m : zoo()) {
    CheckOptions options;
    CheckResult r = check_random(factory(m, options.config), options);
    EXPECT_TRUE(r.error.empty()) << m.name << ": " << r.error;
    ASSERT_TRUE(r.finding) << m.name << " was not caught in " << r.runs << " runs";
    EXPECT_EQ(r.finding->violation.id, m.caught_by)
        << m.name << ": " << to_string(r.finding->violation);
    EXPECT_TRUE(r.finding->reproduced) << m.name;
    EXPECT_LE(r.finding->ops.size(), m.trigger.size()) << m.name;
  }
}

TEST(Zoo, TheExamplePluginPassesTheRandomEngine) {
  CheckOptions options;
  CheckResult r = check_random(
      factory(std::string(COW_PLUGIN_DIR) + "/libcow-example.so", options.config), options);
  EXPECT_TRUE(r.error.empty()) << r.error;
  EXPECT_FALSE(r.finding) << to_string(r.finding->violation);
  EXPECT_EQ(r.runs, options.runs);
}

}  // namespace
}  // namespace cow
