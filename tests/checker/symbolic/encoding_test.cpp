// The encoding, step for step against the real model and mutants: fix the
// ops of an unrolling to a concrete sequence and the one model Z3 finds
// must be the concrete run — the same page tables (kinds, present, swap
// slots, frame numbers too: both allocate the lowest free frame and slot),
// refcounts, contents, pins, and the same first violation at the same step.
// A disagreement is an encoding bug. Every op kind is drawn, under every
// reuse policy and both OOM policies.
#include <cstdlib>
#include <random>
#include <set>

#include <gtest/gtest.h>

#include "app/registry.h"
#include "checker/harness.h"
#include "checker/symbolic/bug.h"
#include "checker/symbolic/unroller.h"
#include "checker/symbolic/violations.h"

namespace cow::symbolic {
namespace {

constexpr Config kMachine{2, 4, 3, 2};  // pages, frames, procs, words
constexpr std::uint32_t kValues = 2;
constexpr std::uint32_t kPins = 2;
constexpr std::uint32_t kSwapSlots = 1;

// Random ops the encoding generates (a live, running pid, a mapped page, a
// free pin or swap slot), weighted toward forks and writes so that runs
// reach shared frames, copies, reuses and out-of-memory.
Op random_op(std::mt19937& rng, const Semantics& sem, const Snapshot& snap) {
  auto below = [&rng](std::uint32_t n) {
    return std::uniform_int_distribution<std::uint32_t>(0, n - 1)(rng);
  };
  for (;;) {
    std::uint32_t kind = below(22);
    if (kind == 21 && !sem.pins().empty()) {
      auto it = std::next(sem.pins().begin(), below(static_cast<std::uint32_t>(sem.pins().size())));
      return Op::unpin(it->first, below(kMachine.words));
    }
    std::vector<Pid> running;
    for (const auto& [pid, proc] : sem.processes())
      if (proc.suspended_by == 0) running.push_back(pid);
    if (running.empty()) continue;
    Pid pid = running[below(static_cast<std::uint32_t>(running.size()))];
    Vpn vpn = below(kMachine.pages);
    bool mapped = sem.view(pid, vpn) != nullptr;
    bool room = sem.processes().size() < kMachine.procs;
    std::uint32_t word = below(kMachine.words);
    Value value = 1 + below(kValues);
    if (kind < 3 && room) return Op::fork(pid);
    if (kind == 3 && room) return Op::vfork(pid);
    if (kind < 9 && kind >= 4 && mapped) return Op::write(pid, vpn, value, word);
    if (kind == 9 && mapped) return Op::copyout(pid, vpn, value, word);
    if (kind == 10 && mapped) return Op::read(pid, vpn, word);
    if (kind == 11) return Op::exit(pid);
    if (kind == 12) return Op::exec(pid);
    if (kind == 13 || kind == 14) {
      std::uint32_t count = 1 + below(kMachine.pages - vpn);
      return kind == 13 ? Op::mmap(pid, vpn, count, MapKind::PrivateAnon)
                        : Op::munmap(pid, vpn, count);
    }
    if (kind == 15 && mapped && snap.slots.size() < kSwapSlots) return Op::swapout(pid, vpn);
    if (kind >= 16 && kind <= 20 && mapped && sem.pins().size() < kPins)
      return Op::pin_page(pid, vpn, kind >= 19);
  }
}

std::uint32_t value_code(Value v, const Widths& w) { return v == 0xdeadbeef ? w.poison : v; }

void expect_same_state(const z3::model& m, const SymState& s, const Snapshot& snap,
                       const std::map<Pid, std::uint32_t>& slot_of,
                       const std::map<PinId, std::uint32_t>& pin_slot, const Widths& w,
                       const std::string& where) {
  auto num = [&](const z3::expr& e) { return m.eval(e, true).get_numeral_uint(); };
  auto truth = [&](const z3::expr& e) { return m.eval(e, true).is_true(); };
  for (const ProcView& p : snap.procs) {
    std::uint32_t slot = slot_of.at(p.pid);
    EXPECT_TRUE(truth(s.live[slot])) << where << " pid " << p.pid;
    EXPECT_EQ(truth(s.borrow[slot]), p.space != p.pid) << where << " pid " << p.pid;
    EXPECT_EQ(truth(s.susp[slot]), p.suspended) << where << " pid " << p.pid;
  }
  std::uint32_t live = 0;
  for (const z3::expr& l : s.live) live += truth(l);
  EXPECT_EQ(live, snap.procs.size()) << where;
  for (const PteView& p : snap.ptes) {
    std::uint32_t slot = slot_of.at(p.pid);
    const SymPte& q = s.pte[slot][p.vpn];
    std::string at = where + " pid " + std::to_string(p.pid) + " vpn " + std::to_string(p.vpn);
    EXPECT_EQ(num(q.kind), static_cast<unsigned>(p.kind)) << at;
    EXPECT_EQ(truth(q.present), p.present) << at;
    EXPECT_EQ(truth(q.swapped), p.slot != kNoSlot) << at;
    if (!p.present && p.slot == kNoSlot) continue;
    EXPECT_EQ(truth(q.writable), p.writable) << at;
    EXPECT_EQ(truth(q.cow), p.cow) << at;
    EXPECT_EQ(truth(q.excl), p.exclusive) << at;
    if (p.present)
      EXPECT_EQ(num(q.frame), p.frame) << at;
    else
      EXPECT_EQ(num(q.sslot), p.slot) << at;
  }
  for (Pfn f = 0; f < kMachine.frames; ++f) {
    const FrameView* fv = snap.find_frame(f);
    EXPECT_EQ(num(s.refcount[f]), fv ? fv->refcount : 0) << where << " frame " << f;
    if (!fv) continue;
    for (std::uint32_t word = 0; word < w.stored_words; ++word)
      EXPECT_EQ(num(s.contents[f][word]), value_code(fv->contents[word], w))
          << where << " frame " << f << " word " << word;
  }
  for (Slot k = 0; k < kSwapSlots; ++k) {
    const SlotView* sv = snap.find_slot(k);
    EXPECT_EQ(num(s.slot_rc[k]), sv ? sv->refcount : 0) << where << " swap slot " << k;
    if (!sv || sv->refcount == 0) continue;
    for (std::uint32_t word = 0; word < w.stored_words; ++word)
      EXPECT_EQ(num(s.slot_data[k][word]), value_code(sv->contents[word], w))
          << where << " swap slot " << k << " word " << word;
  }
  for (const PinView& p : snap.pins) {
    const SymPin& q = s.pins.at(pin_slot.at(p.id));
    EXPECT_TRUE(truth(q.held)) << where << " pin " << p.id;
    EXPECT_EQ(num(q.frame), p.frame) << where << " pin " << p.id;
    EXPECT_EQ(truth(q.rw), p.rw) << where << " pin " << p.id;
  }
  std::uint32_t held = 0;
  for (const SymPin& p : s.pins) held += truth(p.held);
  EXPECT_EQ(held, snap.pins.size()) << where;
}

// What the concrete runs reached: every status and fault kind the encoding
// has must be met, or the comparison proves less than it claims.
std::set<std::string>& reached() {
  static std::set<std::string> seen;
  return seen;
}

// Runs random ops both ways and compares after every step.
void compare(Bug bug, const Config& machine, std::mt19937& rng, std::uint32_t steps) {
  std::string impl = impl_of(bug);
  SymConfig config{machine, kValues, bug, steps, kPins, kSwapSlots, kAllOps};
  z3::context ctx;
  TransitionSystem ts(ctx, config);
  Unroller u(ts, "");
  z3::solver solver(ctx, "QF_BV");
  solver.add(ts.init(u.state(0)));
  Harness harness(make_implementation(impl, machine), machine);
  std::map<Pid, std::uint32_t> slot_of{{kInitPid, 0}};
  std::map<PinId, std::uint32_t> pin_slot;
  std::string history;
  for (std::uint32_t t = 1; t <= steps && !harness.semantics().processes().empty(); ++t) {
    Op op = random_op(rng, harness.semantics(), *harness.snapshot());
    history += "\n  " + to_string(op);
    std::string where = impl + " " + std::string(policy_name(machine.policy)) + " oom " +
                        std::string(oom_name(machine.oom)) + " step " + std::to_string(t) +
                        " of:" + history;
    const SymOp& sop = u.op(t);
    solver.add(u.step(t).relation);
    solver.add(sop.kind == ctx.bv_val(static_cast<unsigned>(op.kind), ts.widths().kind));
    solver.add(sop.slot == ts.slot_val(op.kind == OpKind::Unpin ? 0 : slot_of.at(op.pid)));
    solver.add(sop.vpn == ts.vpn_val(op.vpn));
    solver.add(sop.value == ts.value_val(op.value));
    solver.add(sop.word == ts.word_val(op.word));
    solver.add(sop.count == ts.range_val(op.count));
    solver.add(sop.map == ts.map_val(op.map));
    solver.add(sop.rw == ctx.bool_val(op.rw));
    solver.add(sop.pin == ts.pin_val(op.kind == OpKind::Unpin ? pin_slot.at(op.pin) : 0));
    ASSERT_EQ(solver.check(), z3::sat) << where << ": the encoding has no such step";
    z3::model m = solver.get_model();
    std::optional<Violation> v = harness.step(op);
    const Outcome& out = harness.last_outcome();
    reached().insert(std::string(status_name(out.status)));
    reached().insert(std::string(fault_name(out.fault)));
    if (op.kind == OpKind::Vfork && out.status == Status::Ok) reached().insert("vfork");
    if (op.kind == OpKind::Exec && harness.semantics().processes().size() > 1 &&
        out.status == Status::Ok)
      reached().insert("exec");
    if (op.kind == OpKind::Fork && out.status == Status::Ok) {
      std::uint32_t pinned = 0;
      for (const PinView& p : harness.snapshot()->pins) pinned += p.frame != kNoFrame;
      if (pinned != 0) reached().insert("fork with a pin held");
    }
    SymViolations sv = check_step(ts, u.step(t));
    const SymState& before = u.state(t - 1);
    const SymState& after = u.state(t);
    if ((op.kind == OpKind::Fork || op.kind == OpKind::Vfork) && out.status == Status::Ok) {
      std::uint32_t child = 0;
      while (m.eval(before.live[child], true).is_true()) ++child;
      slot_of[out.child] = child;
    }
    if (op.kind == OpKind::Pin && out.status == Status::Ok) {
      std::uint32_t slot = 0;
      while (m.eval(before.pins[slot].held, true).is_true()) ++slot;
      pin_slot[out.pin] = slot;
    }
    if (op.kind == OpKind::Unpin) pin_slot.erase(op.pin);
    for (auto it = slot_of.begin(); it != slot_of.end();)
      it = harness.semantics().live(it->first) ? std::next(it) : slot_of.erase(it);
    (void)after;
    for (std::size_t i = 0; i < kCheckedInvariants.size(); ++i) {
      InvariantId id = kCheckedInvariants[i];
      EXPECT_EQ(m.eval(sv.first(i), true).is_true(), v && v->id == id)
          << where << ": " << invariant_name(id) << (v ? " concrete: " + to_string(*v) : "");
    }
    if (v) return;  // the harness stops at the first violation
    expect_same_state(m, after, *harness.snapshot(), slot_of, pin_slot, ts.widths(), where);
    if (testing::Test::HasFailure()) return;
  }
}

// COWCHECK_ENCODING_RUNS: random runs per policy pair (default 4).
int runs() {
  const char* env = std::getenv("COWCHECK_ENCODING_RUNS");
  return env ? std::atoi(env) : 4;
}

class EncodingMatchesConcrete : public ::testing::TestWithParam<Bug> {};

TEST_P(EncodingMatchesConcrete, OnRandomSequences) {
  std::mt19937 rng(7);
  for (ReusePolicy policy : {ReusePolicy::Exclusive, ReusePolicy::MapCount, ReusePolicy::PageCount})
    for (OomPolicy oom : {OomPolicy::Error, OomPolicy::Kill}) {
      Config machine = kMachine;
      machine.policy = policy;
      machine.oom = oom;
      for (int run = 0; run < runs(); ++run) {
        compare(GetParam(), machine, rng, 12);
        if (HasFailure()) return;
      }
    }
}

TEST(EncodingCoverage, TheRandomRunsReachEveryOutcome) {
  reached().clear();
  std::mt19937 rng(11);
  for (ReusePolicy policy : {ReusePolicy::Exclusive, ReusePolicy::MapCount, ReusePolicy::PageCount})
    for (OomPolicy oom : {OomPolicy::Error, OomPolicy::Kill}) {
      Config machine = kMachine;
      machine.policy = policy;
      machine.oom = oom;
      for (int run = 0; run < 2 * runs(); ++run) compare(Bug::None, machine, rng, 12);
    }
  for (const char* want : {"ok", "out-of-memory", "killed", "vfork", "exec", "busy", "cow-copy",
                           "cow-reuse", "zero-fill", "swap-in", "fork with a pin held"})
    EXPECT_TRUE(reached().count(want)) << "no random run reached " << want;
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
