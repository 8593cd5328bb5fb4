// The ops on one page of one process (read, write, copyout, pin) and the
// ones on a frame or pin behind it (swapout, unpin), encoded.
#include "checker/symbolic/step_encoder.h"
#include "checker/symbolic/sym_select.h"

namespace cow::symbolic {

void StepEncoder::do_page_op() {
  const SymPte& tp = *target_;
  z3::expr stores = is(OpKind::Write) || is(OpKind::Copyout);
  z3::expr is_pin = is(OpKind::Pin);
  z3::expr page_op = stores || is(OpKind::Read) || is_pin;
  // The fault each op takes: do_read fault_in_read; do_write fault_in_write,
  // and copyout too unless kernel_store says otherwise; do_pin one of the
  // two by its mode, then its own zero-fill and unshare.
  z3::expr writes = stores || (is_pin && op_.rw);
  Fault fault = fault_in(page_op, writes || is_pin);
  z3::expr direct = kernel_store();
  wp_fault(fault, writes, direct);

  // apply(): an op that runs out of frames changes nothing. The frames the
  // fault takes are known before it starts: the first free frame for a
  // swap-in or zero-fill, the next for a copy.
  z3::expr nomem = (fault.brought && !free1_) || (fault.copy && !free1_) ||
                   (fault.brought && fault.copy && !free2_);
  z3::expr oom = page_op && nomem && ctx_.bool_val(m_.oom == OomPolicy::Error);
  killed_ = page_op && nomem && ctx_.bool_val(m_.oom == OomPolicy::Kill);
  z3::expr go = page_op && !fault.prot && !nomem;
  z3::expr copy_frame = z3::ite(fault.brought, alloc2_, alloc1_);

  // The PTE wp_fault leaves: reused in place, or writable on its copy.
  SymPte served = pte_if(fault.reuse, wp_reuse(fault.pte), fault.pte);
  SymPte copied = make_writable(fault.pte);
  copied.frame = copy_frame;
  served = pte_if(fault.copy, copied, served);

  // The fault, done now that it has its frames.
  swap_in(go, fault);
  zero_fill(go, fault);
  // The page the copy reads: the old frame, or the slot it came back from.
  std::vector<z3::expr> source = frame_words(tp.frame);
  std::vector<z3::expr> slot_data = slot_words(tp.sslot);
  for (std::uint32_t w = 0; w < w_.stored_words; ++w)
    source[w] = z3::ite(fault.swap_in, slot_data[w], source[w]);
  wp_copy(go, fault, copy_frame, source);
  frame_get(go && is_pin, served.frame);  // do_pin's reference

  for (std::uint32_t s = 0; s < m_.procs; ++s)
    for (std::uint32_t v = 0; v < m_.pages; ++v) {
      SymPte& n = next_.pte[s][v];
      const SymPte& p = b_.pte[s][v];
      // swap_in: every PTE naming the slot is present on the new frame
      // again, with the bits it had.
      SymPte back = p;
      back.present = t();
      back.swapped = f();
      back.sslot = ts_.swap_val(0);
      back.frame = alloc1_;
      n = pte_if(go && fault.swap_in && owns_[s] && p.swapped && p.sslot == tp.sslot, back, n);
      z3::expr here = in_[s] && vpn_is(v);
      n = pte_if(go && here, served, n);
      for (std::uint32_t w = 0; w < m_.words; ++w)
        next_.semantics[s][v][w] = z3::ite(go && stores && here && op_.word == ts_.word_val(w),
                                           op_.value, next_.semantics[s][v][w]);
    }
  // do_write (and kernel_store): the store lands after the copy; pins on
  // this page see it.
  stored_ = go && stores;
  stored_frame_ = served.frame;
  for (std::uint32_t i = 0; i < b_.pins.size(); ++i) {
    const SymPin& pin = b_.pins[i];
    z3::expr tracks = pin.held && pin.track && pin.tslot == space_ && pin.tvpn == op_.vpn;
    for (std::uint32_t w = 0; w < m_.words; ++w)
      next_.pins[i].sem[w] = z3::ite(stored_ && tracks && op_.word == ts_.word_val(w), op_.value,
                                     next_.pins[i].sem[w]);
  }
  // do_pin: the pin goes to the lowest free pin slot and names the page's cell.
  z3::expr earlier_held = t();
  for (std::uint32_t i = 0; i < b_.pins.size(); ++i) {
    z3::expr here = go && is_pin && !b_.pins[i].held && earlier_held;
    earlier_held = earlier_held && b_.pins[i].held;
    SymPin& n = next_.pins[i];
    n.held = n.held || here;
    n.frame = z3::ite(here, served.frame, n.frame);
    n.rw = z3::ite(here, op_.rw, n.rw);
    n.track = n.track || here;
    n.tslot = z3::ite(here, space_, n.tslot);
    n.tvpn = z3::ite(here, op_.vpn, n.tvpn);
    for (std::uint32_t w = 0; w < w_.stored_words; ++w)
      n.sem[w] = z3::ite(
          here,
          w < m_.words ? semantic_word(b_, space_, op_.vpn, ts_.word_val(w)) : ts_.value_val(0),
          n.sem[w]);
  }
  do_read(slot_data);
  outcome_.prot_fault = page_op && fault.prot;
  outcome_.out_of_memory = oom;
  outcome_.cow_reuse = go && fault.reuse;
  outcome_.cow_copy = go && fault.copy;
}

void StepEncoder::do_read(const std::vector<z3::expr>& slot_data) {
  const SymPte& tp = *target_;
  std::vector<z3::expr> words, from_slot;
  for (std::uint32_t w = 0; w < m_.words; ++w) {
    words.push_back(frame_word(b_, tp.frame, w));
    from_slot.push_back(slot_data[w]);
  }
  z3::expr value = z3::ite(tp.present, pick(words, op_.word),
                           z3::ite(tp.swapped, pick(from_slot, op_.word), ts_.value_val(0)));
  outcome_.read_value = z3::ite(is(OpKind::Read), value, outcome_.read_value);
}

StepEncoder::Fault StepEncoder::fault_in(const z3::expr& reads, const z3::expr& fills) const {
  const SymPte& tp = *target_;
  z3::expr untouched = !tp.present && !tp.swapped;
  z3::expr swapin = reads && tp.swapped;
  z3::expr zerofill = fills && untouched;
  z3::expr bring = swapin || zerofill;
  z3::expr slot_refs = pick(srefs_, tp.sslot);
  // zero_fill's page is writable and exclusive; swap_in's keeps its bits.
  SymPte pte = tp;
  pte.present = tp.present || bring;
  pte.swapped = tp.swapped && !bring;
  pte.frame = z3::ite(bring, alloc1_, tp.frame);
  pte.sslot = z3::ite(swapin, ts_.swap_val(0), tp.sslot);
  pte.writable = tp.writable || zerofill;
  pte.cow = tp.cow && !zerofill;
  pte.excl = tp.excl || zerofill;
  // A swapped-in frame is mapped by every PTE that named the slot; a
  // zero-filled one by this PTE alone.
  z3::expr refs =
      z3::ite(swapin, slot_refs, z3::ite(zerofill, ts_.count_val(1), pick(b_.refcount, tp.frame)));
  z3::expr maps =
      z3::ite(swapin, slot_refs, z3::ite(zerofill, ts_.count_val(1), pick(maps_, tp.frame)));
  return Fault{swapin, zerofill, bring, slot_refs, pte, refs, maps, f(), f(), f()};
}

z3::expr StepEncoder::kernel_store() const {
  bool skips_fault = mutant_ == Mutant::CopyoutNoCow;
  return ctx_.bool_val(skips_fault) && is(OpKind::Copyout) && target_->present;
}

void StepEncoder::wp_fault(Fault& fault, const z3::expr& writes, const z3::expr& direct) const {
  const SymPte& pte = fault.pte;
  fault.prot = writes && pte.present && !pte.writable && !pte.cow && !direct;
  // do_pin: a read-only pin first makes the page its pinner's (a writable
  // pin's fault_in_write has done so already).
  z3::expr unshare =
      is(OpKind::Pin) && !op_.rw && ctx_.bool_val(policy_.ro_pin_unshares) && !pte.excl;
  z3::expr cow =
      (writes || unshare) && pte.present && !pte.writable && pte.cow && !fault.prot && !direct;
  fault.reuse = cow && can_reuse_frame(fault.refs, fault.maps, pte.excl);
  fault.copy = cow && !fault.reuse;
}

z3::expr StepEncoder::can_reuse_frame(const z3::expr& refs, const z3::expr& maps,
                                      const z3::expr& excl) const {
  switch (mutant_) {
    case Mutant::CopyAlways: return f();
    case Mutant::ReuseShared: return z3::ule(refs, ts_.count_val(2));
    default: return policy_reuses(m_.policy, excl, maps, refs);
  }
}

SymPte StepEncoder::wp_reuse(const SymPte& pte) const {
  switch (mutant_) {
    case Mutant::ReuseKeepsCow: {
      SymPte q = pte;
      q.writable = t();
      return q;
    }
    case Mutant::ReuseStaysReadonly: return pte;
    default: return make_writable(pte);
  }
}

void StepEncoder::swap_in(const z3::expr& go, const Fault& fault) {
  const SymPte& tp = *target_;
  alloc(go && fault.swap_in, alloc1_, fault.slot_refs, slot_words(tp.sslot));
  slot_adjust(go && fault.swap_in, tp.sslot, fault.slot_refs, false);
}

void StepEncoder::zero_fill(const z3::expr& go, const Fault& fault) {
  alloc(go && fault.zero_fill, alloc1_, ts_.count_val(1), zeros());
}

void StepEncoder::wp_copy(const z3::expr& go, const Fault& fault, const z3::expr& frame,
                          const std::vector<z3::expr>& source) {
  if (mutant_ == Mutant::CopyNoContents)
    alloc(go && fault.copy, frame, ts_.count_val(1), frame_words(frame));
  else
    alloc(go && fault.copy, frame, ts_.count_val(1), source);
  if (mutant_ != Mutant::CopyKeepsOldRef) frame_put(go && fault.copy, fault.pte.frame);
}

void StepEncoder::do_swapout() {
  const SymPte& tp = *target_;
  z3::expr is_swapout = is(OpKind::Swapout);
  z3::expr busy = is_swapout && tp.present && pick(pinned_, tp.frame) != ts_.count_val(0);
  z3::expr go = is_swapout && tp.present && !busy;
  outcome_.busy = busy;
  z3::expr slot = ts_.swap_val(0);
  for (std::uint32_t k = ts_.config().swap_slots; k-- > 0;)
    slot = z3::ite(b_.slot_rc[k] == 0, ts_.swap_val(k), slot);
  z3::expr maps = pick(maps_, tp.frame);
  swapout_unmap(go, tp.frame, slot, maps);
}

void StepEncoder::swapout_unmap(const z3::expr& when, const z3::expr& frame, const z3::expr& slot,
                                const z3::expr& maps) {
  bool one = mutant_ == Mutant::SwapoutOnePte;
  std::vector<std::vector<z3::expr>> hit(m_.procs), chosen(m_.procs);
  for (std::uint32_t s = 0; s < m_.procs; ++s)
    for (std::uint32_t v = 0; v < m_.pages; ++v)
      hit[s].push_back(owns_[s] && b_.pte[s][v].present && b_.pte[s][v].frame == frame);
  for (std::uint32_t s = 0; s < m_.procs; ++s)
    for (std::uint32_t v = 0; v < m_.pages; ++v) {
      z3::expr first = hit[s][v];
      for (std::uint32_t x = 0; x < m_.procs; ++x)
        for (std::uint32_t u = 0; u < m_.pages; ++u) {
          if (x == s && u >= v) continue;
          z3::expr before = x == s ? t() : b_.older[x][s];
          first = first && !(hit[x][u] && before);
        }
      chosen[s].push_back(one ? first : hit[s][v]);
    }
  slot_adjust(when, slot, one ? ts_.count_val(1) : maps, true);
  adjust(when, frame, one ? pick(b_.refcount, frame) : maps, false);
  // The slot takes the frame's contents (slot_alloc, which the model calls first).
  std::vector<z3::expr> data = frame_words(frame);
  for (std::uint32_t k = 0; k < next_.slot_data.size(); ++k)
    for (std::uint32_t w = 0; w < w_.stored_words; ++w)
      next_.slot_data[k][w] =
          z3::ite(when && slot == ts_.swap_val(k), data[w], next_.slot_data[k][w]);
  for (std::uint32_t s = 0; s < m_.procs; ++s)
    for (std::uint32_t v = 0; v < m_.pages; ++v) {
      const SymPte& p = b_.pte[s][v];
      SymPte out = p;
      out.present = f();
      out.frame = ts_.frame_val(0);
      out.swapped = t();
      out.sslot = slot;
      next_.pte[s][v] = pte_if(when && chosen[s][v], out, next_.pte[s][v]);
    }
}

void StepEncoder::do_unpin() {
  z3::expr go = is(OpKind::Unpin);
  std::vector<z3::expr> frames;
  for (const SymPin& pin : b_.pins) frames.push_back(pin.frame);
  z3::expr frame = pick(frames, op_.pin);
  std::vector<z3::expr> words;
  for (std::uint32_t w = 0; w < m_.words; ++w) words.push_back(frame_word(b_, frame, w));
  outcome_.read_value = z3::ite(go, pick(words, op_.word), outcome_.read_value);
  unpin_frame(go, frame);
  for (std::uint32_t i = 0; i < next_.pins.size(); ++i) {
    z3::expr here = go && op_.pin == ts_.pin_val(i);
    SymPin& n = next_.pins[i];
    n.held = n.held && !here;
    n.rw = n.rw && !here;
    n.track = n.track && !here;
    n.frame = z3::ite(here, ts_.frame_val(0), n.frame);
    n.tslot = z3::ite(here, ts_.slot_val(0), n.tslot);
    n.tvpn = z3::ite(here, ts_.vpn_val(0), n.tvpn);
    for (z3::expr& word : n.sem) word = z3::ite(here, ts_.value_val(0), word);
  }
}

}  // namespace cow::symbolic
