// The plug-in zoo, run by the oracle the way a user's plug-in is: through
// cowcheck-worker, never loaded into this process (a mutant may crash, hang,
// exhaust memory or exit). Each mutant's documented trigger is caught, by the
// documented invariant, at its last op; and the random engine with its
// default settings catches every one, as it must catch a user's bug.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <gtest/gtest.h>

#include "app/registry.h"
#include "checker/harness.h"
#include "checker/random_engine.h"
#include "impl/plugin/plugin_impl.h"

namespace cow {
namespace {

struct ZooMutant {
  std::string name;
  std::vector<Op> trigger;  // the shortest path from the start to the bug
  InvariantId caught_by;
  std::string bug;
};

// "write 2 0 1" -> the op; the table's triggers are written as in a .cow file.
Op parse_trigger_op(std::string_view text) {
  std::vector<std::string_view> words;
  for (std::size_t at = 0; at < text.size();) {
    std::size_t end = std::min(text.find(' ', at), text.size());
    if (end > at) words.push_back(text.substr(at, end - at));
    at = end + 1;
  }
  auto parsed = parse_op(words);
  if (auto* why = std::get_if<std::string>(&parsed))
    throw std::invalid_argument("zoo_mutants.def: '" + std::string(text) + "': " + *why);
  return std::get<Op>(parsed);
}

ZooMutant row(std::string_view bug_switch, InvariantId caught_by, std::string_view trigger,
              std::string_view bug) {
  ZooMutant m{std::string(bug_switch), {}, caught_by, std::string(bug)};
  for (char& c : m.name) c = c == '_' ? '-' : static_cast<char>(std::tolower(c));
  for (std::size_t at = 0; at < trigger.size();) {
    std::size_t end = std::min(trigger.find(", ", at), trigger.size());
    m.trigger.push_back(parse_trigger_op(trigger.substr(at, end - at)));
    at = end + 2;
  }
  return m;
}

// The one list of the zoo, which CMake builds from too.
const std::vector<ZooMutant>& zoo() {
  static const std::vector<ZooMutant> all = {
#define ZOO_MUTANT(name, caught_by, trigger, bug) row(#name, InvariantId::caught_by, trigger, bug),
#include "tests/mutants/zoo_mutants.def"
#undef ZOO_MUTANT
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
    ASSERT_TRUE(r.violation) << m.name << " (" << m.bug << ") was not caught";
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
    ASSERT_TRUE(r.finding) << m.name << " (" << m.bug << ") was not caught in " << r.runs
                           << " runs";
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
