// The reference model as a transition system (after pono's core/ts.h): the
// initial state, what a well-typed state is, and one step — any op of
// spec/op.h, chosen symbolically — as a relation between a state, an op
// and the next state. cow_step.cpp reads side by side with model/cow_model.cpp.
#pragma once

#include <z3++.h>

#include "checker/symbolic/sym_state.h"
#include "spec/op.h"

namespace cow::symbolic {

// What the implementation returned, as the checks need it. A valid op is
// never no-such-process, bad-address or process-limit: those change nothing
// and are not generated (see TransitionSystem::step).
struct SymOutcome {
  z3::expr prot_fault;     // Status::ProtFault
  z3::expr out_of_memory;  // Status::OutOfMemory
  z3::expr killed;         // Status::Killed (OomPolicy::Kill)
  z3::expr busy;           // Status::Busy (swapout of a pinned frame)
  z3::expr cow_reuse;      // Fault::CowReuse
  z3::expr cow_copy;       // Fault::CowCopy
  z3::expr read_value;     // Outcome::value of a read or an unpin
};

// One step of an unrolling: the states on both sides stay owned by the
// unroller, which never moves them.
struct SymStep {
  const SymState* before;
  const SymOp* op;
  const SymState* after;
  SymOutcome outcome;
  z3::expr relation;  // the op is valid in `before`, and `after` is what it makes
};

class TransitionSystem {
 public:
  TransitionSystem(z3::context& ctx, const SymConfig& config);

  // CowModel's constructor: pid 1 in slot 0, page v in frame v, all zero.
  z3::expr init(const SymState& s) const;

  // The domain of each variable (frames < F, values <= NV or poison): true
  // of every state init and step reach; assumed of the free first state of
  // an induction step.
  z3::expr well_typed(const SymState& s) const;

  // Ops that can change something: the slot is live, a fork has a free
  // slot, the page and word exist, a written value is 1..NV. An op on a dead
  // pid, a fork at the process limit or a bad address returns an error and
  // changes nothing, so leaving them out loses no state and no violation.
  SymStep step(const SymState& before, const SymOp& op, const SymState& after) const;

  z3::context& ctx() const { return ctx_; }
  const SymConfig& config() const { return config_; }
  const Widths& widths() const { return widths_; }

  // Numerals of the matching width.
  z3::expr slot_val(std::uint32_t slot) const { return ctx_.bv_val(slot, widths_.slot); }
  z3::expr vpn_val(std::uint32_t vpn) const { return ctx_.bv_val(vpn, widths_.vpn); }
  z3::expr frame_val(std::uint32_t frame) const { return ctx_.bv_val(frame, widths_.frame); }
  z3::expr value_val(std::uint32_t value) const { return ctx_.bv_val(value, widths_.value); }
  z3::expr word_val(std::uint32_t word) const { return ctx_.bv_val(word, widths_.word); }
  z3::expr count_val(std::uint32_t n) const { return ctx_.bv_val(n, widths_.count); }
  z3::expr kind_is(const SymOp& op, OpKind kind) const {
    return op.kind == ctx_.bv_val(static_cast<unsigned>(kind), widths_.kind);
  }
  z3::expr map_val(MapKind kind) const {
    return ctx_.bv_val(static_cast<unsigned>(kind), widths_.map);
  }
  z3::expr pin_val(std::uint32_t pin) const { return ctx_.bv_val(pin, widths_.pin); }
  z3::expr swap_val(std::uint32_t slot) const { return ctx_.bv_val(slot, widths_.swap); }
  z3::expr range_val(std::uint32_t n) const { return ctx_.bv_val(n, widths_.range); }

 private:
  z3::context& ctx_;
  SymConfig config_;
  Widths widths_;
};

}  // namespace cow::symbolic
