// The symbolic engine end to end, pono-style: the model has nothing to
// find and k-induction closes for it; every mutant is refuted with a
// counterexample that replays.
#include <filesystem>

#include <gtest/gtest.h>

#include "app/registry.h"
#include "checker/cow_file.h"
#include "checker/harness.h"
#include "checker/symbolic/bug.h"
#include "checker/symbolic/prove.h"
#include "checker/symbolic/unroller.h"
#include "checker/symbolic/violations.h"
#include "checker/symbolic/witness.h"

namespace cow::symbolic {
namespace {

ProveOptions tiny(const std::string& impl, std::uint32_t depth) {
  ProveOptions o;
  o.impl = impl;
  o.machine = Config{1, 3, 2, 2};  // pages, frames, procs, words
  o.values = 2;
  o.depth = depth;
  o.timeout_seconds = 120;
  o.make = make_implementation;
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
  o.ops = kCoreOps;
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

// The reuse policies: Linux's history, found again by the solver.
ProveOptions policy(ReusePolicy p, std::uint32_t depth) {
  ProveOptions o = tiny("model", depth);
  o.machine.policy = p;
  return o;
}

bool takes_a_pin(const std::vector<Op>& ops) {
  for (const Op& op : ops)
    if (op.kind == OpKind::Pin) return true;
  return false;
}

TEST(ProvePolicy, PagecountLosesAPinToWrongWayCow) {
  ProveResult r = prove(policy(ReusePolicy::PageCount, 4));
  ASSERT_EQ(r.verdict, Verdict::Violation) << r.encoding_bug;
  EXPECT_EQ(r.ops.size(), 3u) << "no shorter sequence breaks it";
  EXPECT_EQ(r.invariant, InvariantId::ISO);
  ASSERT_TRUE(r.replayed);
  EXPECT_EQ(r.replayed->id, InvariantId::ISO);
  EXPECT_TRUE(takes_a_pin(r.ops));
  EXPECT_NE(r.replayed->detail.find("pin"), std::string::npos) << to_string(*r.replayed);
}

TEST(ProvePolicy, MapcountLosesAPinToo) {
  ProveResult r = prove(policy(ReusePolicy::MapCount, 4));
  ASSERT_EQ(r.verdict, Verdict::Violation) << r.encoding_bug;
  EXPECT_EQ(r.ops.size(), 3u);
  ASSERT_TRUE(r.replayed);
  EXPECT_EQ(r.replayed->id, InvariantId::ISO);
  EXPECT_TRUE(takes_a_pin(r.ops));
}

TEST(ProvePolicy, MapcountCannotSeeTheCveWithoutItsOps) {
  // CVE-2020-29374 needs fork, a pin, an exit and a write: with pins left
  // out, mapcount is as clean as the others.
  ProveOptions o = policy(ReusePolicy::MapCount, 4);
  o.ops = kCoreOps;
  EXPECT_EQ(prove(o).verdict, Verdict::Clean);
}

TEST(ProvePolicy, ExclusiveFindsNothing) {
  ProveResult r = prove(policy(ReusePolicy::Exclusive, 4));
  EXPECT_EQ(r.verdict, Verdict::Clean) << (r.ops.empty() ? "" : to_string(r.ops.back()));
  EXPECT_EQ(r.bmc.clean_depth, 4u);
}

TEST(ProvePolicy, ExclusiveFindsNothingWithKillAndTwoPages) {
  ProveOptions o = policy(ReusePolicy::Exclusive, 3);
  o.machine = Config{2, 3, 2, 1};
  o.machine.oom = OomPolicy::Kill;
  ProveResult r = prove(o);
  EXPECT_EQ(r.verdict, Verdict::Clean) << (r.ops.empty() ? "" : to_string(r.ops.back()));
}

// The witnesses the brief names, run concretely: what the solver finds is
// what the model does.
TEST(ProvePolicy, TheKnownWitnessesReplay) {
  Config c{1, 3, 2, 2};
  std::vector<Op> wrong_way{Op::pin_page(1, 0), Op::fork(1), Op::write(1, 0, 1)};
  std::vector<Op> cve{Op::fork(1), Op::pin_page(2, 0), Op::exit(2), Op::write(1, 0, 1)};
  for (ReusePolicy p : {ReusePolicy::MapCount, ReusePolicy::PageCount, ReusePolicy::Exclusive}) {
    c.policy = p;
    RunResult a = run_ops(make_implementation("model", c), c, wrong_way);
    RunResult b = run_ops(make_implementation("model", c), c, cve);
    EXPECT_EQ(a.violation.has_value(), p != ReusePolicy::Exclusive) << policy_name(p);
    EXPECT_EQ(b.violation.has_value(), p == ReusePolicy::MapCount) << policy_name(p);
  }
}

// CVE-2020-29374 as the encoding sees it: fix the four ops (fork, the
// child pins read-only, the child exits, the parent writes) and ask whether
// the last step breaks ISO: yes under mapcount only.
TEST(ProvePolicy, TheEncodingSeesCve202029374UnderMapcountOnly) {
  for (ReusePolicy p : {ReusePolicy::MapCount, ReusePolicy::PageCount, ReusePolicy::Exclusive}) {
    Config machine{1, 3, 2, 2};
    machine.policy = p;
    SymConfig config{machine, 2, Bug::None, 4, 2, 1, kAllOps};
    z3::context ctx;
    TransitionSystem ts(ctx, config);
    Unroller u(ts, "");
    z3::solver solver(ctx, "QF_BV");
    solver.add(ts.init(u.state(0)));
    struct Fixed {
      OpKind kind;
      std::uint32_t slot;
      Value value;
    };
    Fixed ops[] = {
        {OpKind::Fork, 0, 0}, {OpKind::Pin, 1, 0}, {OpKind::Exit, 1, 0}, {OpKind::Write, 0, 1}};
    for (std::uint32_t t = 1; t <= 4; ++t) {
      const SymOp& op = u.op(t);
      solver.add(u.step(t).relation);
      solver.add(ts.kind_is(op, ops[t - 1].kind) && op.slot == ts.slot_val(ops[t - 1].slot) &&
                 op.vpn == ts.vpn_val(0) && op.word == ts.word_val(0) &&
                 op.value == ts.value_val(ops[t - 1].value) && !op.rw);
    }
    ASSERT_EQ(solver.check(), z3::sat) << policy_name(p);
    for (std::uint32_t t = 1; t <= 3; ++t)
      EXPECT_TRUE(solver.get_model().eval(!check_step(ts, u.step(t)).any(), true).is_true())
          << policy_name(p);
    static_assert(kCheckedInvariants[0] == InvariantId::ISO);
    solver.add(check_step(ts, u.step(4)).first(0));
    EXPECT_EQ(solver.check(), p == ReusePolicy::MapCount ? z3::sat : z3::unsat) << policy_name(p);
  }
}

TEST(ProveOps, EveryOpKindIsGeneratableAndItsWitnessReplays) {
  // For each encoded op kind: a run of up to 3 steps from the initial
  // state whose last op is that kind and succeeds; its witness must replay
  // on the model with that op returning ok.
  for (OpKind k : kAllOpKinds) {
    if (!op_in(kEncodedOps, k)) continue;
    SymConfig config{Config{2, 4, 2, 2}, 2, Bug::None, 3, 2, 1, kEncodedOps};
    z3::context ctx;
    TransitionSystem ts(ctx, config);
    Unroller u(ts, "");
    z3::solver solver(ctx, "QF_BV");
    solver.add(ts.init(u.state(0)));
    bool found = false;
    for (std::uint32_t d = 1; d <= 3 && !found; ++d) {
      solver.add(u.step(d).relation);
      const SymOutcome& out = u.step(d).outcome;
      solver.push();
      solver.add(ts.kind_is(u.op(d), k) && !out.prot_fault && !out.out_of_memory && !out.killed &&
                 !out.busy);
      if (k == OpKind::Swapout) {  // one that really evicts
        z3::expr_vector any(ctx);
        for (const auto& table : u.state(d).pte)
          for (const SymPte& p : table) any.push_back(p.swapped);
        solver.add(z3::mk_or(any));
      }
      if (solver.check() == z3::sat) {
        found = true;
        std::vector<Op> ops = to_ops(read_trace(solver.get_model(), u, d));
        Trace trace =
            trace_ops(make_implementation("model", config.machine), config.machine, ops, false);
        EXPECT_FALSE(trace.violation) << op_kind_name(k);
        ASSERT_EQ(trace.steps.size(), ops.size()) << op_kind_name(k);
        EXPECT_EQ(trace.steps.back().op.kind, k);
        EXPECT_EQ(trace.steps.back().outcome.status, Status::Ok)
            << op_kind_name(k) << ": " << to_string(trace.steps.back().op) << " -> "
            << to_string(trace.steps.back().outcome);
      }
      solver.pop();
    }
    EXPECT_TRUE(found) << op_kind_name(k) << " is never generated";
  }
}

TEST(ProveEncodingBug, AReplayThatDisagreesIsAnEncodingBug) {
  // Encode copy-always, replay on the model: Z3's counterexample breaks
  // nothing there, and prove must say ENCODING BUG, not VIOLATION.
  ProveOptions o = tiny("mutant:copy-always", 4);
  o.replay_impl = "model";
  ProveResult r = prove(o);
  EXPECT_EQ(r.verdict, Verdict::EncodingBug);
  EXPECT_NE(r.encoding_bug.find("breaks nothing"), std::string::npos) << r.encoding_bug;
}

TEST(ProveEncodingBug, AWitnessThatIsNotARunIsAnEncodingBug) {
  SlotTrace trace;
  trace.live = {{true, false}, {true, false}};
  trace.held = {{false}, {false}};
  trace.ops = {SlotOp{OpKind::Write, 1, 0, 1, 0}};
  EXPECT_THROW(to_ops(trace), std::logic_error);
  trace.ops = {SlotOp{OpKind::Unpin, 0, 0, 0, 0, 0, MapKind::None, false, 0}};
  EXPECT_THROW(to_ops(trace), std::logic_error);
}

TEST(ProveOps, TheWitnessNumbersPidsAndPins) {
  SlotTrace trace;
  // fork (child in slot 1), pin by the child, exit of the parent, unpin.
  trace.live = {{true, false}, {true, true}, {true, true}, {false, true}, {false, true}};
  trace.held = {{false, false}, {false, false}, {true, false}, {true, false}, {false, false}};
  trace.ops = {SlotOp{OpKind::Fork, 0}, SlotOp{OpKind::Pin, 1, 0, 0, 0, 0, MapKind::None, true},
               SlotOp{OpKind::Exit, 0},
               SlotOp{OpKind::Unpin, 0, 0, 0, 1, 0, MapKind::None, false, 0}};
  std::vector<Op> ops = to_ops(trace);
  ASSERT_EQ(ops.size(), 4u);
  EXPECT_EQ(ops[0], Op::fork(1));
  EXPECT_EQ(ops[1], Op::pin_page(2, 0, true));
  EXPECT_EQ(ops[2], Op::exit(1));
  EXPECT_EQ(ops[3], Op::unpin(1, 1));
}

TEST(ProveOps, AWitnessOpIsTheOpAsCowFilesPrintIt) {
  // Only the fields an op's kind takes are kept, so the witness prints and
  // compares as a .cow file's op does.
  EXPECT_EQ(to_string(as_op(SlotOp{OpKind::Write, 1, 0, 2, 1}, 2, 0)), "write 2 0 2 1");
  EXPECT_EQ(as_op(SlotOp{OpKind::Write, 1, 0, 2, 1}, 2, 0), Op::write(2, 0, 2, 1));
  SlotOp pin{OpKind::Pin, 0, 1, 0, 0, 0, MapKind::None, true};
  EXPECT_EQ(to_string(as_op(pin, 1, 0)), "pin 1 1 rw");
  SlotOp unpin{OpKind::Unpin, 0, 0, 0, 1, 0, MapKind::None, false, 0};
  EXPECT_EQ(as_op(unpin, 0, 3), Op::unpin(3, 1));
  SlotOp mmap{OpKind::Mmap, 0, 1, 0, 0, 1, MapKind::PrivateAnon};
  EXPECT_EQ(to_string(as_op(mmap, 1, 0)), "mmap 1 1 1 private-anon");
  // A fork takes nothing but its pid, whatever else the slot op holds.
  SlotOp fork{OpKind::Fork, 0, 1, 2, 1, 1, MapKind::PrivateAnon, true, 1};
  EXPECT_EQ(as_op(fork, 1, 5), Op::fork(1));
}

TEST(Prove, InductionClosesForTheCoreOpsUnderEveryPolicy) {
  for (ReusePolicy p : {ReusePolicy::MapCount, ReusePolicy::PageCount, ReusePolicy::Exclusive}) {
    ProveOptions o = policy(p, 2);
    o.ops = kCoreOps;
    o.induction = true;
    ProveResult r = prove(o);
    EXPECT_EQ(r.verdict, Verdict::Proved) << policy_name(p);
  }
}

class ProveMutant : public ::testing::TestWithParam<Bug> {};

TEST_P(ProveMutant, FindsACounterexampleThatReplays) {
  ProveOptions o = tiny(impl_of(GetParam()), 4);
  ProveResult r = prove(o);
  ASSERT_EQ(r.verdict, Verdict::Violation) << r.encoding_bug;
  ASSERT_TRUE(r.replayed);
  EXPECT_EQ(r.replayed->id, r.invariant);
  EXPECT_EQ(r.replay_failed_at, r.ops.size());
  EXPECT_EQ(r.bmc.clean_depth + 1, r.ops.size()) << "shorter depths must all be UNSAT";
  // What its .cow file shows beside each op (the file itself: commands_test).
  EXPECT_EQ(r.outcomes.size(), r.ops.size());
}

INSTANTIATE_TEST_SUITE_P(All, ProveMutant, ::testing::ValuesIn(all_bugs()), [](const auto& info) {
  std::string name = impl_of(info.param).substr(7);
  for (char& c : name)
    if (c == '-') c = '_';
  return name;
});

}  // namespace
}  // namespace cow::symbolic
