// One step of the reference model, encoded: read this beside
// model/cow_model.cpp and docs/mechanism.md. Each virtual step of CowModel
// (fork_share_page, can_reuse_frame, wp_reuse, wp_copy, exit_drop_page) is
// one function here that switches on the Bug exactly where a mutant
// overrides it.
//
// The op kind is symbolic, so every op's effect is built, each under its
// own guard (the guards exclude each other), and every effect reads the
// state before the step: the relation is the conjunction of
// after == (guarded updates of before).
#include <memory>
#include <optional>

#include "checker/symbolic/sym_select.h"
#include "checker/symbolic/transition_system.h"

namespace cow::symbolic {

namespace {

SymPte pte_if(const z3::expr& c, const SymPte& a, const SymPte& b) {
  return SymPte{z3::ite(c, a.kind, b.kind),         z3::ite(c, a.present, b.present),
                z3::ite(c, a.writable, b.writable), z3::ite(c, a.cow, b.cow),
                z3::ite(c, a.excl, b.excl),         z3::ite(c, a.frame, b.frame),
                z3::ite(c, a.swapped, b.swapped),   z3::ite(c, a.sslot, b.sslot)};
}

class StepEncoder {
 public:
  StepEncoder(const TransitionSystem& ts, const SymState& before, const SymOp& op)
      : ts_(ts), ctx_(ts.ctx()), bug_(ts.config().bug), m_(ts.config().machine),
        w_(ts.widths()), b_(before), op_(op), next_(before),
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

