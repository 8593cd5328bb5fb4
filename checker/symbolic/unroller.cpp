#include "checker/symbolic/unroller.h"

#include <stdexcept>

namespace cow::symbolic {

Unroller::Unroller(const TransitionSystem& ts, std::string prefix)
    : ts_(ts), prefix_(std::move(prefix)) {}

const SymState& Unroller::state(std::uint32_t t) {
  while (states_.size() <= t)
    states_.push_back(
        make_state(ts_.ctx(), ts_.config(), prefix_ + std::to_string(states_.size())));
  return states_[t];
}

const SymOp& Unroller::op(std::uint32_t t) {
  if (t == 0) throw std::logic_error("Unroller::op: steps count from 1");
  while (ops_.size() < t)
    ops_.push_back(make_op(ts_.ctx(), ts_.config(), prefix_ + std::to_string(ops_.size() + 1)));
  return ops_[t - 1];
}

const SymStep& Unroller::step(std::uint32_t t) {
  if (t == 0) throw std::logic_error("Unroller::step: steps count from 1");
  while (steps_.size() < t) {
    std::uint32_t n = static_cast<std::uint32_t>(steps_.size()) + 1;
    const SymState& before = state(n - 1);
    const SymState& after = state(n);
    steps_.push_back(ts_.step(before, op(n), after));
  }
  return steps_[t - 1];
}

}  // namespace cow::symbolic
