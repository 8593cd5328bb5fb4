// The invariants of spec/invariants.h over one symbolic step, as the
// properties the engines check (pono's engines take a property; ours take
// a list): when each of ISO, WP, REUSE and RC would report a violation.
// One function per spec/check_*.cpp in violations.cpp, written to be read
// beside it.
#pragma once

#include <array>
#include <cstddef>
#include <deque>
#include <functional>
#include <vector>

#include <z3++.h>

#include "checker/symbolic/transition_system.h"
#include "checker/symbolic/unroller.h"
#include "spec/invariants.h"

namespace cow::symbolic {

// A property the engines check after every step: the invariant it stands
// for (what a report and the replay name) and its atoms at one step, any
// one of which true is a violation (one page, one frame, one PTE). Asking
// Z3 about the atoms one at a time is several times faster than asking
// about their disjunction: each query is small, and the counting arguments
// (refcount = mappings) stay local.
struct Property {
  InvariantId invariant;
  std::function<std::vector<z3::expr>(const TransitionSystem&, const SymStep&)> atoms;
};

// The four checked invariants, in check_step's table order: what
// invariant_properties() lists.
inline constexpr std::array<InvariantId, 4> kCheckedInvariants = {
    InvariantId::ISO, InvariantId::WP, InvariantId::REUSE, InvariantId::RC};

// ISO, WP, REUSE and RC as properties, in that order: what prove checks.
std::vector<Property> invariant_properties();

// The atoms of each property of a list at one step, in the list's order.
struct SymViolations {
  std::vector<std::vector<z3::expr>> atoms;  // [property]

  z3::expr of(std::size_t property) const;
  z3::expr any() const;
  // What check_step reports: the property fails and none before it in the
  // list (the harness reports the first invariant in table order).
  z3::expr first(std::size_t property) const;
};

SymViolations check_step(const TransitionSystem& ts, const SymStep& step,
                         const std::vector<Property>& properties = invariant_properties());

// check_step for each step of an unrolling, on demand, each kept as long
// as this object: Z3 hands a freed term's id to the next term made, and
// the order of ids steers which of several counterexamples it finds, so
// the witnesses (and the committed prove files) depend on when terms go.
// Declare it after its Unroller, so that it goes first.
class StepChecks {
 public:
  StepChecks(Unroller& unroller, std::vector<Property> properties);

  const SymViolations& at(std::uint32_t t);  // t >= 1
  const std::vector<Property>& properties() const { return properties_; }

 private:
  Unroller& unroller_;
  std::vector<Property> properties_;
  std::deque<SymViolations> checked_;  // checked_[t-1] is at(t)
};

}  // namespace cow::symbolic
