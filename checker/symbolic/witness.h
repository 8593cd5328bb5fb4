// Turning a Z3 model of an unrolling back into something concrete: the op
// taken at each step (by slot), then the same ops by pid, numbered the way
// every implementation numbers them, ready for a .cow file and a replay.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <z3++.h>

#include "checker/symbolic/unroller.h"
#include "spec/op.h"

namespace cow::symbolic {

struct SlotOp {
  OpKind kind = OpKind::Read;
  std::uint32_t slot = 0;
  std::uint32_t vpn = 0;
  Value value = 0;
  std::uint32_t word = 0;
  std::uint32_t count = 0;
  MapKind map = MapKind::None;
  bool rw = false;
  std::uint32_t pin = 0;  // unpin: the pin slot
};

// The ops of steps 1..depth, and which process slots are live and which
// pin slots held in states 0..depth.
struct SlotTrace {
  std::vector<SlotOp> ops;
  std::vector<std::vector<bool>> live;  // [t][slot]
  std::vector<std::vector<bool>> held;  // [t][pin slot]
};

SlotTrace read_trace(const z3::model& model, Unroller& unroller, std::uint32_t depth);

// Pids for slots: the first process is pid 1 in slot 0, and each fork's
// (or vfork's) child, wherever the encoding put it, takes the next pid; pin
// ids likewise, from 1, one per pin taken. Throws
// std::logic_error when the trace is not a run (an op on a dead slot, a
// fork that filled no slot): that is an encoding bug.
std::vector<Op> to_ops(const SlotTrace& trace);

// The op with `pid` and `pin` (an unpin's id) put in, and every field its
// kind does not take (spec/op.h's args) zero, as Op's makers leave them.
Op as_op(const SlotOp& op, Pid pid, PinId pin);

// The state at step t, one line per live slot and per frame in use.
std::string describe_state(const z3::model& model, Unroller& unroller, std::uint32_t t);

}  // namespace cow::symbolic
