// The invariants of spec/invariants.h over one symbolic step: when each of
// ISO, WP, REUSE and RC would report a violation. One function per
// spec/check_*.cpp, written to be read beside it.
#pragma once

#include <array>

#include <z3++.h>

#include "checker/symbolic/transition_system.h"
#include "spec/invariants.h"

namespace cow::symbolic {

// The four checked invariants, in check_step's table order.
inline constexpr std::array<InvariantId, 4> kCheckedInvariants = {
    InvariantId::ISO, InvariantId::WP, InvariantId::REUSE, InvariantId::RC};

// Each invariant as a list of atoms, any one of which true is a violation
// (one page, one frame, one PTE). Asking Z3 about the atoms one at a time
// is several times faster than asking about their disjunction: each query
// is small, and the counting arguments (refcount = mappings) stay local.
struct SymViolations {
  std::array<std::vector<z3::expr>, 4> atoms;  // kCheckedInvariants order

  z3::expr of(InvariantId id) const;
  z3::expr any() const;
  // What check_step reports: `id` fails and nothing before it in the table.
  z3::expr first(InvariantId id) const;
};

SymViolations check_step(const TransitionSystem& ts, const SymStep& step);

}  // namespace cow::symbolic
