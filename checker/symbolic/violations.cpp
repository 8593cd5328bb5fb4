#include "checker/symbolic/violations.h"

#include <stdexcept>

#include "checker/symbolic/sym_select.h"

namespace cow::symbolic {

namespace {

// check_iso: the outcome equals the semantics' (OOM excepted), and every
// page of every live process holds its semantic value, every word of it.
std::vector<z3::expr> check_iso(const TransitionSystem& ts, const SymStep& st) {
  const SymState& a = *st.after;
  const Widths& w = ts.widths();
  std::vector<z3::expr> bad;
  // check_outcome: a valid write must return ok (or OOM); a read the value
  // the semantics held before the step.
  bad.push_back(ts.kind_is(*st.op, OpKind::Write) && st.outcome.prot_fault);
  bad.push_back(ts.kind_is(*st.op, OpKind::Read) &&
                st.outcome.read_value !=
                    semantic_word(*st.before, st.op->slot, st.op->vpn, st.op->word));
  // check_contents.
  for (std::size_t s = 0; s < a.live.size(); ++s)
    for (std::size_t v = 0; v < a.pte[s].size(); ++v)
      for (std::uint32_t word = 0; word < w.stored_words; ++word) {
        z3::expr want = word < a.semantics[s][v].size() ? a.semantics[s][v][word] : ts.value_val(0);
        bad.push_back(a.live[s] && frame_word(a, a.pte[s][v].frame, word) != want);
      }
  return bad;
}

// check_wp: writable only with one reference and one mapping; a frame
// mapped twice has the cow bit in every PTE that maps it.
std::vector<z3::expr> check_wp(const TransitionSystem& ts, const SymStep& st) {
  z3::context& ctx = ts.ctx();
  const SymState& a = *st.after;
  std::vector<z3::expr> maps = mappings(ctx, a, ts.widths().count);
  std::vector<z3::expr> bad;
  for (std::size_t s = 0; s < a.live.size(); ++s)
    for (const SymPte& p : a.pte[s]) {
      z3::expr refs = pick(a.refcount, p.frame);
      z3::expr mappers = pick(maps, p.frame);
      bad.push_back(a.live[s] && p.writable &&
                    (refs != ts.count_val(1) || mappers != ts.count_val(1)));
      bad.push_back(a.live[s] && z3::ugt(mappers, ts.count_val(1)) && !p.cow);
    }
  return bad;
}

// check_reuse: after a served write the PTE is writable and not cow; a
// writable PTE takes no fault; refcount 1 reuses in place; a shared frame
// is copied to exactly one new frame.
std::vector<z3::expr> check_reuse(const TransitionSystem& ts, const SymStep& st) {
  z3::context& ctx = ts.ctx();
  const SymState& b = *st.before;
  const SymState& a = *st.after;
  const SymOutcome& o = st.outcome;
  unsigned width = ts.widths().count;
  z3::expr served = ts.kind_is(*st.op, OpKind::Write) && !o.prot_fault && !o.out_of_memory;
  SymPte before = pte_at(b, st.op->slot, st.op->vpn);
  SymPte after = pte_at(a, st.op->slot, st.op->vpn);
  z3::expr refs = pick(b.refcount, before.frame);
  z3::expr same_frame = after.frame == before.frame;
  z3::expr free_before = free_frames(ctx, b, width);
  z3::expr free_after = free_frames(ctx, a, width);
  z3::expr no_fault = !o.cow_reuse && !o.cow_copy;

  z3::expr not_served = !after.writable || after.cow;
  z3::expr writable_faulted = before.writable && (!no_fault || !same_frame);
  z3::expr sole_copied = !before.writable && refs == ts.count_val(1) &&
                         (!o.cow_reuse || !same_frame || free_after != free_before);
  z3::expr shared_reused = !before.writable && refs != ts.count_val(1) &&
                           (!o.cow_copy || same_frame || free_after + ts.count_val(1) != free_before);
  return {served && not_served, served && writable_faulted, served && sole_copied,
          served && shared_reused};
}

// check_rc: every frame's refcount is the number of live PTEs mapping it
// (which also makes a mapped frame never free, and in-use plus free the
// total); OOM only with no free frame. An OOM step changes no state by
// construction of the step, so that half of check_oom needs no formula.
std::vector<z3::expr> check_rc(const TransitionSystem& ts, const SymStep& st) {
  z3::context& ctx = ts.ctx();
  const SymState& a = *st.after;
  unsigned width = ts.widths().count;
  std::vector<z3::expr> maps = mappings(ctx, a, width);
  std::vector<z3::expr> bad;
  bad.push_back(st.outcome.out_of_memory && free_frames(ctx, *st.before, width) != ts.count_val(0));
  for (std::size_t f = 0; f < a.refcount.size(); ++f) bad.push_back(a.refcount[f] != maps[f]);
  return bad;
}

}  // namespace

z3::expr SymViolations::of(InvariantId id) const {
  for (std::size_t i = 0; i < kCheckedInvariants.size(); ++i)
    if (kCheckedInvariants[i] == id) return any_of(atoms[i].front().ctx(), atoms[i]);
  throw std::logic_error("SymViolations::of: not a checked invariant");
}

z3::expr SymViolations::any() const {
  std::vector<z3::expr> all;
  for (const auto& list : atoms) all.insert(all.end(), list.begin(), list.end());
  return any_of(all.front().ctx(), all);
}

z3::expr SymViolations::first(InvariantId id) const {
  z3::expr result = of(id);
  for (InvariantId earlier : kCheckedInvariants) {
    if (earlier == id) break;
    result = result && !of(earlier);
  }
  return result;
}

SymViolations check_step(const TransitionSystem& ts, const SymStep& step) {
  return SymViolations{{check_iso(ts, step), check_wp(ts, step), check_reuse(ts, step),
                        check_rc(ts, step)}};
}

}  // namespace cow::symbolic
