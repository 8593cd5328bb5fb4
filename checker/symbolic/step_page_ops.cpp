// The ops on one page of one process (read, write, copyout, pin) and the
// ones on a frame or pin behind it (swapout, unpin), encoded.
#include "checker/symbolic/step_encoder.h"
#include "checker/symbolic/sym_select.h"

namespace cow::symbolic {

void StepEncoder::do_page_op() {
  const SymPte& tp = *target_;
  z3::expr is_write = is(OpKind::Write) || is(OpKind::Copyout);
  z3::expr is_pin = is(OpKind::Pin);
  z3::expr page_op = is_write || is(OpKind::Read) || is_pin;
  z3::expr for_write = is_write || (is_pin && op_.rw);
  z3::expr wants_frame = for_write || is_pin;  // a pin needs a frame
  z3::expr untouched = !tp.present && !tp.swapped;
  z3::expr swapin = page_op && tp.swapped;
  z3::expr zerofill = wants_frame && untouched;
  z3::expr bring = swapin || zerofill;
  z3::expr slot_refs_now = pick(srefs_, tp.sslot);

  // The PTE after the fault-in.
  SymPte mid = tp;
  mid.present = tp.present || bring;
  mid.swapped = tp.swapped && !bring;
  mid.frame = z3::ite(bring, alloc1_, tp.frame);
  mid.sslot = z3::ite(swapin, ts_.swap_val(0), tp.sslot);
  mid.writable = tp.writable || zerofill;
  mid.cow = tp.cow && !zerofill;
  mid.excl = tp.excl || zerofill;
  z3::expr rc_mid = z3::ite(swapin, slot_refs_now,
                            z3::ite(zerofill, ts_.count_val(1), pick(b_.refcount, tp.frame)));
  z3::expr maps_mid =
      z3::ite(swapin, slot_refs_now, z3::ite(zerofill, ts_.count_val(1), pick(maps_, tp.frame)));

  // CowModel::kernel_store: the copyout-no-cow mutant stores into a
  // present frame as it finds it, with no fault.
  z3::expr direct = ctx_.bool_val(bug_ == Bug::CopyoutNoCow) && is(OpKind::Copyout) && tp.present;
  z3::expr prot = for_write && mid.present && !mid.writable && !mid.cow && !direct;
  z3::expr unshare = is_pin && !op_.rw && policy_is(ReusePolicy::Exclusive) && !mid.excl;
  z3::expr decide =
      (for_write || unshare) && mid.present && !mid.writable && mid.cow && !prot && !direct;
  z3::expr reuse = decide && can_reuse_frame(rc_mid, maps_mid, mid.excl);
  z3::expr copy = decide && !reuse;
  z3::expr nomem = (bring && !free1_) || (copy && !free1_) || (bring && copy && !free2_);
  z3::expr oom = page_op && nomem && ctx_.bool_val(m_.oom == OomPolicy::Error);
  killed_ = page_op && nomem && ctx_.bool_val(m_.oom == OomPolicy::Kill);
  z3::expr go = page_op && !prot && !nomem;
  z3::expr copy_frame = z3::ite(bring, alloc2_, alloc1_);

  SymPte served = pte_if(reuse, wp_reuse(mid), mid);
  SymPte copied = make_writable(mid);
  copied.frame = copy_frame;
  served = pte_if(copy, copied, served);

  // swap-in: one frame with the slot's contents; every PTE naming the
  // slot is present on it again with the bits it had; the slot is freed.
  alloc(go && swapin, alloc1_, slot_refs_now, slot_words(tp.sslot));
  slot_adjust(go && swapin, tp.sslot, slot_refs_now, false);
  alloc(go && zerofill, alloc1_, ts_.count_val(1), zeros());
  std::vector<z3::expr> source = frame_words(tp.frame);
  std::vector<z3::expr> slot_data = slot_words(tp.sslot);
  for (std::uint32_t w = 0; w < w_.stored_words; ++w)
    source[w] = z3::ite(swapin, slot_data[w], source[w]);
  if (wp_copy_copies_contents())
    alloc(go && copy, copy_frame, ts_.count_val(1), source);
  else
    alloc(go && copy, copy_frame, ts_.count_val(1), frame_words(copy_frame));
  if (wp_copy_puts_old_frame()) frame_put(go && copy, mid.frame);
  frame_get(go && is_pin, served.frame);

  for (std::uint32_t s = 0; s < m_.procs; ++s)
    for (std::uint32_t v = 0; v < m_.pages; ++v) {
      SymPte& n = next_.pte[s][v];
      const SymPte& p = b_.pte[s][v];
      SymPte back = p;
      back.present = t();
      back.swapped = f();
      back.sslot = ts_.swap_val(0);
      back.frame = alloc1_;
      n = pte_if(go && swapin && owns_[s] && p.swapped && p.sslot == tp.sslot, back, n);
      z3::expr here = in_[s] && vpn_is(v);
      n = pte_if(go && here, served, n);
      for (std::uint32_t w = 0; w < m_.words; ++w)
        next_.semantics[s][v][w] = z3::ite(go && is_write && here && op_.word == ts_.word_val(w),
                                           op_.value, next_.semantics[s][v][w]);
    }
  // The store lands after the copy; pins on this page see it.
  stored_ = go && is_write;
  stored_frame_ = served.frame;
  for (std::uint32_t i = 0; i < b_.pins.size(); ++i) {
    const SymPin& pin = b_.pins[i];
    z3::expr tracks = pin.held && pin.track && pin.tslot == space_ && pin.tvpn == op_.vpn;
    for (std::uint32_t w = 0; w < m_.words; ++w)
      next_.pins[i].sem[w] = z3::ite(stored_ && tracks && op_.word == ts_.word_val(w), op_.value,
                                     next_.pins[i].sem[w]);
  }
  // The pin goes to the lowest free pin slot and names the page's cell.
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

  std::vector<z3::expr> words, from_slot;
  for (std::uint32_t w = 0; w < m_.words; ++w) {
    words.push_back(frame_word(b_, tp.frame, w));
    from_slot.push_back(slot_data[w]);
  }
  z3::expr value = z3::ite(tp.present, pick(words, op_.word),
                           z3::ite(tp.swapped, pick(from_slot, op_.word), ts_.value_val(0)));
  outcome_.read_value = z3::ite(is(OpKind::Read), value, outcome_.read_value);
  outcome_.prot_fault = page_op && prot;
  outcome_.out_of_memory = oom;
  outcome_.cow_reuse = go && reuse;
  outcome_.cow_copy = go && copy;
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
  // CowModel::swapout_unmap; swapout-one-pte unmaps the first PTE in the
  // reverse map's order (oldest space, then vpn) and frees the frame.
  bool one = bug_ == Bug::SwapoutOnePte;
  std::vector<std::vector<z3::expr>> hit(m_.procs), chosen(m_.procs);
  for (std::uint32_t s = 0; s < m_.procs; ++s)
    for (std::uint32_t v = 0; v < m_.pages; ++v)
      hit[s].push_back(owns_[s] && b_.pte[s][v].present && b_.pte[s][v].frame == tp.frame);
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
  slot_adjust(go, slot, one ? ts_.count_val(1) : maps, true);
  adjust(go, tp.frame, one ? pick(b_.refcount, tp.frame) : maps, false);
  std::vector<z3::expr> data = frame_words(tp.frame);
  for (std::uint32_t k = 0; k < next_.slot_data.size(); ++k)
    for (std::uint32_t w = 0; w < w_.stored_words; ++w)
      next_.slot_data[k][w] =
          z3::ite(go && slot == ts_.swap_val(k), data[w], next_.slot_data[k][w]);
  for (std::uint32_t s = 0; s < m_.procs; ++s)
    for (std::uint32_t v = 0; v < m_.pages; ++v) {
      const SymPte& p = b_.pte[s][v];
      SymPte out = p;
      out.present = f();
      out.frame = ts_.frame_val(0);
      out.swapped = t();
      out.sslot = slot;
      next_.pte[s][v] = pte_if(go && chosen[s][v], out, next_.pte[s][v]);
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
  frame_put(go, frame);
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
