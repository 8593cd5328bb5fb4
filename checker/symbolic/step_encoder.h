// One step of the reference model, encoded, as a class that reads beside
// model/cow_model.cpp: a method per step of CowModel, named as there, and a
// mutant's switch (model/mutants/mutant_table.h) in the method of the step
// its row names. Reuse policy rules come from spec/reuse_policy.h.
//
// The op kind is symbolic, so every op's effect is built, each under its
// own guard (the guards exclude each other), and every effect reads the
// state before the step: the relation is the conjunction of
// after == (guarded updates of before). Where the model faults, allocates
// and rolls back an op that ran out of frames (CowModel::apply), the
// encoder decides the fault first (fault_in, wp_fault: terms over the
// state before), counts the frames it takes, and only then does it (the
// frame and PTE updates, under `go`).
//
// The encoder is split by what the ops touch: step_encoder.cpp (set-up,
// PTE values, frame bookkeeping), step_page_ops.cpp (read, write, copyout,
// pin, swapout, unpin: the fault path) and step_process_ops.cpp (fork,
// vfork, exit/exec, mmap/munmap).
#pragma once

#include <z3++.h>

#include <memory>
#include <optional>
#include <vector>

#include "checker/symbolic/sym_state.h"
#include "checker/symbolic/transition_system.h"
#include "spec/reuse_policy.h"

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
  z3::expr vpn_is(std::uint32_t v) const { return op_.vpn == ts_.vpn_val(v); }
  SymPte cleared(MapKind kind) const;

  // pte.h, as values.
  SymPte write_protect(const SymPte& p) const;  // pte_write_protect
  SymPte share(const SymPte& p) const;          // pte_share
  SymPte make_writable(const SymPte& p) const;  // pte_make_writable

  // --- processes (step_process_ops.cpp) ---

  // do_fork: the child goes to the lowest free slot. Per vpn: an untouched
  // or unmapped page is copied as is, a swap PTE shares its slot, a present
  // page is copied now when fork_copies_pinned says so, else shared by
  // fork_share_page.
  void do_fork();

  // CowModel::fork_copies_pinned: must the child get its own copy of this
  // page now, so that a pin stays with the parent's? The policy's rule;
  // fork-shares-pinned never copies.
  z3::expr fork_copies_pinned(const SymPte& parent) const;

  struct Shared {
    SymPte parent;
    SymPte child;
    bool takes_ref;  // frame_get on the shared frame
  };
  // CowModel::fork_share_page (and the five fork mutants).
  Shared fork_share_page(const SymPte& parent) const;

  // do_vfork: the child borrows the space; the parent is suspended.
  void do_vfork();

  // end_process, do_exec and the OOM killer: a vfork child's parent
  // resumes; a space nobody else runs in drops every page (exit_drop_page);
  // exec then starts a fresh space of untouched private anonymous pages.
  void do_end();

  // CowModel::exit_drop_page, when `when`: the page's frame or swap slot
  // loses its reference (exit-leaks keeps both). The PTE is cleared by
  // the caller.
  void exit_drop_page(const z3::expr& when, const SymPte& pte);

  // do_map, mmap and munmap: per vpn in the range, drop the page and set the kind.
  void do_map();

  // --- the fault path and the page ops (step_page_ops.cpp) ---

  // A fault on the op's page as decided from the state before the step:
  // CowModel's FaultResult, the PTE it leaves (before any copy) and the
  // counts the reuse decision reads.
  struct Fault {
    z3::expr swap_in;    // Fault::SwapIn
    z3::expr zero_fill;  // Fault::ZeroFill
    z3::expr brought;    // either: the page took the first free frame
    z3::expr slot_refs;  // the swap PTEs that name its slot (a swap-in's refcount)
    SymPte pte;          // the PTE once the page is present
    z3::expr refs;       // its frame's refcount then
    z3::expr maps;       // and its mapcount
    z3::expr prot;       // Status::ProtFault (wp_fault)
    z3::expr reuse;      // Fault::CowReuse
    z3::expr copy;       // Fault::CowCopy
  };

  // page_op: read, write, copyout and pin. One of them runs, so their
  // fault paths are one Fault, each step of it under the guard of the ops
  // that take it; then apply()'s frame count, the fault's frames and PTE,
  // and do_read's value, do_write's store or do_pin's pin.
  void do_page_op();

  // fault_in_read and the first half of fault_in_write, for every page op
  // in `reads`: a swap PTE comes back on a new frame (swap_in); an
  // untouched page gets a zero-filled one for the ops in `fills` (those
  // of fault_in_write, and do_pin, which needs a frame to hold) and stays
  // untouched for a read (it reads as zeros).
  Fault fault_in(const z3::expr& reads, const z3::expr& fills) const;

  // do_read: the word, from the page wherever it is before the step (its
  // frame, its swap slot's `slot_data`, or nowhere: an untouched page reads
  // as zeros).
  void do_read(const std::vector<z3::expr>& slot_data);

  // CowModel::kernel_store: copyout takes the user's write path (do_write).
  // True when its store skips the fault instead: copyout-no-cow stores into
  // a present page's frame as it finds it.
  z3::expr kernel_store() const;

  // CowModel::wp_fault, as fault_in_write takes it (`writes`, on a page
  // still write-protected; `direct` stores skip it) and as do_pin's
  // unshare takes it (a read-only pin of a private page not its own, when
  // the policy says so): a write to a page that is not cow is a protection
  // fault; a page its writer may keep (can_reuse_frame) is reused
  // (wp_reuse), any other copied (wp_copy, done once the op has its frames).
  void wp_fault(Fault& fault, const z3::expr& writes, const z3::expr& direct) const;

  // CowModel::can_reuse_frame: the policy's predicate (spec/reuse_policy.h)
  // on the frame's refcount, its mapcount and the PTE's exclusive bit;
  // copy-always and reuse-shared replace it.
  z3::expr can_reuse_frame(const z3::expr& refs, const z3::expr& maps, const z3::expr& excl) const;

  // CowModel::wp_reuse: the PTE of a reused page.
  SymPte wp_reuse(const SymPte& pte) const;

  // The fault's frame work, done when `go` (the op has its frames) and the
  // fault took that path.

  // CowModel::swap_in: the slot's contents go to the first free frame,
  // which every PTE naming the slot maps (do_page_op sets them), and the
  // slot is freed.
  void swap_in(const z3::expr& go, const Fault& fault);

  // CowModel::zero_fill: the first free frame, all zeros.
  void zero_fill(const z3::expr& go, const Fault& fault);

  // CowModel::wp_copy: `frame` gets the page's contents (`source`) and the
  // writer's reference moves to it from the old frame (do_page_op makes
  // the PTE writable on it). copy-no-contents leaves the new frame as it
  // was, copy-keeps-old-ref keeps the old reference.
  void wp_copy(const z3::expr& go, const Fault& fault, const z3::expr& frame,
               const std::vector<z3::expr>& source);

  // swapout: a pinned frame is busy; an anonymous frame goes to the lowest
  // free slot and swapout_unmap turns the PTEs that map it into swap PTEs.
  void do_swapout();

  // CowModel::swapout_unmap, when `when`: every PTE that maps `frame`
  // (`maps` of them) now names `slot`, which holds the frame's contents.
  // swapout-one-pte unmaps the first PTE in the reverse map's order (oldest
  // space, then vpn) and frees the frame.
  void swapout_unmap(const z3::expr& when, const z3::expr& frame, const z3::expr& slot,
                     const z3::expr& maps);

  // do_unpin: read a word through the pin, then unpin_frame.
  void do_unpin();

  // CowModel::unpin_frame, when `when`: the pin lets go of `frame`.
  void unpin_frame(const z3::expr& when, const z3::expr& frame) { frame_put(when, frame); }

  // --- bookkeeping (step_encoder.cpp) ---

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

  // Slot s gets a new space (fork's child, exec): the youngest.
  void new_space(const z3::expr& when, std::uint32_t s);

  // Pins whose cell was slot s's private page at vpn v (every vpn when
  // none is given) keep what it held: the cell is gone from the space.
  void freeze_pins(const z3::expr& when, std::uint32_t s, std::optional<std::uint32_t> v);

  // Refcounts and contents last, once every get and put is known:
  // FrameTable frees (and poisons) a frame when its last reference goes,
  // and the store lands after the copy.
  void finish_frames();

  const TransitionSystem& ts_;
  z3::context& ctx_;
  Mutant mutant_;
  const Config& m_;
  const PolicyInfo& policy_;
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
  // FrameTable::frame_alloc, twice: the lowest free frame and the next.
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
