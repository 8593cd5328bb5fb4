// The encoding, step for step against the real model and mutants: fix the
// ops of an unrolling to a concrete sequence and the one model Z3 finds
// must be the concrete run — the same page tables (frame numbers too: both
// allocate the lowest free frame), refcounts, contents, and the same first
// violation at the same step. A disagreement is an encoding bug.
#include <random>

#include <gtest/gtest.h>

#include "checker/harness.h"
#include "checker/registry.h"
#include "checker/symbolic/bug.h"
#include "checker/symbolic/unroller.h"

namespace cow::symbolic {
namespace {

constexpr Config kMachine{2, 4, 3, 2};  // pages, frames, procs, words
constexpr std::uint32_t kValues = 2;

// Random valid ops, weighted toward forks and writes so that runs reach
// shared frames, copies, reuses and out-of-memory.
std::vector<Op> random_ops(std::mt19937& rng, std::size_t n) {
  Semantics sem(kMachine);
  std::vector<Op> ops;
  auto below = [&rng](std::uint32_t n) { return std::uniform_int_distribution<std::uint32_t>(0, n - 1)(rng); };
  while (ops.size() < n && !sem.spaces().empty()) {
    auto it = std::next(sem.spaces().begin(), below(static_cast<std::uint32_t>(sem.spaces().size())));
    Pid pid = it->first;
    std::uint32_t kind = below(10);
    Op op = Op::read(pid, below(kMachine.pages), below(kMachine.words));
    if (kind < 3) op = Op::fork(pid);
    else if (kind < 8) op = Op::write(pid, below(kMachine.pages), 1 + below(kValues), below(kMachine.words));
    else if (kind == 9) op = Op::exit(pid);
    if (op.kind == OpKind::Fork && sem.spaces().size() >= kMachine.procs) continue;
    sem.apply(op, sem.expect(op));
    ops.push_back(op);
  }
  return ops;
}

std::uint32_t value_code(Value v, const Widths& w) {
  return v == 0xdeadbeef ? w.poison : v;
}

void expect_same_state(const z3::model& m, const SymState& s, const Snapshot& snap,
                       const std::map<Pid, std::uint32_t>& slot_of, const Widths& w,
                       const std::string& where) {
  auto num = [&](const z3::expr& e) { return m.eval(e, true).get_numeral_uint(); };
  for (const PteView& p : snap.ptes) {
    std::uint32_t slot = slot_of.at(p.pid);
    const SymPte& q = s.pte[slot][p.vpn];
    EXPECT_TRUE(m.eval(s.live[slot], true).is_true()) << where;
    EXPECT_EQ(m.eval(q.writable, true).is_true(), p.writable) << where << " pid " << p.pid;
    EXPECT_EQ(m.eval(q.cow, true).is_true(), p.cow) << where << " pid " << p.pid;
    EXPECT_EQ(num(q.frame), p.frame) << where << " pid " << p.pid;
  }
  for (Pfn f = 0; f < kMachine.frames; ++f) {
    const FrameView* fv = snap.find_frame(f);
    EXPECT_EQ(num(s.refcount[f]), fv ? fv->refcount : 0) << where << " frame " << f;
    if (!fv) continue;
    for (std::uint32_t word = 0; word < w.stored_words; ++word)
      EXPECT_EQ(num(s.contents[f][word]), value_code(fv->contents[word], w))
          << where << " frame " << f << " word " << word;
  }
}

// Runs `ops` both ways and compares after every step.
void compare(Bug bug, const std::vector<Op>& ops) {
  std::string impl = impl_of(bug);
  SymConfig config{kMachine, kValues, bug, static_cast<std::uint32_t>(ops.size())};
  z3::context ctx;
  TransitionSystem ts(ctx, config);
  Unroller u(ts, "");
  z3::solver solver(ctx, "QF_BV");
  solver.add(ts.init(u.state(0)));
  Harness harness(make_implementation(impl, kMachine), kMachine);
  std::map<Pid, std::uint32_t> slot_of{{kInitPid, 0}};
  for (std::uint32_t t = 1; t <= ops.size(); ++t) {
    const Op& op = ops[t - 1];
    std::string where = impl + " step " + std::to_string(t) + " " + to_string(op);
    const SymOp& sop = u.op(t);
    solver.add(u.step(t).relation);
    solver.add(sop.kind == ctx.bv_val(static_cast<unsigned>(op.kind), 2));
    solver.add(sop.slot == ts.slot_val(slot_of.at(op.pid)));
    solver.add(sop.vpn == ts.vpn_val(op.vpn));
    solver.add(sop.value == ts.value_val(op.value));
    solver.add(sop.word == ts.word_val(op.word));
    ASSERT_EQ(solver.check(), z3::sat) << where << ": the encoding has no such step";
    z3::model m = solver.get_model();
    std::optional<Violation> v = harness.step(op);
    const SymViolations& sv = u.violations(t);
    if (op.kind == OpKind::Fork) {
      std::uint32_t child = 0;
      while (m.eval(u.state(t - 1).live[child], true).is_true()) ++child;
      slot_of[harness.last_outcome().child] = child;
    }
    if (op.kind == OpKind::Exit) slot_of.erase(op.pid);
    for (InvariantId id : kCheckedInvariants)
      EXPECT_EQ(m.eval(sv.first(id), true).is_true(), v && v->id == id)
          << where << ": " << invariant_name(id) << (v ? " concrete: " + to_string(*v) : "");
    if (v) return;  // the harness stops at the first violation
    expect_same_state(m, u.state(t), *harness.snapshot(), slot_of, ts.widths(), where);
    if (testing::Test::HasFailure()) return;
  }
}

class EncodingMatchesConcrete : public ::testing::TestWithParam<Bug> {};

TEST_P(EncodingMatchesConcrete, OnRandomSequences) {
  std::mt19937 rng(7);
  for (int run = 0; run < 20; ++run) {
    compare(GetParam(), random_ops(rng, 12));
    if (HasFailure()) return;
  }
}

std::vector<Bug> model_and_bugs() {
  std::vector<Bug> all{Bug::None};
  all.insert(all.end(), all_bugs().begin(), all_bugs().end());
  return all;
}

INSTANTIATE_TEST_SUITE_P(All, EncodingMatchesConcrete, ::testing::ValuesIn(model_and_bugs()),
                         [](const auto& info) {
                           std::string name = impl_of(info.param);
                           for (char& c : name)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return name;
                         });

}  // namespace
}  // namespace cow::symbolic
