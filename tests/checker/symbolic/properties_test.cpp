// The engines take a list of properties, as pono's take a property: BMC
// and k-induction check what they are given and report in its order.
#include <gtest/gtest.h>

#include <stdexcept>

#include "checker/symbolic/bmc.h"
#include "checker/symbolic/bug.h"
#include "checker/symbolic/kinduction.h"
#include "checker/symbolic/violations.h"

namespace cow::symbolic {
namespace {

// 1 page, 3 frames, 2 processes, 2 words: small enough for a quick depth 3.
SymConfig tiny(Bug bug, std::uint32_t depth) {
  return SymConfig{Config{1, 3, 2, 2}, 2, bug, depth, 2, 1, kAllOps};
}

Property only(InvariantId id) {
  for (const Property& p : invariant_properties())
    if (p.invariant == id) return p;
  throw std::logic_error("not a checked invariant");
}

BmcResult bmc(const SymConfig& config, const std::vector<Property>& properties) {
  z3::context ctx;
  TransitionSystem ts(ctx, config);
  return run_bmc(ts, config.depth, Deadline(120), nullptr, properties);
}

TEST(Properties, TheDefaultListIsTheFourInvariantsInTableOrder) {
  std::vector<Property> all = invariant_properties();
  ASSERT_EQ(all.size(), kCheckedInvariants.size());
  for (std::size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i].invariant, kCheckedInvariants[i]);
}

TEST(Properties, BmcWithOnePropertyFindsExactlyThatOne) {
  // copy-always breaks REUSE at depth 3 (fork, exit, write: the sole owner
  // copies); checked alone, REUSE is what BMC reports, with one answer a depth.
  BmcResult r = bmc(tiny(Mutant::CopyAlways, 3), {only(InvariantId::REUSE)});
  ASSERT_TRUE(r.counterexample);
  EXPECT_EQ(r.counterexample->invariant, InvariantId::REUSE);
  EXPECT_EQ(r.counterexample->depth, 3u);
  EXPECT_EQ(r.clean_depth, 2u);
  for (const DepthReport& d : r.depths) EXPECT_EQ(d.first_violation.size(), 1u);
  EXPECT_EQ(r.depths.back().first_violation[0], Answer::Sat);
}

TEST(Properties, BmcLeavesOutWhatItIsNotGiven) {
  // The same mutant keeps every page's data and every count right: with
  // REUSE left out there is nothing to find.
  BmcResult r = bmc(tiny(Mutant::CopyAlways, 3),
                    {only(InvariantId::ISO), only(InvariantId::WP), only(InvariantId::RC)});
  EXPECT_FALSE(r.counterexample);
  EXPECT_EQ(r.clean_depth, 3u);
  for (const DepthReport& d : r.depths) {
    ASSERT_EQ(d.first_violation.size(), 3u);
    for (Answer a : d.first_violation) EXPECT_EQ(a, Answer::Unsat);
  }
}

TEST(Properties, BmcReportsInTheListsOrder) {
  BmcResult r = bmc(tiny(Mutant::CopyAlways, 3), {only(InvariantId::RC), only(InvariantId::REUSE)});
  ASSERT_TRUE(r.counterexample);
  EXPECT_EQ(r.counterexample->invariant, InvariantId::REUSE);
  ASSERT_EQ(r.depths.back().first_violation.size(), 2u);
  EXPECT_EQ(r.depths.back().first_violation[0], Answer::Unsat);  // RC
  EXPECT_EQ(r.depths.back().first_violation[1], Answer::Sat);    // REUSE
}

TEST(Properties, BmcChecksAPropertyOfItsCaller) {
  // Any term per step will do: "process slot 1 is never live" breaks at
  // the first fork or vfork. (Its invariant only names it in reports.)
  Property second_process{InvariantId::ISO, [](const TransitionSystem&, const SymStep& step) {
                            return std::vector<z3::expr>{step.after->live[1]};
                          }};
  BmcResult r = bmc(tiny(Mutant::None, 2), {second_process});
  ASSERT_TRUE(r.counterexample);
  EXPECT_EQ(r.counterexample->depth, 1u);
  ASSERT_EQ(r.counterexample->trace.ops.size(), 1u);
  OpKind kind = r.counterexample->trace.ops[0].kind;
  EXPECT_TRUE(kind == OpKind::Fork || kind == OpKind::Vfork) << op_kind_name(kind);
}

TEST(Properties, InductionProvesWhatItIsGiven) {
  // The model with the core ops: each invariant alone is proved, as all
  // four are together.
  SymConfig config = tiny(Mutant::None, 2);
  config.ops = kCoreOps;
  z3::context ctx;
  TransitionSystem ts(ctx, config);
  for (InvariantId id : kCheckedInvariants) {
    InductionResult r = run_k_induction(ts, 2, 2, Deadline(120), {only(id)});
    EXPECT_TRUE(r.proved) << invariant_name(id) << ": " << r.unknown;
  }
}

TEST(Properties, AnEmptyListIsRefused) {
  z3::context ctx;
  TransitionSystem ts(ctx, tiny(Mutant::None, 1));
  EXPECT_THROW(run_bmc(ts, 1, Deadline(10), nullptr, {}), std::invalid_argument);
  EXPECT_THROW(run_k_induction(ts, 1, 1, Deadline(10), {}), std::invalid_argument);
}

TEST(Properties, StepChecksBuildEachStepOnceInTheListsOrder) {
  z3::context ctx;
  TransitionSystem ts(ctx, tiny(Mutant::None, 2));
  Unroller u(ts, "");
  StepChecks checks(u, {only(InvariantId::WP), only(InvariantId::ISO)});
  const SymViolations& second = checks.at(2);
  ASSERT_EQ(second.atoms.size(), 2u);
  EXPECT_EQ(&checks.at(2), &second);
  SymViolations again = check_step(ts, u.step(2), checks.properties());
  for (std::size_t i = 0; i < 2; ++i) {
    ASSERT_EQ(again.atoms[i].size(), second.atoms[i].size());
    for (std::size_t a = 0; a < again.atoms[i].size(); ++a)
      EXPECT_TRUE(z3::eq(again.atoms[i][a], second.atoms[i][a]));
  }
}

}  // namespace
}  // namespace cow::symbolic
