// The step encoder's set-up, the ops it may choose, its PTE values (pte.h),
// and the frame and slot bookkeeping applied at the end of a step.
#include "checker/symbolic/step_encoder.h"

#include "checker/symbolic/sym_select.h"

namespace cow::symbolic {

StepEncoder::StepEncoder(const TransitionSystem& ts, const SymState& before, const SymOp& op)
    : ts_(ts),
      ctx_(ts.ctx()),
      mutant_(ts.config().bug),
      m_(ts.config().machine),
      policy_(policy_info(m_.policy)),
      w_(ts.widths()),
      b_(before),
      op_(op),
      next_(before),
      outcome_{f(), f(), f(), f(), f(), f(), ts.value_val(0)} {
  for (OpKind k : kAllOpKinds) is_.push_back(ts.kind_is(op, k));
  // The process's space: its own, or (a vfork child) its parent's.
  space_ = z3::ite(pick(b_.borrow, op.slot), pick(b_.owner, op.slot), op.slot);
  for (std::uint32_t s = 0; s < m_.procs; ++s) {
    at_.push_back(op.slot == ts.slot_val(s));
    in_.push_back(space_ == ts.slot_val(s));
    owns_.push_back(owns_space(b_, s));
  }
  for (std::uint32_t v = 0; v < m_.pages; ++v) own_.push_back(pte_at(b_, space_, ts.vpn_val(v)));
  target_ = std::make_unique<SymPte>(pte_at(b_, space_, op.vpn));
  maps_ = mappings(ctx_, b_, w_.count);
  pinned_ = pin_counts(ctx_, b_, w_.count);
  srefs_ = slot_refs(ctx_, b_, w_.count);
  // FrameTable::frame_alloc: the lowest free frame, then the next one.
  free1_ = f();
  free2_ = f();
  alloc1_ = ts.frame_val(0);
  alloc2_ = ts.frame_val(0);
  for (std::uint32_t fr = m_.frames; fr-- > 0;) {
    z3::expr is_free = b_.refcount[fr] == 0;
    alloc2_ = z3::ite(is_free && free1_, alloc1_, alloc2_);
    free2_ = free2_ || (is_free && free1_);
    alloc1_ = z3::ite(is_free, ts.frame_val(fr), alloc1_);
    free1_ = free1_ || is_free;
  }
  for (std::uint32_t fr = 0; fr < m_.frames; ++fr) {
    delta_.push_back(ts.count_val(0));
    allocated_.push_back(f());
    filled_.push_back(b_.contents[fr]);
  }
  for (std::uint32_t k = 0; k < ts.config().swap_slots; ++k) slot_delta_.push_back(ts.count_val(0));
}

SymOutcome StepEncoder::encode() {
  do_page_op();
  do_fork();
  do_vfork();
  do_end();
  do_map();
  do_swapout();
  do_unpin();
  finish_frames();
  return outcome_;
}

z3::expr StepEncoder::valid() const {
  const SymConfig& c = ts_.config();
  std::vector<z3::expr> room, free_pin, free_slot, kinds;
  for (std::uint32_t s = 0; s < m_.procs; ++s) room.push_back(!b_.live[s]);
  for (const SymPin& pin : b_.pins) free_pin.push_back(!pin.held);
  for (const z3::expr& rc : b_.slot_rc) free_slot.push_back(rc == 0);
  for_each_op(c.ops, [&](OpKind k) { kinds.push_back(is(k)); });
  const SymPte& t = *target_;
  z3::expr vpn_ok = z3::ule(op_.vpn, ts_.vpn_val(m_.pages - 1));
  z3::expr word_ok = z3::ule(op_.word, ts_.word_val(m_.words - 1));
  z3::expr mapped = vpn_ok && t.kind != ts_.map_val(MapKind::None);
  z3::expr value_ok =
      z3::uge(op_.value, ts_.value_val(1)) && z3::ule(op_.value, ts_.value_val(c.values));
  z3::expr no_vpn = op_.vpn == ts_.vpn_val(0);
  z3::expr no_word = op_.word == ts_.word_val(0);
  z3::expr no_value = op_.value == ts_.value_val(0);
  z3::expr no_count = op_.count == ts_.range_val(0);
  z3::expr no_map = op_.map == ts_.map_val(MapKind::None);
  z3::expr no_rw = !op_.rw;
  z3::expr no_pin = op_.pin == ts_.pin_val(0);
  unsigned wide = w_.range + 1;
  z3::expr end = z3::zext(op_.vpn, wide - w_.vpn) + z3::zext(op_.count, 1);
  z3::expr range_ok = op_.count != ts_.range_val(0) &&
                      z3::ule(op_.vpn, ts_.vpn_val(m_.pages - 1)) &&
                      z3::ule(end, ctx_.bv_val(m_.pages, wide));
  z3::expr runs = z3::ule(op_.slot, ts_.slot_val(m_.procs - 1)) && pick(b_.live, op_.slot) &&
                  !pick(b_.susp, op_.slot);
  z3::expr pin_ok = z3::ule(op_.pin, ts_.pin_val(c.pins - 1)) && pick_pin_held(op_.pin);
  std::vector<z3::expr> rules{
      any_of(ctx_, kinds),
      z3::implies(!is(OpKind::Unpin), runs),
      z3::implies(is(OpKind::Unpin), op_.slot == ts_.slot_val(0) && pin_ok && word_ok && no_vpn &&
                                         no_value && no_count && no_map && no_rw),
      z3::implies(is(OpKind::Fork) || is(OpKind::Vfork), any_of(ctx_, room) && no_vpn && no_word &&
                                                             no_value && no_count && no_map &&
                                                             no_rw && no_pin),
      z3::implies(is(OpKind::Exit) || is(OpKind::Exec),
                  no_vpn && no_word && no_value && no_count && no_map && no_rw && no_pin),
      z3::implies(is(OpKind::Write) || is(OpKind::Copyout),
                  mapped && word_ok && value_ok && no_count && no_map && no_rw && no_pin),
      z3::implies(is(OpKind::Read),
                  mapped && word_ok && no_value && no_count && no_map && no_rw && no_pin),
      z3::implies(is(OpKind::Pin), mapped && any_of(ctx_, free_pin) && no_word && no_value &&
                                       no_count && no_map && no_pin),
      z3::implies(is(OpKind::Swapout), mapped && any_of(ctx_, free_slot) && no_word && no_value &&
                                           no_count && no_map && no_rw && no_pin),
      // The encoding has private anonymous mappings only (docs/proofs.md).
      z3::implies(is(OpKind::Mmap), range_ok && op_.map == ts_.map_val(MapKind::PrivateAnon) &&
                                        no_word && no_value && no_rw && no_pin),
      z3::implies(is(OpKind::Munmap), range_ok && no_map && no_word && no_value && no_rw && no_pin),
  };
  return all_of(ctx_, rules);
}

z3::expr StepEncoder::pick_pin_held(const z3::expr& index) const {
  std::vector<z3::expr> held;
  for (const SymPin& pin : b_.pins) held.push_back(pin.held);
  return pick(held, index);
}

SymPte StepEncoder::cleared(MapKind kind) const {
  return SymPte{ts_.map_val(kind), f(), f(), f(), f(), ts_.frame_val(0), f(), ts_.swap_val(0)};
}

SymPte StepEncoder::write_protect(const SymPte& p) const {
  SymPte q = p;
  q.cow = p.cow || p.writable;
  q.writable = f();
  return q;
}

SymPte StepEncoder::share(const SymPte& p) const {
  SymPte q = write_protect(p);
  q.excl = f();
  return q;
}

SymPte StepEncoder::make_writable(const SymPte& p) const {
  SymPte q = p;
  q.writable = t();
  q.cow = f();
  q.excl = t();
  return q;
}

void StepEncoder::adjust(const z3::expr& when, const z3::expr& frame, const z3::expr& by,
                         bool add) {
  for (std::uint32_t fr = 0; fr < m_.frames; ++fr) {
    z3::expr hit = when && frame == ts_.frame_val(fr);
    z3::expr amount = z3::ite(hit, by, ts_.count_val(0));
    delta_[fr] = add ? delta_[fr] + amount : delta_[fr] - amount;
  }
}

void StepEncoder::alloc(const z3::expr& when, const z3::expr& frame, const z3::expr& refs,
                        const std::vector<z3::expr>& words) {
  adjust(when, frame, refs, true);
  for (std::uint32_t fr = 0; fr < m_.frames; ++fr) {
    z3::expr hit = when && frame == ts_.frame_val(fr);
    allocated_[fr] = allocated_[fr] || hit;
    for (std::uint32_t w = 0; w < w_.stored_words; ++w)
      filled_[fr][w] = z3::ite(hit, words[w], filled_[fr][w]);
  }
}

void StepEncoder::slot_adjust(const z3::expr& when, const z3::expr& slot, const z3::expr& by,
                              bool add) {
  for (std::uint32_t k = 0; k < slot_delta_.size(); ++k) {
    z3::expr amount = z3::ite(when && slot == ts_.swap_val(k), by, ts_.count_val(0));
    slot_delta_[k] = add ? slot_delta_[k] + amount : slot_delta_[k] - amount;
  }
}

std::vector<z3::expr> StepEncoder::frame_words(const z3::expr& frame) const {
  std::vector<z3::expr> words;
  for (std::uint32_t w = 0; w < w_.stored_words; ++w) words.push_back(frame_word(b_, frame, w));
  return words;
}

std::vector<z3::expr> StepEncoder::slot_words(const z3::expr& slot) const {
  std::vector<z3::expr> words;
  for (std::uint32_t w = 0; w < w_.stored_words; ++w) {
    std::vector<z3::expr> column;
    for (const auto& data : b_.slot_data) column.push_back(data[w]);
    words.push_back(pick(column, slot));
  }
  return words;
}

void StepEncoder::new_space(const z3::expr& when, std::uint32_t s) {
  for (std::uint32_t x = 0; x < m_.procs; ++x) {
    if (x == s) continue;
    next_.older[x][s] = next_.older[x][s] || when;
    next_.older[s][x] = next_.older[s][x] && !when;
  }
}

void StepEncoder::freeze_pins(const z3::expr& when, std::uint32_t s,
                              std::optional<std::uint32_t> v) {
  for (std::uint32_t i = 0; i < next_.pins.size(); ++i) {
    const SymPin& pin = b_.pins[i];
    z3::expr hit = when && pin.track && pin.tslot == ts_.slot_val(s);
    if (v) hit = hit && pin.tvpn == ts_.vpn_val(*v);
    next_.pins[i].track = next_.pins[i].track && !hit;
  }
}

void StepEncoder::finish_frames() {
  for (std::uint32_t fr = 0; fr < m_.frames; ++fr) {
    z3::expr rc = b_.refcount[fr] + delta_[fr];
    next_.refcount[fr] = rc;
    z3::expr freed = rc == 0 && (b_.refcount[fr] != 0 || allocated_[fr]);
    for (std::uint32_t w = 0; w < w_.stored_words; ++w) {
      z3::expr value = z3::ite(freed, ts_.value_val(w_.poison), filled_[fr][w]);
      if (w < m_.words)
        value =
            z3::ite(stored_ && stored_frame_ == ts_.frame_val(fr) && op_.word == ts_.word_val(w),
                    op_.value, value);
      next_.contents[fr][w] = value;
    }
  }
  for (std::uint32_t k = 0; k < slot_delta_.size(); ++k)
    next_.slot_rc[k] = b_.slot_rc[k] + slot_delta_[k];
}

}  // namespace cow::symbolic
