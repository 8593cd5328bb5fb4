// The three engines on the same small machine: for the model, prove and
// explore find nothing (and k-induction closes); for every mutant, prove and
// explore find counterexamples of the same, shortest, length, and the
// random engine's shrunk one is no shorter.
#include <gtest/gtest.h>

#include "app/registry.h"
#include "checker/explore/explorer.h"
#include "checker/random_engine.h"
#include "checker/symbolic/bug.h"
#include "checker/symbolic/prove.h"

namespace cow {
namespace {

constexpr Config kMachine{1, 3, 2, 2};  // pages, frames, procs, words
constexpr std::uint32_t kValues = 2;

symbolic::ProveOptions prove_options(const std::string& impl) {
  symbolic::ProveOptions o;
  o.impl = impl;
  o.machine = kMachine;
  o.values = kValues;
  o.depth = 4;
  o.timeout_seconds = 120;
  o.make = make_implementation;
  return o;
}

explore::ExploreResult explore_impl(const std::string& impl, OpSet ops = kCoreOps) {
  explore::ExploreOptions o;
  o.ops = ops;
  o.machine = kMachine;
  o.values = kValues;
  o.timeout_seconds = 120;
  return explore::run_explore([&] { return make_implementation(impl, kMachine); }, o);
}

TEST(EnginesAgree, OnTheModel) {
  symbolic::ProveOptions p = prove_options("model");
  p.induction = true;
  symbolic::ProveResult proved = symbolic::prove(p);
  EXPECT_EQ(proved.verdict, symbolic::Verdict::Proved);
  explore::ExploreResult explored = explore_impl("model");
  EXPECT_TRUE(explored.complete);
  EXPECT_FALSE(explored.finding);
}

class EnginesAgreeOn : public ::testing::TestWithParam<symbolic::Bug> {};

TEST_P(EnginesAgreeOn, TheShortestCounterexample) {
  std::string impl = symbolic::impl_of(GetParam());
  symbolic::ProveResult proved = symbolic::prove(prove_options(impl));
  ASSERT_EQ(proved.verdict, symbolic::Verdict::Violation) << proved.encoding_bug;
  // Explore tries the kinds prove's counterexample uses (every kind at
  // once would multiply the state space for nothing).
  OpSet used = kCoreOps;
  for (const Op& op : proved.ops) used |= op_mask(op.kind);
  explore::ExploreResult explored = explore_impl(impl, used);
  ASSERT_TRUE(explored.finding);
  EXPECT_EQ(explored.finding->ops.size(), proved.ops.size());
  EXPECT_EQ(explored.finding->violation.id, proved.replayed->id);

  CheckOptions random;
  random.config = kMachine;
  random.runs = 300;
  CheckResult checked = check_random([&] { return make_implementation(impl, kMachine); }, random);
  ASSERT_TRUE(checked.finding) << "the random engine missed " << impl;
  EXPECT_GE(checked.finding->ops.size(), proved.ops.size());
}

INSTANTIATE_TEST_SUITE_P(All, EnginesAgreeOn, ::testing::ValuesIn(symbolic::all_bugs()),
                         [](const auto& info) {
                           std::string name = symbolic::impl_of(info.param).substr(7);
                           for (char& c : name)
                             if (c == '-') c = '_';
                           return name;
                         });

}  // namespace
}  // namespace cow
