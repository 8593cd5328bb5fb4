// One call of a concurrent run as its caller saw it.
#pragma once

#include <cstdint>
#include <vector>

#include "spec/op.h"
#include "spec/outcome.h"

namespace cow {

// `lane` is the thread of control that made the call (at most one call in
// flight per lane); `invoked` and `returned` are ticks of one logical clock
// every lane advances (an atomic counter read just before the call starts
// and just after it returns), never wall time, with invoked < returned.
// Widening a call's interval only lets more orders explain it, so a clock
// read outside the call is sound.
struct Call {
  std::uint32_t lane = 0;
  Op op;
  Outcome outcome;
  std::uint64_t invoked = 0;
  std::uint64_t returned = 0;
};

// Ops for each lane, run at once: lane i's ops in order on its own thread.
using Lanes = std::vector<std::vector<Op>>;

}  // namespace cow