  SymOutcome encode() {
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
  const SymState& next() const { return next_; }

  z3::expr valid() const {
    const SymConfig& c = ts_.config();
    std::vector<z3::expr> room, free_pin, free_slot, kinds;
    for (std::uint32_t s = 0; s < m_.procs; ++s) room.push_back(!b_.live[s]);
    for (const SymPin& pin : b_.pins) free_pin.push_back(!pin.held);
    for (const z3::expr& rc : b_.slot_rc) free_slot.push_back(rc == 0);
    for (OpKind k : kAllOpKinds)
      if (c.ops & op_bit(k)) kinds.push_back(is(k));
    const SymPte& t = *target_;
    z3::expr vpn_ok = z3::ule(op_.vpn, ts_.vpn_val(m_.pages - 1));
    z3::expr word_ok = z3::ule(op_.word, ts_.word_val(m_.words - 1));
    z3::expr mapped = vpn_ok && t.kind != ts_.map_val(MapKind::None);
    z3::expr value_ok = z3::uge(op_.value, ts_.value_val(1)) &&
                        z3::ule(op_.value, ts_.value_val(c.values));
    z3::expr no_vpn = op_.vpn == ts_.vpn_val(0);
    z3::expr no_word = op_.word == ts_.word_val(0);
    z3::expr no_value = op_.value == ts_.value_val(0);
    z3::expr no_count = op_.count == ts_.range_val(0);
    z3::expr no_map = op_.map == ts_.map_val(MapKind::None);
    z3::expr no_rw = !op_.rw;
    z3::expr no_pin = op_.pin == ts_.pin_val(0);
    unsigned wide = w_.range + 1;
    z3::expr end = z3::zext(op_.vpn, wide - w_.vpn) + z3::zext(op_.count, 1);
    z3::expr range_ok = op_.count != ts_.range_val(0) && z3::ule(op_.vpn, ts_.vpn_val(m_.pages - 1)) &&
                        z3::ule(end, ctx_.bv_val(m_.pages, wide));
    z3::expr runs = z3::ule(op_.slot, ts_.slot_val(m_.procs - 1)) && pick(b_.live, op_.slot) &&
                    !pick(b_.susp, op_.slot);
    z3::expr pin_ok = z3::ule(op_.pin, ts_.pin_val(c.pins - 1)) && pick_pin_held(op_.pin);
    std::vector<z3::expr> rules{
        any_of(ctx_, kinds),
        z3::implies(!is(OpKind::Unpin), runs),
        z3::implies(is(OpKind::Unpin), op_.slot == ts_.slot_val(0) && pin_ok && word_ok &&
                                           no_vpn && no_value && no_count && no_map && no_rw),
        z3::implies(is(OpKind::Fork) || is(OpKind::Vfork),
                    any_of(ctx_, room) && no_vpn && no_word && no_value && no_count && no_map &&
                        no_rw && no_pin),
        z3::implies(is(OpKind::Exit) || is(OpKind::Exec),
                    no_vpn && no_word && no_value && no_count && no_map && no_rw && no_pin),
        z3::implies(is(OpKind::Write) || is(OpKind::Copyout),
                    mapped && word_ok && value_ok && no_count && no_map && no_rw && no_pin),
        z3::implies(is(OpKind::Read),
                    mapped && word_ok && no_value && no_count && no_map && no_rw && no_pin),
        z3::implies(is(OpKind::Pin),
                    mapped && any_of(ctx_, free_pin) && no_word && no_value && no_count && no_map && no_pin),
        z3::implies(is(OpKind::Swapout), mapped && any_of(ctx_, free_slot) && no_word && no_value &&
                                             no_count && no_map && no_rw && no_pin),
        // The encoding has private anonymous mappings only (docs/proofs.md).
        z3::implies(is(OpKind::Mmap), range_ok && op_.map == ts_.map_val(MapKind::PrivateAnon) &&
                                          no_word && no_value && no_rw && no_pin),
        z3::implies(is(OpKind::Munmap), range_ok && no_map && no_word && no_value && no_rw && no_pin),
    };
    return all_of(ctx_, rules);
  }

 private:
  z3::expr f() const { return ctx_.bool_val(false); }
  z3::expr t() const { return ctx_.bool_val(true); }
  z3::expr is(OpKind k) const { return is_[static_cast<unsigned>(k)]; }
  z3::expr pick_pin_held(const z3::expr& index) const {
    std::vector<z3::expr> held;
    for (const SymPin& pin : b_.pins) held.push_back(pin.held);
    return pick(held, index);
  }
  z3::expr policy_is(ReusePolicy p) const { return ctx_.bool_val(m_.policy == p); }
  z3::expr vpn_is(std::uint32_t v) const { return op_.vpn == ts_.vpn_val(v); }
  SymPte cleared(MapKind kind) const {
    return SymPte{ts_.map_val(kind), f(), f(), f(), f(), ts_.frame_val(0), f(), ts_.swap_val(0)};
  }

  // pte.h, as values.
  SymPte write_protect(const SymPte& p) const {  // pte_write_protect
    SymPte q = p;
    q.cow = p.cow || p.writable;
    q.writable = f();
    return q;
  }
  SymPte share(const SymPte& p) const {  // pte_share
    SymPte q = write_protect(p);
    q.excl = f();
    return q;
  }
  SymPte make_writable(const SymPte& p) const {  // pte_make_writable
    SymPte q = p;
    q.writable = t();
    q.cow = f();
    q.excl = t();
    return q;
  }

  struct Shared {
    SymPte parent;
    SymPte child;
    bool takes_ref;  // frame_get on the shared frame
  };

  // CowModel::fork_share_page (and the five fork mutants).
  Shared fork_share_page(const SymPte& parent) const {
    switch (bug_) {
      case Bug::ChildTableMemcpy: return {parent, parent, true};
      case Bug::ParentLeftWritable: return {parent, write_protect(parent), true};
      case Bug::ChildLeftWritable: return {write_protect(parent), parent, true};
      case Bug::ForkNoRefcount: return {share(parent), share(parent), false};
      case Bug::ForkDropsCowBit: {
        SymPte readonly = parent;
        readonly.writable = f();
        readonly.cow = f();
        readonly.excl = f();
        return {readonly, readonly, true};
      }
      default: return {share(parent), share(parent), true};
    }
  }

  // CowModel::can_reuse_frame: the policy, from the frame's refcount, its
  // mapcount and the PTE's exclusive bit.
  z3::expr can_reuse_frame(const z3::expr& rc, const z3::expr& maps, const z3::expr& excl) const {
    switch (bug_) {
      case Bug::CopyAlways: return f();
      case Bug::ReuseShared: return z3::ule(rc, ts_.count_val(2));
      default: break;
    }
    switch (m_.policy) {
      case ReusePolicy::MapCount: return maps == ts_.count_val(1);
      case ReusePolicy::PageCount: return rc == ts_.count_val(1);
      case ReusePolicy::Exclusive: return excl || rc == ts_.count_val(1);
    }
    return f();
  }

  // CowModel::wp_reuse.
  SymPte wp_reuse(const SymPte& pte) const {
    switch (bug_) {
      case Bug::ReuseKeepsCow: {
        SymPte q = pte;
        q.writable = t();
        return q;
      }
      case Bug::ReuseStaysReadonly: return pte;
      default: return make_writable(pte);
    }
  }
  bool wp_copy_copies_contents() const { return bug_ != Bug::CopyNoContents; }
  bool wp_copy_puts_old_frame() const { return bug_ != Bug::CopyKeepsOldRef; }
  // CowModel::exit_drop_page (exit, exec, munmap): does it drop the frame or slot?
  bool drop_page_puts() const { return bug_ != Bug::ExitLeaks; }

  // Frame bookkeeping, all applied in finish_frames.
  void adjust(const z3::expr& when, const z3::expr& frame, const z3::expr& by, bool add) {
    for (std::uint32_t fr = 0; fr < m_.frames; ++fr) {
      z3::expr hit = when && frame == ts_.frame_val(fr);
      z3::expr amount = z3::ite(hit, by, ts_.count_val(0));
      delta_[fr] = add ? delta_[fr] + amount : delta_[fr] - amount;
    }
  }
  void frame_get(const z3::expr& when, const z3::expr& frame) { adjust(when, frame, ts_.count_val(1), true); }
  void frame_put(const z3::expr& when, const z3::expr& frame) { adjust(when, frame, ts_.count_val(1), false); }
  void alloc(const z3::expr& when, const z3::expr& frame, const z3::expr& refs,
             const std::vector<z3::expr>& words) {
    adjust(when, frame, refs, true);
    for (std::uint32_t fr = 0; fr < m_.frames; ++fr) {
      z3::expr hit = when && frame == ts_.frame_val(fr);
      allocated_[fr] = allocated_[fr] || hit;
      for (std::uint32_t w = 0; w < w_.stored_words; ++w)
        filled_[fr][w] = z3::ite(hit, words[w], filled_[fr][w]);
    }
  }
  void slot_adjust(const z3::expr& when, const z3::expr& slot, const z3::expr& by, bool add) {
    for (std::uint32_t k = 0; k < slot_delta_.size(); ++k) {
      z3::expr amount = z3::ite(when && slot == ts_.swap_val(k), by, ts_.count_val(0));
      slot_delta_[k] = add ? slot_delta_[k] + amount : slot_delta_[k] - amount;
    }
  }
  std::vector<z3::expr> frame_words(const z3::expr& frame) const {
    std::vector<z3::expr> words;
    for (std::uint32_t w = 0; w < w_.stored_words; ++w) words.push_back(frame_word(b_, frame, w));
    return words;
  }
  std::vector<z3::expr> slot_words(const z3::expr& slot) const {
    std::vector<z3::expr> words;
    for (std::uint32_t w = 0; w < w_.stored_words; ++w) {
      std::vector<z3::expr> column;
      for (const auto& data : b_.slot_data) column.push_back(data[w]);
      words.push_back(pick(column, slot));
    }
    return words;
  }
  std::vector<z3::expr> zeros() const { return std::vector<z3::expr>(w_.stored_words, ts_.value_val(0)); }
  z3::expr pick_count(const std::vector<z3::expr>& counts, const z3::expr& index) const {
    return pick(counts, index);
  }

  // Slot s gets a new space (fork's child, exec): the youngest.
  void new_space(const z3::expr& when, std::uint32_t s) {
    for (std::uint32_t x = 0; x < m_.procs; ++x) {
      if (x == s) continue;
      next_.older[x][s] = next_.older[x][s] || when;
      next_.older[s][x] = next_.older[s][x] && !when;
    }
  }

  // exit_drop_page on one PTE, when `when`.
  void drop_page(const z3::expr& when, const SymPte& p) {
    if (!drop_page_puts()) return;
    frame_put(when && p.present, p.frame);
    slot_adjust(when && p.swapped, p.sslot, ts_.count_val(1), false);
  }

  // Pins whose cell was slot s's private page at vpn v (every vpn when
  // none is given) keep what it held: the cell is gone from the space.
  void freeze_pins(const z3::expr& when, std::uint32_t s, std::optional<std::uint32_t> v) {
    for (std::uint32_t i = 0; i < next_.pins.size(); ++i) {
      const SymPin& pin = b_.pins[i];
      z3::expr hit = when && pin.track && pin.tslot == ts_.slot_val(s);
      if (v) hit = hit && pin.tvpn == ts_.vpn_val(*v);
      next_.pins[i].track = next_.pins[i].track && !hit;
    }
  }

  // read, write, copyout, pin: fault-in, then the COW decision, then the
  // store or the pin. Frames needed are known up front: a swap-in or
  // zero-fill takes one, a copy one more; without them nothing changes.
  void do_page_op() {
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
    z3::expr rc_mid = z3::ite(swapin, slot_refs_now, z3::ite(zerofill, ts_.count_val(1), pick(b_.refcount, tp.frame)));
    z3::expr maps_mid = z3::ite(swapin, slot_refs_now, z3::ite(zerofill, ts_.count_val(1), pick(maps_, tp.frame)));

    // CowModel::kernel_store: the copyout-no-cow mutant stores into a
    // present frame as it finds it, with no fault.
    z3::expr direct = ctx_.bool_val(bug_ == Bug::CopyoutNoCow) && is(OpKind::Copyout) && tp.present;
    z3::expr prot = for_write && mid.present && !mid.writable && !mid.cow && !direct;
    z3::expr unshare = is_pin && !op_.rw && policy_is(ReusePolicy::Exclusive) && !mid.excl;
    z3::expr decide = (for_write || unshare) && mid.present && !mid.writable && mid.cow && !prot && !direct;
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
    for (std::uint32_t w = 0; w < w_.stored_words; ++w) source[w] = z3::ite(swapin, slot_data[w], source[w]);
    if (wp_copy_copies_contents()) alloc(go && copy, copy_frame, ts_.count_val(1), source);
    else alloc(go && copy, copy_frame, ts_.count_val(1), frame_words(copy_frame));
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
        n.sem[w] = z3::ite(here, w < m_.words ? semantic_word(b_, space_, op_.vpn, ts_.word_val(w))
                                              : ts_.value_val(0),
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

  // do_fork: the child goes to the lowest free slot. Per vpn: an untouched
  // or unmapped page is copied as is, a swap PTE shares its slot, a present
  // page is shared by fork_share_page — or, under `exclusive`, an exclusive
  // pinned page is copied for the child at once.
  void do_fork() {
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
      // CowModel::fork_copies_pinned.
      z3::expr e = ctx_.bool_val(bug_ != Bug::ForkSharesPinned) && policy_is(ReusePolicy::Exclusive) &&
                   p.present && p.excl && pick(pinned_, p.frame) != ts_.count_val(0);
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
      SymPte kid = pte_if(early[v], copy,
                          pte_if(p.present, shared.child,
                                 pte_if(p.swapped, share(p), cleared(MapKind::None))));
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

  // do_vfork: the child borrows the space; the parent is suspended.
  void do_vfork() {
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

  // exit, exec and the OOM killer: a vfork child's parent resumes; a space
  // nobody else runs in drops every frame and slot; exec then starts a
  // fresh space of untouched private anonymous pages.
  void do_end() {
    z3::expr is_exec = is(OpKind::Exec);
    z3::expr ends = is(OpKind::Exit) || is_exec || killed_;
    z3::expr borrower = pick(b_.borrow, op_.slot);
    z3::expr drops = ends && !borrower;
    outcome_.killed = killed_;
    for (std::uint32_t v = 0; v < m_.pages; ++v) drop_page(drops, own_[v]);
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

  // mmap and munmap: per vpn in the range, drop the page and set the kind.
  void do_map() {
    z3::expr is_mmap = is(OpKind::Mmap);
    z3::expr go = is_mmap || is(OpKind::Munmap);
    unsigned wide = w_.range + 1;
    z3::expr first = z3::zext(op_.vpn, wide - w_.vpn);
    z3::expr end = first + z3::zext(op_.count, 1);
    for (std::uint32_t v = 0; v < m_.pages; ++v) {
      z3::expr vv = ctx_.bv_val(v, wide);
      z3::expr inside = go && z3::ule(first, vv) && z3::ult(vv, end);
      drop_page(inside, own_[v]);
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

  // swapout: a pinned frame is busy; an anonymous frame goes to the lowest
  // free slot and every PTE that maps it becomes a swap PTE for it.
  void do_swapout() {
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
        next_.slot_data[k][w] = z3::ite(go && slot == ts_.swap_val(k), data[w], next_.slot_data[k][w]);
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

  // unpin: read a word through the pin, then drop its reference.
  void do_unpin() {
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

  // Refcounts and contents last, once every get and put is known:
  // FrameTable frees (and poisons) a frame when its last reference goes,
  // and the store lands after the copy.
  void finish_frames() {
    for (std::uint32_t fr = 0; fr < m_.frames; ++fr) {
      z3::expr rc = b_.refcount[fr] + delta_[fr];
      next_.refcount[fr] = rc;
      z3::expr freed = rc == 0 && (b_.refcount[fr] != 0 || allocated_[fr]);
      for (std::uint32_t w = 0; w < w_.stored_words; ++w) {
        z3::expr value = z3::ite(freed, ts_.value_val(w_.poison), filled_[fr][w]);
        if (w < m_.words)
          value = z3::ite(stored_ && stored_frame_ == ts_.frame_val(fr) && op_.word == ts_.word_val(w),
                          op_.value, value);
        next_.contents[fr][w] = value;
      }
    }
    for (std::uint32_t k = 0; k < slot_delta_.size(); ++k)
      next_.slot_rc[k] = b_.slot_rc[k] + slot_delta_[k];
  }

  const TransitionSystem& ts_;
  z3::context& ctx_;
  Bug bug_;
  const Config& m_;
  const Widths& w_;
  const SymState& b_;
  const SymOp& op_;
  SymState next_;
  std::vector<z3::expr> is_;        // [OpKind]
  z3::expr space_ = ctx_.bool_val(false);
  std::vector<z3::expr> at_;        // [slot] the op's process
  std::vector<z3::expr> in_;        // [slot] the op's space
  std::vector<z3::expr> owns_;      // [slot] a live process in its own space
  std::vector<SymPte> own_;         // [vpn] the op's space's PTEs
  std::unique_ptr<SymPte> target_;  // the PTE at (space, op.vpn)
  std::vector<z3::expr> maps_, pinned_, srefs_;
  z3::expr free1_ = ctx_.bool_val(false), free2_ = ctx_.bool_val(false);
  z3::expr alloc1_ = ctx_.bool_val(false), alloc2_ = ctx_.bool_val(false);
  std::vector<z3::expr> delta_, allocated_;
  std::vector<std::vector<z3::expr>> filled_;  // [frame][word] contents after fills
  std::vector<z3::expr> slot_delta_;
  z3::expr killed_ = ctx_.bool_val(false);
  z3::expr stored_ = ctx_.bool_val(false);
  z3::expr stored_frame_ = ctx_.bool_val(false);
  SymOutcome outcome_;
};

z3::expr equal_states(z3::context& ctx, const SymState& a, const SymState& b) {
  std::vector<z3::expr> eq;
  auto same_pte = [&](const SymPte& p, const SymPte& q) {
    eq.push_back(p.kind == q.kind);
    eq.push_back(p.present == q.present);
    eq.push_back(p.writable == q.writable);
    eq.push_back(p.cow == q.cow);
    eq.push_back(p.excl == q.excl);
    eq.push_back(p.frame == q.frame);
    eq.push_back(p.swapped == q.swapped);
    eq.push_back(p.sslot == q.sslot);
  };
  for (std::size_t s = 0; s < a.live.size(); ++s) {
    eq.push_back(a.live[s] == b.live[s]);
    eq.push_back(a.susp[s] == b.susp[s]);
    eq.push_back(a.borrow[s] == b.borrow[s]);
    eq.push_back(a.owner[s] == b.owner[s]);
    eq.push_back(a.vparent[s] == b.vparent[s]);
    for (std::size_t x = 0; x < a.older[s].size(); ++x) eq.push_back(a.older[s][x] == b.older[s][x]);
    for (std::size_t v = 0; v < a.pte[s].size(); ++v) {
      same_pte(a.pte[s][v], b.pte[s][v]);
      for (std::size_t w = 0; w < a.semantics[s][v].size(); ++w)
        eq.push_back(a.semantics[s][v][w] == b.semantics[s][v][w]);
    }
  }
  for (std::size_t f = 0; f < a.refcount.size(); ++f) {
    eq.push_back(a.refcount[f] == b.refcount[f]);
    for (std::size_t w = 0; w < a.contents[f].size(); ++w)
      eq.push_back(a.contents[f][w] == b.contents[f][w]);
  }
  for (std::size_t k = 0; k < a.slot_rc.size(); ++k) {
    eq.push_back(a.slot_rc[k] == b.slot_rc[k]);
    for (std::size_t w = 0; w < a.slot_data[k].size(); ++w)
      eq.push_back(a.slot_data[k][w] == b.slot_data[k][w]);
  }
  for (std::size_t i = 0; i < a.pins.size(); ++i) {
    const SymPin& p = a.pins[i];
    const SymPin& q = b.pins[i];
    eq.push_back(p.held == q.held && p.frame == q.frame && p.rw == q.rw && p.track == q.track &&
                 p.tslot == q.tslot && p.tvpn == q.tvpn);
    for (std::size_t w = 0; w < p.sem.size(); ++w) eq.push_back(p.sem[w] == q.sem[w]);
  }
  return all_of(ctx, eq);
}

}  // namespace

SymStep TransitionSystem::step(const SymState& before, const SymOp& op,
                               const SymState& after) const {
  StepEncoder encoder(*this, before, op);
  SymOutcome outcome = encoder.encode();
  return SymStep{&before, &op, &after, outcome,
                 encoder.valid() && equal_states(ctx_, after, encoder.next())};
}

}  // namespace cow::symbolic
