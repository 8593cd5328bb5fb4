// One step of the reference model, encoded: read this beside
// model/cow_model.cpp. Each virtual step of CowModel (fork_share_page,
// can_reuse_frame, wp_reuse, wp_copy, exit_drop_page) is one function here
// that switches on the Bug exactly where a mutant overrides it.
#include "checker/symbolic/sym_select.h"
#include "checker/symbolic/transition_system.h"

namespace cow::symbolic {

namespace {

// pte.h: pte_write_protect and pte_make_writable, as values.
SymPte pte_write_protect(const SymPte& p, z3::context& ctx) {
  return SymPte{ctx.bool_val(false), p.cow || p.writable, p.frame};
}
SymPte pte_make_writable(const SymPte& p, z3::context& ctx) {
  return SymPte{ctx.bool_val(true), ctx.bool_val(false), p.frame};
}
SymPte pte_if(const z3::expr& c, const SymPte& a, const SymPte& b) {
  return SymPte{z3::ite(c, a.writable, b.writable), z3::ite(c, a.cow, b.cow),
                z3::ite(c, a.frame, b.frame)};
}

// Builds the next state of one step. Every field of `after` is set to an
// expression over `before` and the op; the relation is their conjunction.
class StepEncoder {
 public:
  StepEncoder(const TransitionSystem& ts, const SymState& before, const SymOp& op)
      : ts_(ts), ctx_(ts.ctx()), bug_(ts.config().bug), m_(ts.config().machine),
        w_(ts.widths()), b_(before), op_(op), next_(before),
        is_fork_(ts.kind_is(op, OpKind::Fork)), is_write_(ts.kind_is(op, OpKind::Write)),
        is_read_(ts.kind_is(op, OpKind::Read)), is_exit_(ts.kind_is(op, OpKind::Exit)),
        target_(pte_at(before, op.slot, op.vpn)),
        outcome_{ctx_.bool_val(false), ctx_.bool_val(false), ctx_.bool_val(false),
                 ctx_.bool_val(false), ts.value_val(0)} {
    for (std::uint32_t s = 0; s < m_.procs; ++s) at_.push_back(op.slot == ts.slot_val(s));
    for (std::uint32_t v = 0; v < m_.pages; ++v)
      own_.push_back(pte_at(before, op.slot, ts.vpn_val(v)));
  }

  SymOutcome encode() {
    start_frames();
    do_fork();
    do_write();
    do_read();
    do_exit();
    finish_frames();
    return outcome_;
  }
  const SymState& next() const { return next_; }

  z3::expr valid() const {
    std::vector<z3::expr> room;
    for (std::uint32_t s = 0; s < m_.procs; ++s) room.push_back(!b_.live[s]);
    z3::expr page_ok = z3::ule(op_.vpn, ts_.vpn_val(m_.pages - 1)) &&
                       z3::ule(op_.word, ts_.word_val(m_.words - 1));
    z3::expr value_ok = z3::uge(op_.value, ts_.value_val(1)) &&
                        z3::ule(op_.value, ts_.value_val(ts_.config().values));
    z3::expr no_address = op_.vpn == ts_.vpn_val(0) && op_.word == ts_.word_val(0);
    z3::expr no_value = op_.value == ts_.value_val(0);
    z3::expr live = z3::ule(op_.slot, ts_.slot_val(m_.procs - 1)) && pick(b_.live, op_.slot);
    return live && z3::implies(is_fork_, any_of(ctx_, room) && no_address && no_value) &&
           z3::implies(is_write_, page_ok && value_ok) &&
           z3::implies(is_read_, page_ok && no_value) &&
           z3::implies(is_exit_, no_address && no_value);
  }

 private:
  struct Shared {
    SymPte parent;
    SymPte child;
    bool takes_ref;  // frame_get on the shared frame
  };

  // CowModel::fork_share_page (and the five fork mutants).
  Shared fork_share_page(const SymPte& parent) const {
    SymPte protected_parent = pte_write_protect(parent, ctx_);
    switch (bug_) {
      case Bug::ChildTableMemcpy: return {parent, parent, true};
      case Bug::ParentLeftWritable: return {parent, pte_write_protect(parent, ctx_), true};
      case Bug::ChildLeftWritable: return {protected_parent, parent, true};
      case Bug::ForkNoRefcount: return {protected_parent, protected_parent, false};
      case Bug::ForkDropsCowBit: {
        SymPte readonly{ctx_.bool_val(false), ctx_.bool_val(false), parent.frame};
        return {readonly, readonly, true};
      }
      default: return {protected_parent, protected_parent, true};
    }
  }

  // CowModel::can_reuse_frame: the pure predicate, over the frame's refcount.
  z3::expr can_reuse_frame(const z3::expr& refcount) const {
    switch (bug_) {
      case Bug::CopyAlways: return ctx_.bool_val(false);
      case Bug::ReuseShared: return z3::ule(refcount, ts_.count_val(2));
      default: return refcount == ts_.count_val(1);
    }
  }

