// One step of the reference model, encoded, as a class whose methods read
// beside model/cow_model.cpp and docs/mechanism.md. Each virtual step of
// CowModel (fork_share_page, can_reuse_frame, wp_reuse, wp_copy,
// exit_drop_page, swapout_unmap, fork_copies_pinned, kernel_store) is one
// method here that switches on the Bug exactly where a mutant overrides it.
//
// The op kind is symbolic, so every op's effect is built, each under its
// own guard (the guards exclude each other), and every effect reads the
// state before the step: the relation is the conjunction of
// after == (guarded updates of before). The encoder is split by what the
// ops touch: step_encoder.cpp (set-up, PTE values, frame bookkeeping),
// step_page_ops.cpp (read, write, copyout, pin, swapout, unpin) and
// step_process_ops.cpp (fork, vfork, exit/exec, mmap/munmap).
#pragma once

#include <z3++.h>

#include <memory>
#include <optional>
#include <vector>

#include "checker/symbolic/sym_state.h"
#include "checker/symbolic/transition_system.h"

namespace cow::symbolic {

class StepEncoder {
 public:
  StepEncoder(const TransitionSystem& ts, const SymState& before, const SymOp& op);

  SymOutcome encode();
  const SymState& next() const { return next_; }

  z3::expr valid() const;

 private:
  z3::expr f() const { return ctx_.bool_val(false); }
  z3::expr t() const { return ctx_.bool_val(true); }
  z3::expr is(OpKind k) const { return is_[static_cast<unsigned>(k)]; }
  z3::expr pick_pin_held(const z3::expr& index) const;
  z3::expr policy_is(ReusePolicy p) const { return ctx_.bool_val(m_.policy == p); }
  z3::expr vpn_is(std::uint32_t v) const { return op_.vpn == ts_.vpn_val(v); }
  SymPte cleared(MapKind kind) const;

  // pte.h, as values.
  SymPte write_protect(const SymPte& p) const;  // pte_write_protect
  SymPte share(const SymPte& p) const;          // pte_share
  SymPte make_writable(const SymPte& p) const;  // pte_make_writable

  struct Shared {
    SymPte parent;
    SymPte child;
    bool takes_ref;  // frame_get on the shared frame
  };

  // CowModel::fork_share_page (and the five fork mutants).
  Shared fork_share_page(const SymPte& parent) const;

  // CowModel::can_reuse_frame: the policy, from the frame's refcount, its
  // mapcount and the PTE's exclusive bit.
  z3::expr can_reuse_frame(const z3::expr& rc, const z3::expr& maps, const z3::expr& excl) const;

  // CowModel::wp_reuse.
  SymPte wp_reuse(const SymPte& pte) const;
  bool wp_copy_copies_contents() const { return bug_ != Bug::CopyNoContents; }
  bool wp_copy_puts_old_frame() const { return bug_ != Bug::CopyKeepsOldRef; }
  // CowModel::exit_drop_page (exit, exec, munmap): does it drop the frame or slot?
  bool drop_page_puts() const { return bug_ != Bug::ExitLeaks; }

  // Frame bookkeeping, all applied in finish_frames.
  void adjust(const z3::expr& when, const z3::expr& frame, const z3::expr& by, bool add);
  void frame_get(const z3::expr& when, const z3::expr& frame) {
    adjust(when, frame, ts_.count_val(1), true);
  }
  void frame_put(const z3::expr& when, const z3::expr& frame) {
    adjust(when, frame, ts_.count_val(1), false);
  }
  void alloc(const z3::expr& when, const z3::expr& frame, const z3::expr& refs,
             const std::vector<z3::expr>& words);
  void slot_adjust(const z3::expr& when, const z3::expr& slot, const z3::expr& by, bool add);
  std::vector<z3::expr> frame_words(const z3::expr& frame) const;
  std::vector<z3::expr> slot_words(const z3::expr& slot) const;
  std::vector<z3::expr> zeros() const {
    return std::vector<z3::expr>(w_.stored_words, ts_.value_val(0));
  }
  z3::expr pick_count(const std::vector<z3::expr>& counts, const z3::expr& index) const;

  // Slot s gets a new space (fork's child, exec): the youngest.
  void new_space(const z3::expr& when, std::uint32_t s);

  // exit_drop_page on one PTE, when `when`.
  void drop_page(const z3::expr& when, const SymPte& p);

  // Pins whose cell was slot s's private page at vpn v (every vpn when
  // none is given) keep what it held: the cell is gone from the space.
  void freeze_pins(const z3::expr& when, std::uint32_t s, std::optional<std::uint32_t> v);

  // read, write, copyout, pin: fault-in, then the COW decision, then the
  // store or the pin. Frames needed are known up front: a swap-in or
  // zero-fill takes one, a copy one more; without them nothing changes.
  void do_page_op();

  // do_fork: the child goes to the lowest free slot. Per vpn: an untouched
  // or unmapped page is copied as is, a swap PTE shares its slot, a present
  // page is shared by fork_share_page — or, under `exclusive`, an exclusive
  // pinned page is copied for the child at once.
  void do_fork();

  // do_vfork: the child borrows the space; the parent is suspended.
  void do_vfork();

  // exit, exec and the OOM killer: a vfork child's parent resumes; a space
  // nobody else runs in drops every frame and slot; exec then starts a
  // fresh space of untouched private anonymous pages.
  void do_end();

  // mmap and munmap: per vpn in the range, drop the page and set the kind.
  void do_map();

  // swapout: a pinned frame is busy; an anonymous frame goes to the lowest
  // free slot and every PTE that maps it becomes a swap PTE for it.
  void do_swapout();

  // unpin: read a word through the pin, then drop its reference.
  void do_unpin();

  // Refcounts and contents last, once every get and put is known:
  // FrameTable frees (and poisons) a frame when its last reference goes,
  // and the store lands after the copy.
  void finish_frames();

  const TransitionSystem& ts_;
  z3::context& ctx_;
  Bug bug_;
  const Config& m_;
  const Widths& w_;
  const SymState& b_;
  const SymOp& op_;
  SymState next_;
  std::vector<z3::expr> is_;  // [OpKind]
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

}  // namespace cow::symbolic
