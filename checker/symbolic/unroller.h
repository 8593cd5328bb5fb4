// Time-stamped copies of the transition system (after pono's
// core/unroller.h): state(t) is the state after t steps, op(t) and step(t)
// the t-th step from state(t-1) to state(t). Copies are made on demand and
// never move, so SymStep's pointers stay valid. What is checked of a step
// is the engines' business (violations.h).
#pragma once

#include <cstdint>
#include <deque>
#include <string>

#include "checker/symbolic/transition_system.h"

namespace cow::symbolic {

class Unroller {
 public:
  // `prefix` keeps two unrollings in one context apart ("" for BMC, "i"
  // for an induction step).
  Unroller(const TransitionSystem& ts, std::string prefix);

  const SymState& state(std::uint32_t t);
  const SymOp& op(std::uint32_t t);      // t >= 1
  const SymStep& step(std::uint32_t t);  // t >= 1

  const TransitionSystem& system() const { return ts_; }

 private:
  const TransitionSystem& ts_;
  std::string prefix_;
  std::deque<SymState> states_;
  std::deque<SymOp> ops_;      // ops_[t-1] is op(t)
  std::deque<SymStep> steps_;  // likewise
};

}  // namespace cow::symbolic