  // CowModel::wp_reuse.
  SymPte wp_reuse(const SymPte& pte) const {
    switch (bug_) {
      case Bug::ReuseKeepsCow: return SymPte{ctx_.bool_val(true), pte.cow, pte.frame};
      case Bug::ReuseStaysReadonly: return pte;
      default: return pte_make_writable(pte, ctx_);
    }
  }

  // CowModel::wp_copy, in three parts: the PTE it leaves, whether it copies
  // the contents into the new frame, and whether it puts the old frame.
  SymPte wp_copy(const SymPte& pte, const z3::expr& copy_frame) const {
    return pte_make_writable(SymPte{pte.writable, pte.cow, copy_frame}, ctx_);
  }
  bool wp_copy_copies_contents() const { return bug_ != Bug::CopyNoContents; }
  bool wp_copy_puts_old_frame() const { return bug_ != Bug::CopyKeepsOldRef; }

  // CowModel::exit_drop_page: does it put the page's frame?
  bool exit_drop_page_puts_frame() const { return bug_ != Bug::ExitLeaks; }

  // CowModel::do_fork: the child goes to the lowest free slot; each page
  // shared by fork_share_page.
  void do_fork() {
    std::vector<z3::expr> child;
    z3::expr lower_all_live = ctx_.bool_val(true);
    for (std::uint32_t s = 0; s < m_.procs; ++s) {
      child.push_back(is_fork_ && !b_.live[s] && lower_all_live);
      lower_all_live = lower_all_live && b_.live[s];
    }
    for (std::uint32_t v = 0; v < m_.pages; ++v) {
      Shared shared = fork_share_page(own_[v]);
      if (shared.takes_ref) frame_get(is_fork_, own_[v].frame);
      for (std::uint32_t s = 0; s < m_.procs; ++s) {
        SymPte& pte = next_.pte[s][v];
        pte = pte_if(is_fork_ && at_[s], shared.parent, pte);
        pte = pte_if(child[s], shared.child, pte);
        for (std::uint32_t w = 0; w < m_.words; ++w)
          next_.semantics[s][v][w] = z3::ite(
              child[s], semantic_word(b_, op_.slot, ts_.vpn_val(v), ts_.word_val(w)),
              next_.semantics[s][v][w]);
      }
    }
    for (std::uint32_t s = 0; s < m_.procs; ++s)
      next_.live[s] = next_.live[s] || child[s];
  }

  // CowModel::do_write: decide with can_reuse_frame alone, then reuse or
  // copy; a copy with no free frame is out-of-memory and changes nothing.
  void do_write() {
    z3::expr faults = is_write_ && !target_.writable;
    z3::expr prot = faults && !target_.cow;
    z3::expr reuse = faults && target_.cow && can_reuse_frame(pick(b_.refcount, target_.frame));
    z3::expr wants_copy = faults && target_.cow && !reuse;
    auto [any_free, copy_frame] = frame_alloc();
    z3::expr oom = wants_copy && !any_free;
    z3::expr copy = wants_copy && any_free;
    z3::expr wrote = is_write_ && !prot && !oom;

    SymPte served = pte_if(reuse, wp_reuse(target_), target_);
    served = pte_if(copy, wp_copy(target_, copy_frame), served);
    frame_get(copy, copy_frame);  // frame_alloc: refcount 0 -> 1
    if (wp_copy_copies_contents())
      for (std::uint32_t w = 0; w < w_.stored_words; ++w)
        for (std::uint32_t f = 0; f < m_.frames; ++f)
          copied_[f][w] = z3::ite(copy && copy_frame == ts_.frame_val(f),
                                  frame_word(b_, target_.frame, w), copied_[f][w]);
    if (wp_copy_puts_old_frame()) frame_put(copy, target_.frame);

    for (std::uint32_t s = 0; s < m_.procs; ++s)
      for (std::uint32_t v = 0; v < m_.pages; ++v) {
        z3::expr here = is_write_ && at_[s] && op_.vpn == ts_.vpn_val(v);
        next_.pte[s][v] = pte_if(here, served, next_.pte[s][v]);
        // Semantics::apply: the write lands unless the outcome was OOM.
        for (std::uint32_t w = 0; w < m_.words; ++w)
          next_.semantics[s][v][w] = z3::ite(here && !oom && op_.word == ts_.word_val(w),
                                             op_.value, next_.semantics[s][v][w]);
      }
    written_ = wrote;
    written_frame_ = served.frame;
    outcome_.prot_fault = prot;
    outcome_.out_of_memory = oom;
    outcome_.cow_reuse = reuse;
    outcome_.cow_copy = copy;
  }

  void do_read() {
    std::vector<z3::expr> words;
    for (std::uint32_t w = 0; w < m_.words; ++w) words.push_back(frame_word(b_, target_.frame, w));
    outcome_.read_value = z3::ite(is_read_, pick(words, op_.word), ts_.value_val(0));
  }

