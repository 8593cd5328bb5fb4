#include "checker/random_engine.h"

#include <stdexcept>

#include <gtest/gtest.h>

#include "app/registry.h"
#include "checker/cow_file.h"
#include "checker/harness.h"
#include "model/cow_model.h"

namespace cow {
namespace {

ImplFactory factory(const std::string& name, const Config& config) {
  return [name, config] { return make_implementation(name, config); };
}

TEST(RandomEngine, TheModelPassesTenThousandRuns) {
  CheckOptions options;
  options.runs = 10000;
  CheckResult r = check_random(factory("model", options.config), options);
  EXPECT_TRUE(r.error.empty()) << r.error;
  EXPECT_FALSE(r.finding) << to_string(r.finding->violation);
  EXPECT_EQ(r.runs, 10000);
  EXPECT_GT(r.ops, 100000u);
}

// No mutant is named here: whatever the registry holds must be caught by
// the invariants with the default settings, in a short counterexample.
TEST(RandomEngine, EveryBuiltInMutantIsCaughtWithAShortCounterexample) {
  int mutants = 0;
  for (const ImplInfo& info : implementations()) {
    if (!info.is_mutant || !info.name.starts_with("mutant:")) continue;
    ++mutants;
    CheckOptions options;
    ImplFactory make = factory(info.name, options.config);
    CheckResult r = check_random(make, options);
    ASSERT_TRUE(r.finding) << info.name << " was not caught";
    const Finding& f = *r.finding;
    EXPECT_TRUE(f.reproduced) << info.name;
    EXPECT_LE(f.ops.size(), 8u) << info.name;
    EXPECT_LT(r.seconds, 10.0) << info.name;

    // The counterexample is 1-minimal: without any one op it passes or
    // breaks a different invariant.
    RunResult full = run_ops(make(), options.config, f.ops);
    ASSERT_TRUE(full.violation) << info.name;
    EXPECT_EQ(full.violation->id, f.violation.id) << info.name;
    for (std::size_t i = 0; i < f.ops.size(); ++i) {
      std::vector<Op> less = f.ops;
      less.erase(less.begin() + static_cast<std::ptrdiff_t>(i));
      RunResult r2 = run_ops(make(), options.config, less);
      EXPECT_FALSE(r2.violation && r2.violation->id == f.violation.id)
          << info.name << " still fails without op " << i;
    }
  }
  EXPECT_GE(mutants, 8);
}

TEST(RandomEngine, TheSameSeedGivesTheSameCounterexample) {
  CheckOptions options;
  options.seed = 42;
  ImplFactory make = factory("mutant:copy-always", options.config);
  CheckResult a = check_random(make, options);
  CheckResult b = check_random(make, options);
  ASSERT_TRUE(a.finding && b.finding);
  EXPECT_EQ(a.finding->ops, b.finding->ops);
  EXPECT_EQ(a.runs, b.runs);
}

// An implementation that panics on its third op: the harness must report a
// CRASH and survive, and the engine must still shrink it.
class PanicsOnThirdOp : public model::CowModel {
 public:
  using CowModel::CowModel;
  Outcome apply(const Op& op) override {
    if (++ops_ == 3) throw std::runtime_error("kernel BUG at mm/memory.c");
    return CowModel::apply(op);
  }

 private:
  int ops_ = 0;
};

TEST(RandomEngine, AnImplementationThatThrowsIsACrashFinding) {
  CheckOptions options;
  ImplFactory make = [&] { return std::make_unique<PanicsOnThirdOp>(options.config); };
  CheckResult r = check_random(make, options);
  ASSERT_TRUE(r.finding);
  EXPECT_EQ(r.finding->violation.id, InvariantId::CRASH);
  EXPECT_EQ(r.finding->ops.size(), 3u);
  EXPECT_NE(r.finding->violation.detail.find("mm/memory.c"), std::string::npos);
}

}  // namespace
}  // namespace cow
