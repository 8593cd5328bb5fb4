// The ops on processes and address spaces (fork, vfork, exit/exec and
// the OOM killer, mmap/munmap), encoded.
#include "checker/symbolic/step_encoder.h"
#include "checker/symbolic/sym_select.h"

namespace cow::symbolic {

void StepEncoder::do_fork() {
  z3::expr is_fork = is(OpKind::Fork);
  std::vector<z3::expr> child;
  z3::expr lower_all_live = t();
  for (std::uint32_t s = 0; s < m_.procs; ++s) {
    child.push_back(!b_.live[s] && lower_all_live);
    lower_all_live = lower_all_live && b_.live[s];
  }
  std::vector<z3::expr> early;
  z3::expr first_taken = f(), second_taken = f(), third = f();
  std::vector<z3::expr> early_frame;
  for (std::uint32_t v = 0; v < m_.pages; ++v) {
    const SymPte& p = own_[v];
    z3::expr e = fork_copies_pinned(p);
    early.push_back(e);
    early_frame.push_back(z3::ite(first_taken, alloc2_, alloc1_));
    third = third || (e && second_taken);
    second_taken = second_taken || (e && first_taken);
    first_taken = first_taken || e;
  }
  // Early copies need frames: all or nothing (out-of-memory).
  z3::expr nomem = (first_taken && !free1_) || (second_taken && !free2_) || third;
  z3::expr go = is_fork && !nomem;
  outcome_.out_of_memory = outcome_.out_of_memory || (is_fork && nomem);

  for (std::uint32_t v = 0; v < m_.pages; ++v) {
    const SymPte& p = own_[v];
    Shared shared = fork_share_page(p);
    z3::expr shares = go && p.present && !early[v];
    if (shared.takes_ref) frame_get(shares, p.frame);
    alloc(go && early[v], early_frame[v], ts_.count_val(1), frame_words(p.frame));
    slot_adjust(go && p.swapped, p.sslot, ts_.count_val(1), true);
    SymPte parent = pte_if(p.present && !early[v], shared.parent, pte_if(p.swapped, share(p), p));
    SymPte copy = make_writable(p);
    copy.frame = early_frame[v];
    SymPte kid = pte_if(
        early[v], copy,
        pte_if(p.present, shared.child, pte_if(p.swapped, share(p), cleared(MapKind::None))));
    kid.kind = p.kind;
    for (std::uint32_t s = 0; s < m_.procs; ++s) {
      SymPte& pte = next_.pte[s][v];
      pte = pte_if(go && in_[s], parent, pte);
      pte = pte_if(go && child[s], kid, pte);
      for (std::uint32_t w = 0; w < m_.words; ++w)
        next_.semantics[s][v][w] =
            z3::ite(go && child[s], semantic_word(b_, space_, ts_.vpn_val(v), ts_.word_val(w)),
                    next_.semantics[s][v][w]);
    }
  }
  for (std::uint32_t s = 0; s < m_.procs; ++s) {
    z3::expr c = go && child[s];
    new_space(c, s);
    next_.live[s] = next_.live[s] || c;
    next_.susp[s] = next_.susp[s] && !c;
    next_.borrow[s] = next_.borrow[s] && !c;
    next_.owner[s] = z3::ite(c, ts_.slot_val(0), next_.owner[s]);
    next_.vparent[s] = z3::ite(c, ts_.slot_val(0), next_.vparent[s]);
  }
}

z3::expr StepEncoder::fork_copies_pinned(const SymPte& parent) const {
  bool copies = mutant_ != Mutant::ForkSharesPinned;
  return ctx_.bool_val(copies) && ctx_.bool_val(policy_.fork_copies_pinned) && parent.present &&
         parent.excl && pick(pinned_, parent.frame) != ts_.count_val(0);
}

StepEncoder::Shared StepEncoder::fork_share_page(const SymPte& parent) const {
  switch (mutant_) {
    case Mutant::ChildTableMemcpy: return {parent, parent, true};
    case Mutant::ParentLeftWritable: return {parent, write_protect(parent), true};
    case Mutant::ChildLeftWritable: return {write_protect(parent), parent, true};
    case Mutant::ForkNoRefcount: return {share(parent), share(parent), false};
    case Mutant::ForkDropsCowBit: {
      SymPte readonly = parent;
      readonly.writable = f();
      readonly.cow = f();
      readonly.excl = f();
      return {readonly, readonly, true};
    }
    default: return {share(parent), share(parent), true};
  }
}

void StepEncoder::do_vfork() {
  z3::expr go = is(OpKind::Vfork);
  z3::expr lower_all_live = t();
  for (std::uint32_t s = 0; s < m_.procs; ++s) {
    z3::expr c = go && !b_.live[s] && lower_all_live;
    lower_all_live = lower_all_live && b_.live[s];
    next_.live[s] = next_.live[s] || c;
    next_.borrow[s] = next_.borrow[s] || c;
    next_.owner[s] = z3::ite(c, space_, next_.owner[s]);
    next_.vparent[s] = z3::ite(c, op_.slot, next_.vparent[s]);
    next_.susp[s] = (next_.susp[s] && !c) || (go && at_[s]);
    for (std::uint32_t v = 0; v < m_.pages; ++v) {
      next_.pte[s][v] = pte_if(c, cleared(MapKind::None), next_.pte[s][v]);
      for (z3::expr& word : next_.semantics[s][v]) word = z3::ite(c, ts_.value_val(0), word);
    }
  }
}

void StepEncoder::do_end() {
  z3::expr is_exec = is(OpKind::Exec);
  z3::expr ends = is(OpKind::Exit) || is_exec || killed_;
  z3::expr borrower = pick(b_.borrow, op_.slot);
  z3::expr drops = ends && !borrower;
  outcome_.killed = killed_;
  for (std::uint32_t v = 0; v < m_.pages; ++v) exit_drop_page(drops, own_[v]);
  z3::expr parent = pick(b_.vparent, op_.slot);
  for (std::uint32_t s = 0; s < m_.procs; ++s) {
    z3::expr mine = ends && at_[s];
    z3::expr gone = mine && !is_exec;
    freeze_pins(drops && at_[s], s, std::nullopt);
    new_space(is_exec && at_[s], s);
    next_.susp[s] = next_.susp[s] && !(ends && borrower && parent == ts_.slot_val(s));
    next_.live[s] = next_.live[s] && !gone;
    next_.borrow[s] = next_.borrow[s] && !mine;
    next_.owner[s] = z3::ite(mine, ts_.slot_val(0), next_.owner[s]);
    next_.vparent[s] = z3::ite(mine, ts_.slot_val(0), next_.vparent[s]);
    for (std::uint32_t v = 0; v < m_.pages; ++v) {
      SymPte fresh = pte_if(is_exec, cleared(MapKind::PrivateAnon), cleared(MapKind::None));
      next_.pte[s][v] = pte_if(mine, fresh, next_.pte[s][v]);
      for (z3::expr& word : next_.semantics[s][v]) word = z3::ite(mine, ts_.value_val(0), word);
    }
  }
}

void StepEncoder::exit_drop_page(const z3::expr& when, const SymPte& pte) {
  if (mutant_ == Mutant::ExitLeaks) return;
  frame_put(when && pte.present, pte.frame);
  slot_adjust(when && pte.swapped, pte.sslot, ts_.count_val(1), false);
}

void StepEncoder::do_map() {
  z3::expr is_mmap = is(OpKind::Mmap);
  z3::expr go = is_mmap || is(OpKind::Munmap);
  unsigned wide = w_.range + 1;
  z3::expr first = z3::zext(op_.vpn, wide - w_.vpn);
  z3::expr end = first + z3::zext(op_.count, 1);
  for (std::uint32_t v = 0; v < m_.pages; ++v) {
    z3::expr vv = ctx_.bv_val(v, wide);
    z3::expr inside = go && z3::ule(first, vv) && z3::ult(vv, end);
    exit_drop_page(inside, own_[v]);
    SymPte fresh = cleared(MapKind::None);
    fresh.kind = z3::ite(is_mmap, op_.map, ts_.map_val(MapKind::None));
    for (std::uint32_t s = 0; s < m_.procs; ++s) {
      z3::expr here = inside && in_[s];
      freeze_pins(here, s, v);
      next_.pte[s][v] = pte_if(here, fresh, next_.pte[s][v]);
      for (z3::expr& word : next_.semantics[s][v]) word = z3::ite(here, ts_.value_val(0), word);
    }
  }
}

}  // namespace cow::symbolic