  // CowModel::do_exit: exit_drop_page on every page, then the slot is free.
  void do_exit() {
    for (std::uint32_t v = 0; v < m_.pages; ++v)
      if (exit_drop_page_puts_frame()) frame_put(is_exit_, own_[v].frame);
    for (std::uint32_t s = 0; s < m_.procs; ++s) {
      z3::expr gone = is_exit_ && at_[s];
      for (std::uint32_t v = 0; v < m_.pages; ++v) {
        next_.pte[s][v].writable = next_.pte[s][v].writable && !gone;
        next_.pte[s][v].cow = next_.pte[s][v].cow && !gone;
      }
      next_.live[s] = next_.live[s] && !gone;
    }
  }

  // Refcounts and contents last, once every get and put is known:
  // FrameTable frees (and poisons) a frame when its last reference goes,
  // and the write lands after the copy, as in do_write.
  void finish_frames() {
    for (std::uint32_t f = 0; f < m_.frames; ++f) {
      z3::expr rc = b_.refcount[f] + delta_[f];
      next_.refcount[f] = rc;
      z3::expr freed = b_.refcount[f] != 0 && rc == 0;
      for (std::uint32_t w = 0; w < w_.stored_words; ++w) {
        z3::expr value = z3::ite(freed, ts_.value_val(w_.poison), copied_[f][w]);
        if (w < m_.words)
          value = z3::ite(written_ && written_frame_ == ts_.frame_val(f) &&
                              op_.word == ts_.word_val(w),
                          op_.value, value);
        next_.contents[f][w] = value;
      }
    }
  }

  void start_frames() {
    for (std::uint32_t f = 0; f < m_.frames; ++f) {
      delta_.push_back(ts_.count_val(0));
      copied_.push_back(b_.contents[f]);
    }
  }

  // FrameTable::frame_alloc: the lowest free frame, and whether there is one.
  std::pair<z3::expr, z3::expr> frame_alloc() const {
    z3::expr frame = ts_.frame_val(m_.frames - 1);
    for (std::uint32_t f = m_.frames - 1; f-- > 0;)
      frame = z3::ite(b_.refcount[f] == 0, ts_.frame_val(f), frame);
    std::vector<z3::expr> free;
    for (const z3::expr& rc : b_.refcount) free.push_back(rc == 0);
    return {any_of(ctx_, free), frame};
  }
  void frame_get(const z3::expr& when, const z3::expr& frame) { adjust(when, frame, 1); }
  void frame_put(const z3::expr& when, const z3::expr& frame) { adjust(when, frame, -1); }
  void adjust(const z3::expr& when, const z3::expr& frame, int by) {
    for (std::uint32_t f = 0; f < m_.frames; ++f) {
      z3::expr hit = when && frame == ts_.frame_val(f);
      z3::expr one = ts_.count_val(1), zero = ts_.count_val(0);
      delta_[f] = by > 0 ? delta_[f] + z3::ite(hit, one, zero) : delta_[f] - z3::ite(hit, one, zero);
    }
  }

  const TransitionSystem& ts_;
  z3::context& ctx_;
  Bug bug_;
  const Config& m_;
  const Widths& w_;
  const SymState& b_;
  const SymOp& op_;
  SymState next_;
  z3::expr is_fork_, is_write_, is_read_, is_exit_;
  SymPte target_;                   // the PTE at (op.slot, op.vpn)
  std::vector<z3::expr> at_;        // [slot] the op's slot
  std::vector<SymPte> own_;         // [vpn] the op slot's PTEs: a fork's parent, an exit's
  std::vector<z3::expr> delta_;     // [frame] refcount change
  std::vector<std::vector<z3::expr>> copied_;  // [frame][word] contents after the copy
  z3::expr written_ = ctx_.bool_val(false);
  z3::expr written_frame_ = ts_.frame_val(0);
  SymOutcome outcome_;
};

z3::expr equal_states(z3::context& ctx, const SymState& a, const SymState& b) {
  std::vector<z3::expr> eq;
  for (std::size_t s = 0; s < a.live.size(); ++s) {
    eq.push_back(a.live[s] == b.live[s]);
    for (std::size_t v = 0; v < a.pte[s].size(); ++v) {
      eq.push_back(a.pte[s][v].writable == b.pte[s][v].writable);
      eq.push_back(a.pte[s][v].cow == b.pte[s][v].cow);
      eq.push_back(a.pte[s][v].frame == b.pte[s][v].frame);
      for (std::size_t w = 0; w < a.semantics[s][v].size(); ++w)
        eq.push_back(a.semantics[s][v][w] == b.semantics[s][v][w]);
    }
  }
  for (std::size_t f = 0; f < a.refcount.size(); ++f) {
    eq.push_back(a.refcount[f] == b.refcount[f]);
    for (std::size_t w = 0; w < a.contents[f].size(); ++w)
      eq.push_back(a.contents[f][w] == b.contents[f][w]);
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
