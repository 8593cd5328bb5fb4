#include "checker/symbolic/violations.h"

#include <iterator>
#include <stdexcept>
#include <utility>

#include "checker/symbolic/sym_select.h"
#include "spec/reuse_policy.h"

namespace cow::symbolic {

namespace {

z3::expr is_op(const TransitionSystem& ts, const SymStep& st, OpKind k) {
  return ts.kind_is(*st.op, k);
}

// The op's space: its process's own, or a vfork child's parent's.
z3::expr space_of(const SymState& s, const SymOp& op) {
  return z3::ite(pick(s.borrow, op.slot), pick(s.owner, op.slot), op.slot);
}

z3::expr status_ok(const SymOutcome& o) {
  return !o.prot_fault && !o.out_of_memory && !o.killed && !o.busy;
}

// check_iso: the outcome equals the semantics' (running out of frames and
// a busy swapout excepted), every page of every live space holds its
// semantic value wherever its data is, and every pin sees its cell.
std::vector<z3::expr> check_iso(const TransitionSystem& ts, const SymStep& st) {
  const SymState& b = *st.before;
  const SymState& a = *st.after;
  const Widths& w = ts.widths();
  const SymOutcome& o = st.outcome;
  std::vector<z3::expr> bad;
  // check_outcome: a valid write, copyout or pin of an anonymous page
  // must not be a protection fault; a read returns what the semantics held
  // before the step, an unpin what its cell holds.
  bad.push_back((is_op(ts, st, OpKind::Write) || is_op(ts, st, OpKind::Copyout) ||
                 is_op(ts, st, OpKind::Pin)) &&
                o.prot_fault);
  bad.push_back(is_op(ts, st, OpKind::Read) && status_ok(o) &&
                o.read_value != semantic_word(b, space_of(b, *st.op), st.op->vpn, st.op->word));
  std::vector<z3::expr> pinned_value;
  for (std::size_t i = 0; i < b.pins.size(); ++i) {
    std::vector<z3::expr> words(b.pins[i].sem.begin(),
                                b.pins[i].sem.begin() + ts.config().machine.words);
    pinned_value.push_back(pick(words, st.op->word));
  }
  bad.push_back(is_op(ts, st, OpKind::Unpin) && o.read_value != pick(pinned_value, st.op->pin));
  // check_contents: per page of a live space.
  for (std::size_t s = 0; s < a.live.size(); ++s)
    for (std::size_t v = 0; v < a.pte[s].size(); ++v) {
      const SymPte& p = a.pte[s][v];
      z3::expr live = owns_space(a, s);
      z3::expr unmapped = p.kind == ts.map_val(MapKind::None);
      bad.push_back(live && unmapped && (p.present || p.swapped));
      for (std::uint32_t word = 0; word < w.stored_words; ++word) {
        z3::expr want = word < a.semantics[s][v].size() ? a.semantics[s][v][word] : ts.value_val(0);
        std::vector<z3::expr> column;
        for (const auto& data : a.slot_data) column.push_back(data[word]);
        z3::expr held = z3::ite(p.present, frame_word(a, p.frame, word),
                                z3::ite(p.swapped, pick(column, p.sslot), ts.value_val(0)));
        bad.push_back(live && !unmapped && held != want);
      }
    }
  // check_pins.
  for (const SymPin& pin : a.pins)
    for (std::uint32_t word = 0; word < w.stored_words; ++word)
      bad.push_back(pin.held && frame_word(a, pin.frame, word) != pin.sem[word]);
  return bad;
}

// check_wp: a private PTE is writable or exclusive only with one mapping,
// and cow when its frame is mapped twice; an unmapped page is never present.
std::vector<z3::expr> check_wp(const TransitionSystem& ts, const SymStep& st) {
  z3::context& ctx = ts.ctx();
  const SymState& a = *st.after;
  std::vector<z3::expr> maps = mappings(ctx, a, ts.widths().count);
  std::vector<z3::expr> bad;
  z3::expr one = ts.count_val(1);
  for (std::size_t s = 0; s < a.live.size(); ++s)
    for (const SymPte& p : a.pte[s]) {
      z3::expr on = owns_space(a, s) && p.present;
      z3::expr mappers = pick(maps, p.frame);
      bad.push_back(on && p.kind == ts.map_val(MapKind::None));
      bad.push_back(on && p.writable && mappers != one);
      bad.push_back(on && z3::ugt(mappers, one) && !p.cow);
      bad.push_back(on && p.excl && mappers != one);
    }
  return bad;
}

// check_reuse: after a served write to a present private page the PTE is
// writable and not cow; a writable PTE takes no fault; a frame mapped twice
// is copied to exactly one new frame; refcount 1 reuses in place; one
// mapping plus pins does what the reuse policy says.
std::vector<z3::expr> check_reuse(const TransitionSystem& ts, const SymStep& st) {
  z3::context& ctx = ts.ctx();
  const SymState& b = *st.before;
  const SymState& a = *st.after;
  const SymOutcome& o = st.outcome;
  unsigned width = ts.widths().count;
  z3::expr space = space_of(b, *st.op);
  SymPte before = pte_at(b, space, st.op->vpn);
  SymPte after = pte_at(a, space, st.op->vpn);
  z3::expr served = (is_op(ts, st, OpKind::Write) || is_op(ts, st, OpKind::Copyout)) &&
                    status_ok(o) && before.present && after.present;
  std::vector<z3::expr> maps = mappings(ctx, b, width);
  z3::expr refs = pick(b.refcount, before.frame);
  z3::expr mappers = pick(maps, before.frame);
  z3::expr same_frame = after.frame == before.frame;
  z3::expr free_before = free_frames(ctx, b, width);
  z3::expr free_after = free_frames(ctx, a, width);
  z3::expr one = ts.count_val(1);

  z3::expr not_served = !after.writable || after.cow;
  z3::expr writable_faulted = before.writable && (o.cow_reuse || o.cow_copy || !same_frame);
  z3::expr reused = o.cow_reuse && same_frame && free_after == free_before;
  z3::expr copied = o.cow_copy && !same_frame && free_after + one == free_before;
  // One mapping and pins besides: the policy says whether the writer owns
  // the frame (spec/reuse_policy.h).
  z3::expr owns = policy_reuses(ts.config().machine.policy, before.excl, mappers, refs);
  z3::expr need_copy = z3::ugt(mappers, one) || !owns;
  z3::expr ro = !before.writable;
  return {served && not_served, served && writable_faulted, served && ro && !need_copy && !reused,
          served && ro && need_copy && !copied};
}

// spec/frames_needed.cpp, encoded: the frames the op takes from the free
// list in the state before it. The encoding's pages are private anonymous,
// so a fault-in is a zero-fill or a swap-in, then the COW decision.
z3::expr frames_needed(const TransitionSystem& ts, const SymStep& st) {
  z3::context& ctx = ts.ctx();
  const SymState& b = *st.before;
  unsigned width = ts.widths().count;
  ReusePolicy policy = ts.config().machine.policy;
  const PolicyInfo& rules = policy_info(policy);
  z3::expr zero = ts.count_val(0), one = ts.count_val(1);
  z3::expr space = space_of(b, *st.op);

  std::vector<z3::expr>
      early;  // fork: a pinned exclusive page is copied now, if the policy says so
  std::vector<z3::expr> pins = pin_counts(ctx, b, width);
  if (rules.fork_copies_pinned)
    for (std::uint32_t v = 0; v < ts.config().machine.pages; ++v) {
      SymPte p = pte_at(b, space, ts.vpn_val(v));
      early.push_back(p.present && p.excl && pick(pins, p.frame) != zero);
    }
  z3::expr fork_needs = count_true(ctx, early, width);

  SymPte tp = pte_at(b, space, st.op->vpn);
  z3::expr is_pin = is_op(ts, st, OpKind::Pin);
  z3::expr for_write =
      is_op(ts, st, OpKind::Write) || is_op(ts, st, OpKind::Copyout) || (is_pin && st.op->rw);
  std::vector<z3::expr> maps = mappings(ctx, b, width);
  z3::expr sharers = pick(b.slot_rc, tp.sslot);
  z3::expr refs = z3::ite(tp.swapped, sharers, pick(b.refcount, tp.frame));
  z3::expr mappers = z3::ite(tp.swapped, sharers, pick(maps, tp.frame));
  z3::expr owns = policy_reuses(policy, tp.excl, mappers, refs);
  z3::expr unshare = is_pin && !st.op->rw && ctx.bool_val(rules.ro_pin_unshares) && !tp.excl;
  z3::expr copy =
      (for_write || unshare) && (tp.present || tp.swapped) && !tp.writable && tp.cow && !owns;
  z3::expr untouched = !tp.present && !tp.swapped;
  z3::expr page_needs = z3::ite(untouched, z3::ite(for_write || is_pin, one, zero),
                                z3::ite(tp.swapped, one, zero) + z3::ite(copy, one, zero));
  return z3::ite(is_op(ts, st, OpKind::Fork), fork_needs, page_needs);
}

// check_rc: every frame's refcount is the present PTEs of live spaces
// that map it plus the pins that hold it (which also makes a mapped or
// pinned frame never free, and in-use plus free the total); every swap
// slot's, the swap PTEs that name it; out-of-memory or killed only when the
// op needs more frames than are free (check_choice).
// An OOM step changes no state by construction of the step, so that half of
// check_oom needs no formula.
std::vector<z3::expr> check_rc(const TransitionSystem& ts, const SymStep& st) {
  z3::context& ctx = ts.ctx();
  const SymState& b = *st.before;
  const SymState& a = *st.after;
  unsigned width = ts.widths().count;
  std::vector<z3::expr> maps = mappings(ctx, a, width);
  std::vector<z3::expr> pins = pin_counts(ctx, a, width);
  std::vector<z3::expr> srefs = slot_refs(ctx, a, width);
  std::vector<z3::expr> bad;
  bad.push_back((st.outcome.out_of_memory || st.outcome.killed) &&
                z3::uge(free_frames(ctx, b, width), frames_needed(ts, st)));
  for (std::size_t f = 0; f < a.refcount.size(); ++f)
    bad.push_back(a.refcount[f] != maps[f] + pins[f]);
  for (std::size_t k = 0; k < a.slot_rc.size(); ++k) bad.push_back(a.slot_rc[k] != srefs[k]);
  return bad;
}

// The checks, in kCheckedInvariants' order.
struct Check {
  InvariantId invariant;
  std::vector<z3::expr> (*atoms)(const TransitionSystem&, const SymStep&);
};

constexpr Check kChecks[] = {{InvariantId::ISO, check_iso},
                             {InvariantId::WP, check_wp},
                             {InvariantId::REUSE, check_reuse},
                             {InvariantId::RC, check_rc}};

static_assert(
    std::size(kChecks) == kCheckedInvariants.size() &&
        [] {
          for (std::size_t i = 0; i < kCheckedInvariants.size(); ++i)
            if (kChecks[i].invariant != kCheckedInvariants[i]) return false;
          return true;
        }(),
    "one check per checked invariant, in its order");

}  // namespace

std::vector<Property> invariant_properties() {
  std::vector<Property> properties;
  for (const Check& check : kChecks) properties.push_back({check.invariant, check.atoms});
  return properties;
}

z3::expr SymViolations::of(std::size_t property) const {
  const std::vector<z3::expr>& list = atoms.at(property);
  if (list.empty()) throw std::logic_error("SymViolations::of: a property with no atoms");
  return any_of(list.front().ctx(), list);
}

z3::expr SymViolations::any() const {
  std::vector<z3::expr> all;
  for (const auto& list : atoms) all.insert(all.end(), list.begin(), list.end());
  if (all.empty()) throw std::logic_error("SymViolations::any: no atoms");
  return any_of(all.front().ctx(), all);
}

z3::expr SymViolations::first(std::size_t property) const {
  z3::expr result = of(property);
  for (std::size_t earlier = 0; earlier < property; ++earlier) result = result && !of(earlier);
  return result;
}

SymViolations check_step(const TransitionSystem& ts, const SymStep& step,
                         const std::vector<Property>& properties) {
  SymViolations v;
  for (const Property& p : properties) v.atoms.push_back(p.atoms(ts, step));
  return v;
}

StepChecks::StepChecks(Unroller& unroller, std::vector<Property> properties)
    : unroller_(unroller), properties_(std::move(properties)) {}

const SymViolations& StepChecks::at(std::uint32_t t) {
  if (t == 0) throw std::logic_error("StepChecks::at: steps count from 1");
  while (checked_.size() < t) {
    std::uint32_t n = static_cast<std::uint32_t>(checked_.size()) + 1;
    checked_.push_back(check_step(unroller_.system(), unroller_.step(n), properties_));
  }
  return checked_[t - 1];
}

}  // namespace cow::symbolic
