// The symbolic engine end to end, pono-style: the model has nothing to
// find and k-induction closes for it; every mutant is refuted with a
// counterexample that replays.
#include <filesystem>

#include <gtest/gtest.h>

#include "checker/cow_file.h"
#include "checker/symbolic/bug.h"
#include "checker/symbolic/prove.h"

namespace cow::symbolic {
namespace {

ProveOptions tiny(const std::string& impl, std::uint32_t depth) {
  ProveOptions o;
  o.impl = impl;
  o.machine = Config{1, 3, 2, 2};  // pages, frames, procs, words
  o.values = 2;
  o.depth = depth;
  o.out_dir.clear();
  o.timeout_seconds = 120;
  return o;
}

TEST(Prove, TheModelHasNoViolationUpToTheDepth) {
  ProveResult r = prove(tiny("model", 5));
  EXPECT_EQ(r.verdict, Verdict::Clean);
  EXPECT_EQ(r.bmc.clean_depth, 5u);
  EXPECT_FALSE(r.bmc.counterexample);
  ASSERT_EQ(r.bmc.depths.size(), 5u);
  for (const DepthReport& d : r.bmc.depths)
    for (Answer a : d.first_violation) EXPECT_EQ(a, Answer::Unsat);
}

TEST(Prove, KInductionClosesForTheModelOnlyWhenStrengthened) {
  ProveOptions o = tiny("model", 2);
  o.induction = true;
  ProveResult r = prove(o);
  ASSERT_EQ(r.verdict, Verdict::Proved);
  ASSERT_TRUE(r.induction);
  EXPECT_TRUE(r.induction->strengthened);
  EXPECT_EQ(r.induction->k, 1u);
  // Plain 1-induction starts from unreachable states: it must fail, with a
  // counterexample to induction to show.
  ASSERT_GE(r.induction->attempts.size(), 2u);
  EXPECT_FALSE(r.induction->attempts[0].strengthened);
  EXPECT_EQ(r.induction->attempts[0].answer, Answer::Sat);
  EXPECT_NE(r.induction->attempts[0].cti.find("<--"), std::string::npos);
}

TEST(Prove, InductionIsNeverTriedOnAMutantItRefutes) {
  ProveOptions o = tiny("mutant:copy-always", 4);
  o.induction = true;
  ProveResult r = prove(o);
  EXPECT_EQ(r.verdict, Verdict::Violation);
  EXPECT_FALSE(r.induction);
}

TEST(Prove, ATimeoutIsUnknownNeverClean) {
  ProveOptions o = tiny("model", 50);
  o.machine = Config{2, 6, 3, 2};
  o.timeout_seconds = 0.5;
  ProveResult r = prove(o);
  EXPECT_EQ(r.verdict, Verdict::Unknown);
  EXPECT_LT(r.bmc.clean_depth, 50u);
  EXPECT_FALSE(r.bmc.unknown.empty());
}

TEST(Prove, RejectsWhatItCannotEncode) {
  EXPECT_THROW(prove(tiny("fast", 2)), std::invalid_argument);
  EXPECT_THROW(prove(tiny("mutant:no-such", 2)), std::invalid_argument);
  ProveOptions o = tiny("model", 2);
  o.machine.frames = 0;
  EXPECT_THROW(prove(o), std::invalid_argument);
}

class ProveMutant : public ::testing::TestWithParam<Bug> {};

TEST_P(ProveMutant, FindsACounterexampleThatReplays) {
  ProveOptions o = tiny(impl_of(GetParam()), 4);
  o.out_dir = std::filesystem::path(testing::TempDir()) / "prove-test";
  ProveResult r = prove(o);
  ASSERT_EQ(r.verdict, Verdict::Violation) << r.encoding_bug;
  ASSERT_TRUE(r.replayed);
  EXPECT_EQ(r.replayed->id, r.invariant);
  EXPECT_EQ(r.replay_failed_at, r.ops.size());
  EXPECT_EQ(r.bmc.clean_depth + 1, r.ops.size()) << "shorter depths must all be UNSAT";
  // The file is a replayable .cow naming the same invariant.
  CowFile file = read_cow(r.file);
  EXPECT_EQ(file.impl, o.impl);
  EXPECT_EQ(file.ops, r.ops);
  EXPECT_EQ(file.invariant, r.invariant);
}

INSTANTIATE_TEST_SUITE_P(All, ProveMutant, ::testing::ValuesIn(all_bugs()), [](const auto& info) {
  std::string name = impl_of(info.param).substr(7);
  for (char& c : name)
    if (c == '-') c = '_';
  return name;
});

}  // namespace
}  // namespace cow::symbolic
